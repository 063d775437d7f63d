from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "celltrial.audit"
    label = "audit"
    verbose_name = "Audit trail"
