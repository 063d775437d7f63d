from celltrial.core.rooms import RoomConfig


class SafetyConfig(RoomConfig):
    name = "celltrial.safety"
    label = "safety"
    default = True
    verbose_name = "Safety"
    permissions = "celltrial.safety.permissions:PERMISSIONS"
    urls = "celltrial.safety.urls"
    url_prefix = "safety/"
    api = "celltrial.safety.api:router"
    api_prefix = "safety"
    navigation = "celltrial.safety.navigation:ENTRIES"
