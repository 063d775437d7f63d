from celltrial.core.rooms import RoomConfig


class CaptureConfig(RoomConfig):
    name = "celltrial.capture"
    label = "capture"
    default = True
    verbose_name = "Capture"
    permissions = "celltrial.capture.permissions:PERMISSIONS"
    urls = "celltrial.capture.urls"
    url_prefix = "capture/"
    api = "celltrial.capture.api:router"
    api_prefix = "capture"
    navigation = "celltrial.capture.navigation:ENTRIES"
