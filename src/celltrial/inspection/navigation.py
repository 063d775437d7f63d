from django.utils.translation import gettext_lazy as _

from celltrial.accounts.roles import Role
from celltrial.core.rooms import NavEntry
from celltrial.inspection.permissions import AUDIT_VIEW

ENTRIES = [
    NavEntry("audit", _("Audit trail"), AUDIT_VIEW, _("Who changed what, when and why."), order=90, key="audit",
             favourite_of=(Role.AUDITOR, Role.DATA_MANAGER)),
]
