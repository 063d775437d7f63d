"""Safety reads and writes for the REST API: AEs, obligations and their submissions, DLT status, E2B data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from celltrial.accounts import permissions
from celltrial.accounts.api_auth import Requires
from celltrial.core.api_answers import refused
from celltrial.core.errors import ValidationFailed
from celltrial.core.fields import AwareDatetime, NoControlCharacters, bounded, responses
from celltrial.participants import interface as participants
from celltrial.safety import documents, services
from celltrial.safety.models import AdverseEvent, Obligation
from celltrial.safety.permissions import AE_ASSESS, AE_ENTER, REGULATORY_REPORT, SAFETY_VIEW, SITE_REPORT

router = Router(tags=["safety"])


class AeOut(Schema):
    id: int
    participant_id: int
    subject: str
    number: int
    info_version: int
    verbatim: str
    onset: str
    resolved: str
    ctcae_term: str
    grade: int | None
    grade_suggested: int | None
    grade_confirmed: bool
    seriousness: list[str]
    causality_investigator: str
    causality_sponsor: str
    expected: bool | None
    rsi_version: str
    outcome: str
    action_taken: str
    aesi: list[str]
    susar: bool


class AeIn(Schema):
    verbatim: Annotated[str, bounded(200), NoControlCharacters]
    onset: Annotated[str, bounded(10), NoControlCharacters]
    resolved: Annotated[str, bounded(10), NoControlCharacters] = ""
    ctcae_term: Annotated[str, bounded(40), NoControlCharacters] = ""
    findings: list[Annotated[str, bounded(60), NoControlCharacters]] = []
    grade: int | None = None
    seriousness: list[Annotated[str, bounded(40), NoControlCharacters]] = []
    site_aware_at: AwareDatetime | None = None
    action_taken: Annotated[str, bounded(20), NoControlCharacters] = "not_applicable"
    outcome: Annotated[str, bounded(20), NoControlCharacters] = "recovering"
    aesi: list[Annotated[str, bounded(40), NoControlCharacters]] = []
    lot: Annotated[str, bounded(40), NoControlCharacters] = ""
    narrative: Annotated[str, bounded(4000)] = ""
    causality_investigator: Annotated[str, bounded(20), NoControlCharacters] = ""


class ObligationOut(Schema):
    id: int
    kind: str
    ae_id: int | None
    site: str
    recipient: str
    starts_at: dt.datetime
    due_at: dt.datetime
    time_zone: str
    status: str
    rule: str
    citation: str


class SubmissionIn(Schema):
    submitted_at: AwareDatetime
    recipient: Annotated[str, bounded(200), NoControlCharacters]
    reference: Annotated[str, bounded(100), NoControlCharacters]


class DltOut(Schema):
    status: str
    window_end: dt.date | None
    confirmed: bool
    summary: str
    proposals: list[dict[str, Any]]


def _ae_out(ae: AdverseEvent) -> dict[str, Any]:
    return {"id": ae.pk, "participant_id": ae.participant_id, "subject": participants.subject_label(ae.participant),
            **{k: getattr(ae, k) for k in ("number", "info_version", "verbatim", "onset", "resolved", "ctcae_term",
                                           "grade", "grade_suggested", "grade_confirmed", "seriousness",
                                           "causality_investigator", "causality_sponsor", "expected", "rsi_version",
                                           "outcome", "action_taken", "aesi")},
            "susar": ae.susar}


def _participant(request: HttpRequest, participant_id: int) -> Any:
    model = AdverseEvent._meta.get_field("participant").related_model
    child = model.objects.select_related("site").filter(pk=participant_id).first()  # type: ignore[attr-defined]
    if child is None or not permissions.has_perm(request.user, SAFETY_VIEW, child.site.code):
        raise Http404
    return child


@router.get("/aes", response=responses(list[AeOut]), summary="Adverse events visible to the caller (current versions)")
def aes(request: HttpRequest) -> Any:
    permissions.require(request.user, SAFETY_VIEW)
    return [_ae_out(ae) for ae in services.visible_aes(request.user).order_by("participant_id", "number")]


@router.get("/aes/{ae_id}", response=responses(AeOut, lookup=True), summary="One adverse event")
def ae(request: HttpRequest, ae_id: int) -> Any:
    permissions.require(request.user, SAFETY_VIEW)
    return _ae_out(get_object_or_404(services.visible_aes(request.user), pk=ae_id))


@router.get("/aes/{ae_id}/e2b", response=responses(dict[str, Any], lookup=True),
            summary="The ICH E2B(R3) data elements of the case (pseudonymous)")
def ae_e2b(request: HttpRequest, ae_id: int) -> Any:
    permissions.require(request.user, SAFETY_VIEW)
    return documents.e2b(get_object_or_404(services.visible_aes(request.user), pk=ae_id))


@router.post("/participants/{participant_id}/aes", response=responses(AeOut, lookup=True), auth=Requires(AE_ENTER),
             summary="Report a new adverse event (the investigator may include causality)")
def report(request: HttpRequest, participant_id: int, body: AeIn) -> Any:
    permissions.require(request.user, AE_ENTER)
    child = _participant(request, participant_id)
    permission = AE_ASSESS if body.causality_investigator else AE_ENTER
    permissions.require(request.user, permission, child.site.code)
    try:
        made = services.report_ae(permissions.actor_for(request.user, permission, child.site.code), child,
                                  **body.dict())
    except ValidationFailed as exc:
        return refused(exc)
    return _ae_out(made)


@router.get("/participants/{participant_id}/dlt", response=responses(DltOut, lookup=True),
            summary="The participant's DLT status, window end and the platform's proposals")
def dlt(request: HttpRequest, participant_id: int) -> Any:
    permissions.require(request.user, SAFETY_VIEW)
    state = services.dlt_state(_participant(request, participant_id))
    return {"status": state.status, "window_end": state.window_end, "confirmed": state.confirmed,
            "summary": state.summary, "proposals": state.adjudication.proposals if state.adjudication else []}


def _obligation_out(ob: Obligation) -> dict[str, Any]:
    return {"id": ob.pk, "kind": ob.kind, "ae_id": ob.ae_id, "site": ob.site.code if ob.site else "",
            "recipient": ob.recipient, "starts_at": ob.starts_at, "due_at": ob.due_at, "time_zone": ob.time_zone,
            "status": ob.status, "rule": ob.rule, "citation": ob.citation}


def _obligations(request: HttpRequest) -> Any:
    return permissions.scope(Obligation.objects.select_related("site"), request.user, SAFETY_VIEW)


@router.get("/obligations", response=responses(list[ObligationOut]),
            summary="Reporting obligations visible to the caller, each on its own clock")
def obligations(request: HttpRequest) -> Any:
    permissions.require(request.user, SAFETY_VIEW)
    return [_obligation_out(ob) for ob in _obligations(request).order_by("due_at")]


@router.post("/obligations/{safety_obligation_id}/submissions", response=responses(ObligationOut, lookup=True),
             auth=Requires(SITE_REPORT, REGULATORY_REPORT), summary="Record the submission that meets an obligation (date, recipient, reference)")
def submit(request: HttpRequest, safety_obligation_id: int, body: SubmissionIn) -> Any:
    permissions.require(request.user, SAFETY_VIEW)
    ob = get_object_or_404(_obligations(request), pk=safety_obligation_id)
    permission = SITE_REPORT if ob.kind == "site_notice" else REGULATORY_REPORT
    site = ob.site.code if ob.site else ""
    permissions.require(request.user, permission, site or None)
    try:
        services.record_submission(permissions.actor_for(request.user, permission, site), ob,
                                   submitted_at=body.submitted_at, recipient=body.recipient, reference=body.reference)
    except ValidationFailed as exc:
        return refused(exc)
    ob.refresh_from_db()
    return _obligation_out(ob)
