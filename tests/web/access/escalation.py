"""Access expectations of the escalation room.

The board, the recommendation and the history are read by the SRC, the site team, the medical monitor, the
biostatistician, monitors, auditors, the data manager and the pharmacist (another site's children are listed
without their subject IDs). SRC packets and decisions are trial-wide records: the matrix's users hold their
roles at one site, so every role is refused them (tests/escalation/room/ checks that trial-wide SRC members
freeze, propose and sign, and that a site coordinator is refused).
"""

from __future__ import annotations

from typing import Any

ORDER = 60

READERS = {"src_member", "investigator", "coordinator", "medical_monitor", "biostatistician", "monitor", "auditor",
           "data_manager", "pharmacist"}

WEB = {
    "escalation": ("get", READERS),
    "escalation_recommendation": ("get", READERS),
    "escalation_history": ("get", READERS),
    "escalation_history_png": ("get", READERS),
    "escalation_freeze": ("post", set()),
    "escalation_packet": ("get", set()),
    "escalation_packet_pdf": ("get", set()),
    "escalation_propose": ("post", set()),
    "escalation_sign": ("post", set()),
}

API = {
    "/api/escalation/cohorts": READERS,
    "/api/escalation/recommendation": READERS,
    "/api/escalation/history": READERS,
    "/api/escalation/packets/{escalation_packet_id}": set(),
    "/api/escalation/decisions/{escalation_decision_id}": set(),
}

API_POST: dict[str, set[str]] = {
    "/api/escalation/packets": set(),
    "/api/escalation/packets/{escalation_packet_id}/decision": set(),
    "/api/escalation/decisions/{escalation_decision_id}/signatures": set(),
}


def records(site: Any, built: dict[str, Any]) -> dict[str, Any]:
    """A sentinel packet of cohort 1 and a proposed decision on it (made by the platform's operations)."""
    from django.utils import timezone

    from celltrial.accounts.services import create_user
    from celltrial.core.actor import Actor
    from celltrial.escalation import services

    system = Actor.system("access matrix")
    _n, p = services.protocol()
    cohort = services._ensure_first_cohort(system, p)
    data = services.build_snapshot("sentinel", cohort)
    snapshot = {"meta": {"as_of": services.today().isoformat(), "frozen_at": timezone.now().isoformat(),
                         "protocol_version": _n, "frozen_by": "access matrix"},
                "data": data, "data_hash": services.data_hash(data)}
    packet = services._freeze(system, cohort=cohort, kind="sentinel", snapshot=snapshot,
                              snapshot_hash=services.content_hash(snapshot), frozen_at=timezone.now(), frozen_by=None)
    member = create_user(system, username="access-src", password="access-src-password-1", full_name="Access Src",
                         memberships=[(None, "src_member", False)])
    decision = services._propose(system, packet=packet, choice="proceed", dose_level="", next_capacity=None,
                                 recommended="proceed", recommended_dose_level="", rationale="", proposed_by=member,
                                 proposed_at=timezone.now(), quorum=1)
    return {"escalation_packet_id": packet.pk, "escalation_decision_id": decision.pk}


def url_kwargs(name: str, records: dict[str, Any]) -> dict[str, Any] | None:
    if name in ("escalation_packet", "escalation_packet_pdf", "escalation_propose"):
        return {"pk": records["escalation_packet_id"]}
    if name == "escalation_sign":
        return {"pk": records["escalation_decision_id"]}
    return None
