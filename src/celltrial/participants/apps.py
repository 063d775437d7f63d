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

    def ready(self) -> None:
        super().ready()
        from celltrial.capture.interface import subscribe_saved

        # A screening form saved on a capture page must mark a signed eligibility decision stale, as a save
        # through this room does: the capture room tells its subscribers of every save.
        subscribe_saved(_refresh_eligibility)


def _refresh_eligibility(actor: object, participant: object, visit: str, form: str) -> None:
    from celltrial.participants import state
    from celltrial.participants.services import refresh_staleness

    if visit.lower() not in state.eligibility_visits(state.protocol()[1]):
        return  # no criterion reads this visit's values
    refresh_staleness(actor, participant)  # type: ignore[arg-type]
