from celltrial.core.rooms import RoomConfig


class ParticipantsConfig(RoomConfig):
    name = "celltrial.participants"
    label = "participants"
    default = True
    verbose_name = "Participants"
    permissions = "celltrial.participants.permissions:PERMISSIONS"
    urls = "celltrial.participants.urls"
    url_prefix = "participants/"
    api = "celltrial.participants.api:router"
    api_prefix = "participants"
    navigation = "celltrial.participants.navigation:ENTRIES"
