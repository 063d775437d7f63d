from celltrial.core.rooms import RoomConfig


class InspectionConfig(RoomConfig):
    name = "celltrial.inspection"
    label = "inspection"
    default = True
    verbose_name = "Inspection"
    permissions = "celltrial.inspection.permissions:PERMISSIONS"
    urls = "celltrial.inspection.urls"
    api = "celltrial.inspection.api:router"
    api_prefix = "audit"
    navigation = "celltrial.inspection.navigation:ENTRIES"
