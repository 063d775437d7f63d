"""Who may read and verify the audit trail."""

from __future__ import annotations

from celltrial.accounts.roles import Role

AUDIT_VIEW = "audit.view"
AUDIT_VERIFY = "audit.verify"

PERMISSIONS: dict[str, frozenset[Role]] = {
    AUDIT_VIEW: frozenset({Role.AUDITOR, Role.DATA_MANAGER, Role.MONITOR, Role.QA, Role.ADMIN, Role.INVESTIGATOR}),
    AUDIT_VERIFY: frozenset({Role.AUDITOR, Role.DATA_MANAGER, Role.QA, Role.ADMIN}),
}
