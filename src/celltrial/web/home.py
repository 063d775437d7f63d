"""What each role sees first: its duties and the pages it works in."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from celltrial.accounts import permissions
from celltrial.accounts.roles import (
    AUDIT_VIEW,
    PROTOCOL_VIEW,
    ROLE_LABELS,
    SITE_APPROVE,
    SITE_VIEW,
    Role,
    roles_with,
)

DUTIES = {
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

TILES = [
    ("schedule", PROTOCOL_VIEW, "protocol", "#schedule", _("Schedule of activities"), _("Visits, windows and the forms at each visit.")),
    ("eligibility", PROTOCOL_VIEW, "protocol", "#eligibility", _("Eligibility criteria"), _("Inclusion and exclusion criteria with their logic.")),
    ("approve-site", SITE_APPROVE, "sites", "", _("Approve site activation"), _("Review a site and sign its activation.")),
    ("sites", SITE_VIEW, "sites", "", _("Sites"), _("Sites, principal investigators and time zones.")),
    ("audit", AUDIT_VIEW, "audit", "", _("Audit trail"), _("Who changed what, when and why.")),
]

# The order tiles appear for a role: the first tile is the one it uses most.
FAVOURITES: dict[Role, tuple[str, ...]] = {
    Role.COORDINATOR: ("schedule", "eligibility"),
    Role.INVESTIGATOR: ("eligibility", "approve-site"),
    Role.QA: ("approve-site",),
    Role.AUDITOR: ("audit",),
    Role.DATA_MANAGER: ("audit", "schedule"),
}


def role_panels(user: Any) -> list[dict[str, Any]]:
    panels = []
    for role in sorted(permissions.roles(user), key=lambda r: list(Role).index(r)):
        tiles = []
        for key, perm, url_name, anchor, title, text in TILES:
            # The role is held at some site (it came from the memberships), so its permissions apply there.
            if role in roles_with(perm):
                tiles.append({"title": title, "text": text, "url": reverse(url_name) + anchor, "key": key})
        order = FAVOURITES.get(role, ())
        tiles.sort(key=lambda t: order.index(t["key"]) if t["key"] in order else len(order))
        panels.append({"code": role.value, "label": ROLE_LABELS[role], "duties": DUTIES[role], "tiles": tiles})
    return panels
