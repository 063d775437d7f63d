from celltrial.core.rooms import RoomConfig


class LabsConfig(RoomConfig):
    name = "celltrial.labs"
    label = "labs"
    default = True
    verbose_name = "Labs"
    permissions = "celltrial.labs.permissions:PERMISSIONS"
    urls = "celltrial.labs.urls"
    url_prefix = "labs/"
    api = "celltrial.labs.api:router"
    api_prefix = "labs"
    navigation = "celltrial.labs.navigation:ENTRIES"
