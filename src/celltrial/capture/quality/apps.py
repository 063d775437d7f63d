from celltrial.core.rooms import RoomConfig


class QualityConfig(RoomConfig):
    name = "celltrial.capture.quality"
    label = "quality"
    default = True
    verbose_name = "Data quality"
    permissions = "celltrial.capture.quality.permissions:PERMISSIONS"
    urls = "celltrial.capture.quality.urls"
    url_prefix = "quality/"
    api = "celltrial.capture.quality.api:router"
    api_prefix = "quality"
    navigation = "celltrial.capture.quality.navigation:ENTRIES"
