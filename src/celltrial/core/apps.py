from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "celltrial.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from celltrial.core import checks  # noqa: F401  (registers the system checks)
