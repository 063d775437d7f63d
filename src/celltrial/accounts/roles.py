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

# What each role does in the trial: shown on its home panel.
ROLE_DUTIES = {
    Role.QA: _("Donors, batches, QC results, lot release, certificates of analysis and recalls."),
    Role.PHARMACIST: _("Receipt, storage, thaw, bedside identity check and dose preparation."),
    Role.INVESTIGATOR: _("Eligibility sign-off, consent, adverse-event causality, DLT assessment and CRF signatures."),
    Role.COORDINATOR: _("Screening, visits, data entry and answers to queries."),
    Role.RATER: _("Autism instruments: CARS-2, ABC, CGI, SRS-2 and Vineland-3."),
    Role.GUARDIAN: _("Questionnaires about your child, on a phone or tablet."),
    Role.MEDICAL_MONITOR: _("Serious adverse event review, expectedness and expedited-report clocks."),
    Role.SRC_MEMBER: _("Dose-escalation meetings: data packet, recommendation and signed decision."),
    Role.DATA_MANAGER: _("Edit checks, queries, protocol versions and database lock."),
    Role.MONITOR: _("Source-data verification and queries."),
    Role.BIOSTATISTICIAN: _("Design simulation, exports and analysis tables."),
    Role.AUDITOR: _("Read-only review of the audit trail, signatures and chain of identity."),
    Role.ADMIN: _("Users, sites and system configuration."),
}

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]

# Roles the sponsor holds across the trial; site roles (pharmacist, investigator, coordinator,
# rater, guardian) are normally granted per site. Any role may be granted at one site or trial-wide.
SPONSOR_ROLES = frozenset({Role.QA, Role.MEDICAL_MONITOR, Role.SRC_MEMBER, Role.DATA_MANAGER, Role.MONITOR,
                           Role.BIOSTATISTICIAN, Role.AUDITOR, Role.ADMIN})
TRIAL_ROLES = frozenset(set(Role) - {Role.GUARDIAN})

# The accounts' own permissions; each room declares its own (RoomConfig.permissions).
PII_VIEW = "pii.view"
USER_MANAGE = "user.manage"

OWN_PERMISSIONS: dict[str, frozenset[Role]] = {
    USER_MANAGE: frozenset({Role.ADMIN}),
}

_registry: dict[str, frozenset[Role]] = {}


def register(permissions: dict[str, frozenset[Role]], owner: str) -> None:
    """Add a room's permissions; a permission is declared by one room only."""
    for name, roles in permissions.items():
        if name in _registry and _registry[name] != frozenset(roles):
            raise ValueError(f"permission {name!r} declared twice (again by {owner})")
        _registry[name] = frozenset(Role(r) for r in roles)


def all_permissions() -> dict[str, frozenset[Role]]:
    return dict(_registry)


def roles_with(permission: str) -> frozenset[Role]:
    """Deny by default: an undeclared permission is held by no role."""
    return _registry.get(permission, frozenset())


register(OWN_PERMISSIONS, "accounts")
