from celltrial.core.rooms import RoomConfig


class StudyConfig(RoomConfig):
    name = "celltrial.study"
    label = "study"
    default = True
    verbose_name = "Study"
    permissions = "celltrial.study.permissions:PERMISSIONS"
    urls = "celltrial.study.urls"
    api = "celltrial.study.api:router"
    api_prefix = "protocol"
    navigation = "celltrial.study.navigation:ENTRIES"

    def ready(self) -> None:
        from celltrial.core import hooks
        from celltrial.study.services import version_in_force_number

        hooks.protocol_version.provide(version_in_force_number)
