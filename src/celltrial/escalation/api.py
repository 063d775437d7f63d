"""Escalation for the REST API: cohorts, the recommendation, packets, decisions and their signatures, and the
escalation history. Writes go through escalation.services (a refused input is a 422 naming the field)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema

from celltrial.accounts import permissions
from celltrial.accounts import signatures as esign
from celltrial.accounts.api_auth import Requires
from celltrial.core.api_answers import refused
from celltrial.core.errors import ValidationFailed
from celltrial.core.fields import NoControlCharacters, bounded, responses
from celltrial.escalation import services
from celltrial.escalation.models import Decision, Packet
from celltrial.escalation.permissions import DECISION_SIGN, ESCALATION_VIEW, PACKET_FREEZE

router = Router(tags=["escalation"])


class MemberOut(Schema):
    subject: str
    site: str
    dosed_on: dt.date | None
    window_end: dt.date | None
    days_left: int | None
    dlt: str
    sentinel: bool


class CohortOut(Schema):
    number: int
    dose_level: str
    capacity: int
    kind: str
    state: str
    members: list[MemberOut]


class PacketIn(Schema):
    kind: Annotated[str, bounded(16, description="sentinel | cohort"), NoControlCharacters]


class PacketOut(Schema):
    id: int
    cohort: int
    kind: str
    snapshot_hash: str
    frozen_at: dt.datetime
    changed_since: bool
    snapshot: dict[str, Any]
    decision: int | None


class DecisionIn(Schema):
    choice: Annotated[str, bounded(16, description="escalate | stay | de-escalate | expand | stop | mtd | proceed"),
                      NoControlCharacters]
    rationale: Annotated[str, bounded(4000)] = ""
    dose_level: Annotated[str, bounded(40), NoControlCharacters] | None = None
    next_capacity: int | None = None


class DecisionOut(Schema):
    id: int
    packet: int
    choice: str
    dose_level: str
    recommended: str
    recommended_dose_level: str
    rationale: str
    status: str
    quorum: int
    signatures: list[dict[str, Any]]


class SignIn(Schema):
    password: Annotated[str, bounded(200)]
    comment: Annotated[str, bounded(1000)] = ""


def _packet_out(packet: Packet) -> dict[str, Any]:
    decision = Decision.objects.filter(packet=packet).values_list("pk", flat=True).first()
    return {"id": packet.pk, "cohort": packet.cohort.number, "kind": packet.kind,
            "snapshot_hash": packet.snapshot_hash, "frozen_at": packet.frozen_at,
            "changed_since": services.changed_since(packet), "snapshot": packet.snapshot, "decision": decision}


def _decision_out(decision: Decision) -> dict[str, Any]:
    sigs = [{"signer": s.signer_name, "role": s.signer_role, "signed_at": s.signed_at.isoformat(),
             "meaning": s.meaning, "current": esign.is_current(s, decision)} for s in esign.signatures_for(decision)]
    return {"id": decision.pk, "packet": decision.packet_id, "choice": decision.choice,
            "dose_level": decision.dose_level, "recommended": decision.recommended,
            "recommended_dose_level": decision.recommended_dose_level, "rationale": decision.rationale,
            "status": decision.status, "quorum": decision.quorum, "signatures": sigs}


@router.get("/cohorts", response=responses(list[CohortOut]), summary="Every cohort with its state and its members")
def cohorts(request: HttpRequest) -> Any:
    permissions.require(request.user, ESCALATION_VIEW)
    return [{"number": v.cohort.number, "dose_level": v.cohort.dose_level, "capacity": v.cohort.capacity,
             "kind": v.cohort.kind, "state": str(v.state),
             "members": [{"subject": m.subject, "site": m.site, "dosed_on": m.dosed_on, "window_end": m.window_end,
                          "days_left": m.days_left, "dlt": m.dlt, "sentinel": m.sentinel} for m in v.members]}
            for v in services.board(sites=services.reader_sites(request.user, ESCALATION_VIEW))]


@router.get("/recommendation", response=responses(dict[str, Any]),
            summary="The design's recommendation on live data, the decision table and exact operating characteristics")
def recommendation(request: HttpRequest) -> Any:
    permissions.require(request.user, ESCALATION_VIEW)
    return services.recommendation()


@router.post("/packets", response=responses(PacketOut), auth=Requires(PACKET_FREEZE, trial_wide=True), summary="Freeze the current cohort's SRC packet")
def freeze(request: HttpRequest, body: PacketIn) -> Any:
    actor = permissions.actor_for(request.user, PACKET_FREEZE, "")
    try:
        packet = services.freeze_packet(actor, kind=body.kind)
    except ValidationFailed as exc:
        return refused(exc)
    return _packet_out(packet)


@router.get("/packets/{escalation_packet_id}", response=responses(PacketOut, lookup=True),
            summary="One SRC packet: its frozen snapshot, hash and whether the data changed since")
def packet(request: HttpRequest, escalation_packet_id: Path[int]) -> Any:
    permissions.require(request.user, ESCALATION_VIEW, "")
    return _packet_out(get_object_or_404(Packet.objects.select_related("cohort"), pk=escalation_packet_id))


@router.post("/packets/{escalation_packet_id}/decision", response=responses(DecisionOut, lookup=True), auth=Requires(DECISION_SIGN, trial_wide=True),
             summary="Propose the SRC decision on a packet")
def propose(request: HttpRequest, escalation_packet_id: Path[int], body: DecisionIn) -> Any:
    actor = permissions.actor_for(request.user, DECISION_SIGN, "")
    found = get_object_or_404(Packet.objects.select_related("cohort"), pk=escalation_packet_id)
    try:
        decision = services.propose_decision(actor, found, choice=body.choice, rationale=body.rationale,
                                             dose_level=body.dose_level, next_capacity=body.next_capacity)
    except ValidationFailed as exc:
        return refused(exc)
    return _decision_out(decision)


@router.get("/decisions/{escalation_decision_id}", response=responses(DecisionOut, lookup=True), summary="One SRC decision")
def decision(request: HttpRequest, escalation_decision_id: Path[int]) -> Any:
    permissions.require(request.user, ESCALATION_VIEW, "")
    return _decision_out(get_object_or_404(Decision, pk=escalation_decision_id))


@router.post("/decisions/{escalation_decision_id}/signatures", response=responses(DecisionOut, lookup=True),
             auth=Requires(DECISION_SIGN, trial_wide=True),
             summary="Sign an SRC decision (re-enter the password); it takes effect at the quorum")
def sign(request: HttpRequest, escalation_decision_id: Path[int], body: SignIn) -> Any:
    actor = permissions.actor_for(request.user, DECISION_SIGN, "")
    found = get_object_or_404(Decision, pk=escalation_decision_id)
    try:
        services.sign_decision(actor, found, password=body.password, comment=body.comment)
    except ValidationFailed as exc:
        return refused(exc)
    found.refresh_from_db()
    return _decision_out(found)


@router.get("/history", response=responses(list[dict[str, Any]]),
            summary="Every dosed participant in dosing order: dose level, cohort and DLT status")
def history(request: HttpRequest) -> Any:
    permissions.require(request.user, ESCALATION_VIEW)
    return [{**r, "dosed_on": r["dosed_on"].isoformat()}
            for r in services.history(sites=services.reader_sites(request.user, ESCALATION_VIEW))]
