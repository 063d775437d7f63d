"""The roles of a cell-therapy trial team and what each may do.

Deny by default: a permission not listed for a role is refused. Permissions are plain strings
(``<room>.<verb>``) so that views, API handlers and services ask the same question.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    QA = "qa"
    PHARMACIST = "pharmacist"
    INVESTIGATOR = "investigator"
    COORDINATOR = "coordinator"
    RATER = "rater"
    GUARDIAN = "guardian"
    MEDICAL_MONITOR = "medical_monitor"
    SRC_MEMBER = "src_member"
    DATA_MANAGER = "data_manager"
    MONITOR = "monitor"
    BIOSTATISTICIAN = "biostatistician"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.QA: _("Sponsor QC / QA (qualified person)"),
    Role.PHARMACIST: _("Site pharmacist / cell processing"),
    Role.INVESTIGATOR: _("Investigator"),
    Role.COORDINATOR: _("Study coordinator"),
    Role.RATER: _("Rater"),
    Role.GUARDIAN: _("Guardian"),
    Role.MEDICAL_MONITOR: _("Medical monitor / pharmacovigilance"),
    Role.SRC_MEMBER: _("Safety review committee member"),
    Role.DATA_MANAGER: _("Data manager"),
    Role.MONITOR: _("Clinical research associate (monitor)"),
    Role.BIOSTATISTICIAN: _("Biostatistician"),
    Role.AUDITOR: _("Auditor / inspector"),
    Role.ADMIN: _("System administrator"),
}

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]

# What each role may do. Reading the protocol is open to every trial role; the audit trail is for
# those who oversee data integrity; loading a protocol and managing sites is for administrators
# and sponsor QA; signing site activation is a sponsor QA act.
PROTOCOL_VIEW = "protocol.view"
PROTOCOL_LOAD = "protocol.load"
AUDIT_VIEW = "audit.view"
AUDIT_VERIFY = "audit.verify"
SITE_VIEW = "site.view"
SITE_EDIT = "site.edit"
SITE_APPROVE = "site.approve"
PII_VIEW = "pii.view"

_ALL_TRIAL_ROLES = set(Role) - {Role.GUARDIAN}

PERMISSIONS: dict[str, frozenset[Role]] = {
    PROTOCOL_VIEW: frozenset(_ALL_TRIAL_ROLES),
    PROTOCOL_LOAD: frozenset({Role.ADMIN, Role.DATA_MANAGER}),
    AUDIT_VIEW: frozenset({Role.AUDITOR, Role.DATA_MANAGER, Role.MONITOR, Role.QA, Role.ADMIN, Role.INVESTIGATOR}),
    AUDIT_VERIFY: frozenset({Role.AUDITOR, Role.DATA_MANAGER, Role.QA, Role.ADMIN}),
    SITE_VIEW: frozenset(_ALL_TRIAL_ROLES),
    SITE_EDIT: frozenset({Role.ADMIN, Role.DATA_MANAGER}),
    SITE_APPROVE: frozenset({Role.QA, Role.INVESTIGATOR}),
}


def roles_with(permission: str) -> frozenset[Role]:
    return PERMISSIONS.get(permission, frozenset())
