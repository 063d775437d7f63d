from celltrial.core.rooms import RoomConfig


class EscalationConfig(RoomConfig):
    name = "celltrial.escalation"
    label = "escalation"
    default = True
    verbose_name = "Escalation"
    permissions = "celltrial.escalation.permissions:PERMISSIONS"
    urls = "celltrial.escalation.urls"
    url_prefix = "escalation/"
    api = "celltrial.escalation.api:router"
    api_prefix = "escalation"
    navigation = "celltrial.escalation.navigation:ENTRIES"
