from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "celltrial.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from celltrial.audit.triggers import ensure_installed

        # A database flush (tests) or a restore must never leave the audit table without its guards.
        post_migrate.connect(ensure_installed, sender=self, dispatch_uid="celltrial-audit-triggers")
