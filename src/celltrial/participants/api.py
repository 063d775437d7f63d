"""The participants room's REST API: every operation of the pages, so a hospital system can screen,
record consent, sign eligibility and enrol through it.

Each route names its permission in its authentication, so a caller whose role lacks it is refused
(403) before the body is read; the services check again at the participant's site. A refused field is
a 422 naming it (``loc``), a stale save a 409 with both versions; personal data only with the PII grant.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Schema
from pydantic import Field

from celltrial.accounts import permissions
from celltrial.accounts.api_auth import Requires
from celltrial.accounts.roles import PII_VIEW
from celltrial.capture.interface import form_records
from celltrial.core.api_answers import answer
from celltrial.core.errors import ValidationFailed
from celltrial.core.fields import (
    AwareDatetime,
    IntKey,
    Limit,
    NoControlCharacters,
    Offset,
    bounded,
    responses,
)
from celltrial.participants import queries, services, state
from celltrial.participants.models import (
    ConsentDocument,
    ConsentRecord,
    Dissent,
    Participant,
    PreScreening,
    Visit,
)
from celltrial.participants.permissions import (
    CONSENT_DOCUMENT_MANAGE,
    CONSENT_RECORD,
    DATA_ENTER,
    DISSENT_RECORD,
    DISSENT_RESOLVE,
    DOSING_RECORD,
    ELIGIBILITY_SIGN,
    ENROL,
    FUNNEL_VIEW,
    IDENTITY_EDIT,
    PARTICIPANT_VIEW,
    PRESCREEN,
    SCHEDULE,
    SCREEN,
    WITHDRAW,
)

router = Router(tags=["participants"])

Text = Annotated[str, bounded(200), NoControlCharacters]
LongText = Annotated[str, bounded(1000), NoControlCharacters]
Password = Annotated[str, Field(min_length=1, max_length=256)]
SiteCode = Annotated[str, bounded(32), NoControlCharacters]
# Dates are calendar dates (YYYY-MM-DD); the services refuse those the trial's rules do not allow.
Day = dt.date


def _participant(request: HttpRequest, pk: int) -> Participant:
    return get_object_or_404(queries.visible(request.user).select_related("site"), pk=pk)


# --- schemas ----------------------------------------------------------------------------------------


class PrescreeningIn(Schema):
    site: SiteCode
    logged_on: Day
    referral_source: Literal["outpatient", "inpatient", "other_hospital", "rehabilitation", "advertisement",
                             "family", "other"]
    age_band: Literal["under_6", "6_11", "12_17", "18_plus"]
    outcome: Literal["invited", "not_eligible", "declined", "not_reached", "pending"]
    reason: Annotated[str, bounded(500), NoControlCharacters] = ""


class PrescreeningOut(Schema):
    id: int
    site: str
    number: int
    logged_on: dt.date
    referral_source: str
    age_band: str
    outcome: str
    reason: str

    @staticmethod
    def resolve_site(obj: PreScreening) -> str:
        return obj.site.code

    @staticmethod
    def resolve_reason(obj: PreScreening) -> str:
        return obj.outcome_reason


class IdentityIn(Schema):
    full_name: Annotated[str, bounded(100), NoControlCharacters]
    date_of_birth: Day
    sex: Literal["1", "2"]
    id_type: Literal["cn_resident", "passport", "other"] = "cn_resident"
    id_number: Annotated[str, bounded(32), NoControlCharacters] = ""
    address: Annotated[str, bounded(300), NoControlCharacters] = ""
    guardian1_name: Annotated[str, bounded(100), NoControlCharacters]
    guardian1_relationship: Annotated[str, bounded(40), NoControlCharacters]
    guardian1_phone: Annotated[str, bounded(32), NoControlCharacters]
    guardian2_name: Annotated[str, bounded(100), NoControlCharacters] = ""
    guardian2_relationship: Annotated[str, bounded(40), NoControlCharacters] = ""
    guardian2_phone: Annotated[str, bounded(32), NoControlCharacters] = ""


class IdentityOut(IdentityIn):
    version: int
    date_of_birth: str  # type: ignore[assignment]


class IdentityPatch(Schema):
    changes: dict[Literal["full_name", "date_of_birth", "sex", "id_type", "id_number", "address", "guardian1_name",
                          "guardian1_relationship", "guardian1_phone", "guardian2_name", "guardian2_relationship",
                          "guardian2_phone"], Annotated[str, bounded(300), NoControlCharacters]]
    expected_version: IntKey
    reason: LongText


class ScreenIn(Schema):
    site: SiteCode
    screened_on: Day
    consent_language: Literal["zh-hans", "en"] = "zh-hans"
    prescreening_id: IntKey | None = None
    identity: IdentityIn


class ParticipantOut(Schema):
    """A participant without personal data: the screening number, the subject ID and where they stand."""

    id: int
    site: str
    screening_number: str
    subject_id: str | None
    status: str
    paused: bool
    screened_on: dt.date
    consent_language: str
    cohort: int | None
    dose_level: str
    day0: dt.date | None
    dosed_on: dt.date | None
    rescreen_of: int | None
    version: int

    @staticmethod
    def resolve_site(obj: Participant) -> str:
        return obj.site.code

    @staticmethod
    def resolve_rescreen_of(obj: Participant) -> int | None:
        return obj.rescreen_of_id


class StandingOut(Schema):
    participant: ParticipantOut
    age_years: int | None
    age_months: int | None
    consent_valid: bool
    consent_current: bool
    assent: str
    consent_problems: list[str]
    reconsent_due: list[dict[str, Any]]
    entry_refusal: str | None
    eligibility: str | None
    eligibility_stale: bool
    enrolment_refusal: str | None


class Paging(Schema):
    limit: Limit = 100
    offset: Offset = 0


class ListFilter(Schema):
    status: Literal["screening", "screen_failed", "enrolled", "withdrawn"] | None = None
    site: SiteCode | None = None
    limit: Limit = 100
    offset: Offset = 0


Value = Annotated[str, Field(max_length=10_000)] | list[Annotated[str, bounded(40), NoControlCharacters]]


class FormIn(Schema):
    values: Annotated[dict[Annotated[str, bounded(100), NoControlCharacters], Value], Field(max_length=300)]
    expected_version: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    reason: Annotated[str, bounded(1000)] = ""


class FormOut(Schema):
    id: int
    visit: str
    form: str
    repeat: int
    values: dict[str, Any]
    version: int
    updated_at: dt.datetime


class SignIn(Schema):
    password: Password
    comment: Annotated[str, bounded(1000)] = ""


class DecisionOut(Schema):
    id: int
    outcome: str
    snapshot_hash: str
    failing_criteria: list[str]
    evaluated_at: dt.datetime
    stale_at: dt.datetime | None
    stale_changes: dict[str, Any]


class EligibilityOut(Schema):
    evaluation: dict[str, Any]
    decision: DecisionOut | None


class DocumentOut(Schema):
    id: int
    site: str
    kind: str
    language: str
    version: str
    ec_approved_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None
    file_name: str
    file_sha256: str
    file_size: int

    @staticmethod
    def resolve_site(obj: ConsentDocument) -> str:
        return obj.site.code

    @staticmethod
    def resolve_version(obj: ConsentDocument) -> str:
        return obj.form_version


class DocumentIn(Schema):
    site: SiteCode
    kind: Literal["guardian", "assent"]
    language: Literal["zh-hans", "en"]
    version: Annotated[str, bounded(32), NoControlCharacters]
    ec_approved_on: Day
    valid_from: Day
    valid_until: Day | None = None
    file_name: Annotated[str, bounded(200), NoControlCharacters]
    content_base64: Annotated[str, Field(max_length=28_000_000)]


class ConsentIn(Schema):
    kind: Literal["guardian", "assent"]
    document_id: IntKey
    obtained_at: AwareDatetime
    guardian_slot: Annotated[int, Field(ge=1, le=2)] | None = None
    method: Literal["written", "verbal", "pictorial"] = "written"
    outcome: Literal["given", "declined", "not_obtainable"] = "given"
    not_obtainable_reason: LongText = ""
    guardian_can_read: bool = True
    witness_name: Annotated[str, bounded(100), NoControlCharacters] = ""
    scan_base64: Annotated[str, Field(max_length=28_000_000)] | None = None
    password: Password | None = None
    comment: Annotated[str, bounded(1000)] = ""


class ConsentOut(Schema):
    id: int
    kind: str
    guardian_slot: int | None
    document_id: int
    obtained_at: dt.datetime
    method: str
    outcome: str
    not_obtainable_reason: str
    scan_sha256: str
    version: int


class ScanIn(Schema):
    scan_base64: Annotated[str, Field(min_length=4, max_length=28_000_000)]
    reason: LongText


class DissentIn(Schema):
    occurred_at: AwareDatetime
    context: Text
    description: LongText = ""


class DissentOut(Schema):
    id: int
    occurred_at: dt.datetime
    context: str
    description: str
    resolved_at: dt.datetime | None
    resolution: str


class ResolveIn(Schema):
    note: LongText


class WithdrawIn(Schema):
    withdrawn_on: Day
    requested_by: Literal["guardian", "child", "investigator", "sponsor"]
    scope: Literal["product", "visits", "all"]
    data_use_allowed: bool
    reason: LongText


class WithdrawalOut(Schema):
    id: int
    withdrawn_on: dt.date
    requested_by: str
    scope: str
    data_use_allowed: bool
    reason: str

    @staticmethod
    def resolve_reason(obj: Any) -> str:
        return str(obj.withdrawal_reason)


class EnrolIn(Schema):
    day0: Day | None = None


class DosingDayIn(Schema):
    day0: Day
    expected_version: IntKey
    reason: LongText


class DosedIn(Schema):
    dosed_on: Day


class VisitOut(Schema):
    id: int
    code: str
    order: int
    day: int
    target_date: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None
    actual_date: dt.date | None
    status: str
    version: int


class VisitIn(Schema):
    actual_date: Day | None = None
    missed: bool = False
    expected_version: IntKey
    reason: LongText = ""


class RescreenIn(Schema):
    screened_on: Day
    reason: LongText


class DueOut(Schema):
    participant_id: int
    label: str
    site: str
    visit: str
    target_date: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None
    standing: str


class DueListOut(Schema):
    this_week: list[DueOut]
    overdue: list[DueOut]


class FunnelOut(Schema):
    stages: list[str]
    overall: dict[str, int]
    by_site: dict[str, dict[str, int]]


def _decode(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed({field: ["Send the file as base64."]}) from None


# --- pre-screening and screening ------------------------------------------------------------------


@router.get("/prescreening", response=responses(list[PrescreeningOut]), auth=Requires(PRESCREEN),
            summary="The pre-screening log of the caller's sites (no personal data)")
def prescreening_list(request: HttpRequest, paging: Query[Paging]) -> Any:
    qs = permissions.scope(PreScreening.objects.select_related("site"), request.user, PRESCREEN)
    return qs.order_by("-logged_on", "-number")[paging.offset: paging.offset + paging.limit]


@router.post("/prescreening", response=responses(PrescreeningOut), auth=Requires(PRESCREEN),
             summary="Add a pre-screening log entry")
def prescreening_add(request: HttpRequest, body: PrescreeningIn) -> Any:
    return answer(lambda: services.log_prescreening(
        permissions.actor_for(request.user, PRESCREEN, body.site), site_code=body.site, logged_on=body.logged_on,
        referral_source=body.referral_source, age_band=body.age_band, outcome=body.outcome, reason=body.reason))


@router.get("/", response=responses(list[ParticipantOut]), auth=Requires(PARTICIPANT_VIEW),
            summary="Participants of the caller's sites")
def participant_list(request: HttpRequest, filters: Query[ListFilter]) -> Any:
    qs = queries.visible(request.user).select_related("site")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.site:
        qs = qs.filter(site__code=filters.site)
    return qs.order_by("site__code", "screening_sequence")[filters.offset: filters.offset + filters.limit]


@router.post("/screen", response=responses(ParticipantOut), auth=Requires(SCREEN),
             summary="Open a screening attempt: identity into the vault, a screening number back")
def screen(request: HttpRequest, body: ScreenIn) -> Any:
    def call() -> Any:
        actor = permissions.actor_for(request.user, SCREEN, body.site)
        prescreening = None
        if body.prescreening_id is not None:
            prescreening = permissions.scope(PreScreening.objects.all(), request.user, SCREEN).filter(
                pk=body.prescreening_id).first()
            if prescreening is None:
                raise ValidationFailed({"prescreening_id": ["No such pre-screening entry at your sites."]})
        identity = body.identity.model_dump()
        identity["date_of_birth"] = body.identity.date_of_birth.isoformat()
        return services.screen_child(actor, site_code=body.site, identity=identity, screened_on=body.screened_on,
                                     consent_language=body.consent_language, prescreening=prescreening)

    return answer(call)


@router.get("/visits/due", response=responses(DueListOut), auth=Requires(PARTICIPANT_VIEW),
            summary="Visits due this week and overdue at the caller's sites")
def due(request: HttpRequest) -> Any:
    found = queries.visits_due(request.user)

    def rows(items: list[Any]) -> list[dict[str, Any]]:
        return [{"participant_id": d.visit.participant_id, "label": d.visit.participant.label,
                 "site": d.visit.site.code, "visit": d.visit.code, "target_date": d.visit.target_date,
                 "earliest": d.visit.earliest, "latest": d.visit.latest, "standing": d.standing.value}
                for d in items]

    return {"this_week": rows(found["this_week"]), "overdue": rows(found["overdue"])}


@router.get("/funnel", response=responses(FunnelOut), auth=Requires(FUNNEL_VIEW),
            summary="The screening funnel, per site and overall")
def funnel(request: HttpRequest) -> Any:
    from celltrial.participants.rules.funnel import STAGES

    result = queries.funnel(request.user)
    return {"stages": list(STAGES), "overall": dict(result.overall.as_list()),
            "by_site": {code: dict(c.as_list()) for code, c in result.by_site.items()}}


# --- consent documents -----------------------------------------------------------------------------


@router.get("/consent-documents", response=responses(list[DocumentOut]),
            auth=Requires(PARTICIPANT_VIEW), summary="Approved consent and assent form versions")
def documents(request: HttpRequest) -> Any:
    return permissions.scope(ConsentDocument.objects.select_related("site"), request.user, PARTICIPANT_VIEW)


@router.post("/consent-documents", response=responses(DocumentOut),
             auth=Requires(CONSENT_DOCUMENT_MANAGE), summary="Add an approved version of a consent or assent form")
def document_add(request: HttpRequest, body: DocumentIn) -> Any:
    return answer(lambda: services.add_consent_document(
        permissions.actor_for(request.user, CONSENT_DOCUMENT_MANAGE, body.site), site_code=body.site, kind=body.kind,
        language=body.language, version=body.version, ec_approved_on=body.ec_approved_on,
        valid_from=body.valid_from, valid_until=body.valid_until, file_name=body.file_name,
        content=_decode(body.content_base64, "content_base64")))


# --- one participant ---------------------------------------------------------------------------------


@router.get("/{participant_id}", response=responses(StandingOut, lookup=True), auth=Requires(PARTICIPANT_VIEW),
            summary="One participant: status, age (never the date of birth), consent and eligibility")
def detail(request: HttpRequest, participant_id: Path[IntKey]) -> Any:
    participant = _participant(request, participant_id)
    _n, p = state.protocol()
    rules_ = state.participant_rules(p)
    today = state.site_today(participant.site.code)
    data = state.bundle([participant])
    age = state.age_on(data.dob(participant.pk), today, rules_)
    consent = state.consent_state(participant, rules_, today, data)
    decision = state.latest_decision(participant)
    return {
        "participant": participant, "age_years": age.years if age else None,
        "age_months": age.total_months if age else None, "consent_valid": consent.valid,
        "consent_current": consent.current, "assent": consent.assent, "consent_problems": consent.problems,
        "reconsent_due": [{"kind": d.kind, "reason": d.reason, "since": d.since.isoformat(), "version": d.version,
                           "visit": d.visit} for d in consent.due],
        "entry_refusal": state.entry_refusal(participant, "SCR", today=today),
        "eligibility": decision.outcome if decision else None,
        "eligibility_stale": bool(decision and decision.stale_at),
        "enrolment_refusal": services.enrolment_refusal(participant, today=today)
        if participant.status == "screening" else None,
    }


@router.get("/{participant_id}/identity", response=responses(IdentityOut, lookup=True), auth=Requires(PARTICIPANT_VIEW),
            summary="The identity vault record (the PII grant at the participant's site is required)")
def identity(request: HttpRequest, participant_id: Path[IntKey]) -> Any:
    participant = _participant(request, participant_id)
    if not permissions.has_perm(request.user, PII_VIEW, participant.site.code):
        raise PermissionDenied(PII_VIEW)
    record = services.reveal_identity(permissions.actor_for(request.user, PARTICIPANT_VIEW, participant.site.code),
                                      participant)
    return {**{name: str(getattr(record, name)) for name in IdentityIn.model_fields}, "version": record.version}


@router.post("/{participant_id}/identity", response=responses(IdentityOut, lookup=True, conflict=True), auth=Requires(IDENTITY_EDIT),
             summary="Change the identity vault record (PII grant required; a reason; the version edited)")
def identity_edit(request: HttpRequest, participant_id: Path[IntKey], body: IdentityPatch) -> Any:
    participant = _participant(request, participant_id)

    def call() -> Any:
        services.edit_identity(permissions.actor_for(request.user, IDENTITY_EDIT, participant.site.code), participant,
                               {str(k): v for k, v in body.changes.items()}, expected_version=body.expected_version,
                               reason=body.reason)
        return identity(request, participant_id)

    return answer(call)


@router.get("/{participant_id}/forms", response=responses(list[FormOut], lookup=True), auth=Requires(PARTICIPANT_VIEW),
            summary="The participant's form records (item values as entered)")
def forms(request: HttpRequest, participant_id: Path[IntKey]) -> Any:
    participant = _participant(request, participant_id)
    return form_records(participant)


@router.post("/{participant_id}/forms/{visit}/{form}", response=responses(FormOut, lookup=True, conflict=True), auth=Requires(DATA_ENTER),
             summary="Enter or change one form of one visit (refused before valid consent)")
def form_save(request: HttpRequest, participant_id: Path[IntKey], visit: Path[Annotated[str, bounded(40), NoControlCharacters]],
              form: Path[Annotated[str, bounded(100), NoControlCharacters]], body: FormIn) -> Any:
    participant = _participant(request, participant_id)
    return answer(lambda: services.save_form(
        permissions.actor_for(request.user, DATA_ENTER, participant.site.code), participant, visit=visit, form=form,
        values=body.values, expected_version=body.expected_version, reason=body.reason))


@router.get("/{participant_id}/eligibility", response=responses(EligibilityOut, lookup=True), auth=Requires(PARTICIPANT_VIEW),
            summary="Eligibility evaluated now, criterion by criterion, and the current signed decision")
def eligibility(request: HttpRequest, participant_id: Path[IntKey]) -> Any:
    participant = _participant(request, participant_id)
    return {"evaluation": state.evaluate(participant).as_json(), "decision": state.latest_decision(participant)}


@router.post("/{participant_id}/eligibility/sign", response=responses(DecisionOut, lookup=True), auth=Requires(ELIGIBILITY_SIGN),
             summary="The investigator signs the eligibility decision (meaning: approved)")
def eligibility_sign(request: HttpRequest, participant_id: Path[IntKey], body: SignIn) -> Any:
    participant = _participant(request, participant_id)
    return answer(lambda: services.sign_eligibility(
        permissions.actor_for(request.user, ELIGIBILITY_SIGN, participant.site.code), participant, password=body.password,
        comment=body.comment))


@router.get("/{participant_id}/consents", response=responses(list[ConsentOut], lookup=True), auth=Requires(PARTICIPANT_VIEW),
            summary="Consent and assent records")
def consents(request: HttpRequest, participant_id: Path[IntKey]) -> Any:
    return ConsentRecord.objects.filter(participant=_participant(request, participant_id)).order_by("obtained_at", "id")


@router.post("/{participant_id}/consents", response=responses(ConsentOut, lookup=True), auth=Requires(CONSENT_RECORD),
             summary="Record a guardian's consent or the child's assent, with a scan or the obtainer's e-signature")
def consent_add(request: HttpRequest, participant_id: Path[IntKey], body: ConsentIn) -> Any:
    participant = _participant(request, participant_id)

    def call() -> Any:
        scan = _decode(body.scan_base64, "scan_base64") if body.scan_base64 else None
        return services.record_consent(
            permissions.actor_for(request.user, CONSENT_RECORD, participant.site.code), participant, services.ConsentInput(
                kind=body.kind, document_id=body.document_id, obtained_at=body.obtained_at,
                guardian_slot=body.guardian_slot, method=body.method, outcome=body.outcome,
                not_obtainable_reason=body.not_obtainable_reason, guardian_can_read=body.guardian_can_read,
                witness_name=body.witness_name), scan=scan, password=body.password, comment=body.comment)

    return answer(call)


def _consent_record(request: HttpRequest, pk: int) -> ConsentRecord:
    return get_object_or_404(permissions.scope(ConsentRecord.objects.select_related("site", "participant"),
                                               request.user, PARTICIPANT_VIEW), pk=pk)


@router.post("/consents/{consent_id}/sign", response=responses(ConsentOut, lookup=True), auth=Requires(CONSENT_RECORD),
             summary="The person who obtained the consent signs its record (meaning: authored)")
def consent_sign(request: HttpRequest, consent_id: Path[IntKey], body: SignIn) -> Any:
    record = _consent_record(request, consent_id)

    def call() -> Any:
        services.sign_consent(permissions.actor_for(request.user, CONSENT_RECORD, record.site.code), record, password=body.password,
                              comment=body.comment)
        return record

    return answer(call)


@router.post("/consents/{consent_id}/scan", response=responses(ConsentOut, lookup=True, conflict=True), auth=Requires(CONSENT_RECORD),
             summary="Attach the scan of the signed paper form (stored encrypted)")
def consent_scan(request: HttpRequest, consent_id: Path[IntKey], body: ScanIn) -> Any:
    record = _consent_record(request, consent_id)
    return answer(lambda: services.attach_scan(permissions.actor_for(request.user, CONSENT_RECORD, record.site.code), record,
                                                       _decode(body.scan_base64, "scan_base64"), reason=body.reason))


@router.post("/{participant_id}/dissents", response=responses(DissentOut, lookup=True), auth=Requires(DISSENT_RECORD),
             summary="Record the child's dissent: procedures pause")
def dissent_add(request: HttpRequest, participant_id: Path[IntKey], body: DissentIn) -> Any:
    participant = _participant(request, participant_id)
    return answer(lambda: services.record_dissent(
        permissions.actor_for(request.user, DISSENT_RECORD, participant.site.code), participant, occurred_at=body.occurred_at,
        context=body.context, description=body.description))


@router.post("/dissents/{dissent_id}/resolve", response=responses(DissentOut, lookup=True, conflict=True), auth=Requires(DISSENT_RESOLVE),
             summary="An investigator resumes procedures after a dissent")
def dissent_resolve(request: HttpRequest, dissent_id: Path[IntKey], body: ResolveIn) -> Any:
    dissent = get_object_or_404(permissions.scope(Dissent.objects.select_related("site"), request.user,
                                                  PARTICIPANT_VIEW), pk=dissent_id)
    return answer(lambda: services.resolve_dissent(permissions.actor_for(request.user, DISSENT_RESOLVE, dissent.site.code),
                                                           dissent, note=body.note))


@router.post("/{participant_id}/withdrawal", response=responses(WithdrawalOut, lookup=True), auth=Requires(WITHDRAW),
             summary="Withdraw, with its scope and whether the data so far may be used")
def withdrawal(request: HttpRequest, participant_id: Path[IntKey], body: WithdrawIn) -> Any:
    participant = _participant(request, participant_id)
    return answer(lambda: services.withdraw(
        permissions.actor_for(request.user, WITHDRAW, participant.site.code), participant, withdrawn_on=body.withdrawn_on,
        requested_by=body.requested_by, scope=body.scope, data_use_allowed=body.data_use_allowed,
        reason=body.reason))


@router.post("/{participant_id}/enrol", response=responses(ParticipantOut, lookup=True), auth=Requires(ENROL),
             summary="Enrol an eligible, consented child in the open cohort (the reason when refused)")
def enrol(request: HttpRequest, participant_id: Path[IntKey], body: EnrolIn) -> Any:
    participant = _participant(request, participant_id)
    return answer(lambda: services.enrol(permissions.actor_for(request.user, ENROL, participant.site.code), participant,
                                                day0=body.day0))


@router.post("/{participant_id}/dosing-day", response=responses(ParticipantOut, lookup=True, conflict=True), auth=Requires(SCHEDULE),
             summary="Set or move the dosing day; later visits are rescheduled")
def dosing_day(request: HttpRequest, participant_id: Path[IntKey], body: DosingDayIn) -> Any:
    participant = _participant(request, participant_id)
    return answer(lambda: services.set_dosing_day(
        permissions.actor_for(request.user, SCHEDULE, participant.site.code), participant, day0=body.day0,
        expected_version=body.expected_version, reason=body.reason))


@router.post("/{participant_id}/dosed", response=responses(ParticipantOut, lookup=True, conflict=True), auth=Requires(DOSING_RECORD),
             summary="Record the dosing (Day 0)")
def dosed(request: HttpRequest, participant_id: Path[IntKey], body: DosedIn) -> Any:
    participant = _participant(request, participant_id)
    return answer(lambda: services.record_dosing(permissions.actor_for(request.user, DOSING_RECORD, participant.site.code),
                                                         participant, dosed_on=body.dosed_on))


@router.post("/{participant_id}/rescreen", response=responses(ParticipantOut, lookup=True), auth=Requires(SCREEN),
             summary="Open a new screening attempt for a screen failure, linked to it")
def rescreen(request: HttpRequest, participant_id: Path[IntKey], body: RescreenIn) -> Any:
    participant = _participant(request, participant_id)
    return answer(lambda: services.rescreen(permissions.actor_for(request.user, SCREEN, participant.site.code), participant,
                                                    screened_on=body.screened_on, reason=body.reason))


@router.get("/{participant_id}/visits", response=responses(list[VisitOut], lookup=True), auth=Requires(PARTICIPANT_VIEW),
            summary="The participant's visit calendar")
def visits(request: HttpRequest, participant_id: Path[IntKey]) -> Any:
    return Visit.objects.filter(participant=_participant(request, participant_id)).order_by("order")


@router.post("/visits/{visit_id}", response=responses(VisitOut, lookup=True, conflict=True), auth=Requires(SCHEDULE),
             summary="Record that a visit took place (or was missed)")
def visit_record(request: HttpRequest, visit_id: Path[IntKey], body: VisitIn) -> Any:
    visit = get_object_or_404(permissions.scope(Visit.objects.select_related("site", "participant"), request.user,
                                                PARTICIPANT_VIEW), pk=visit_id)
    return answer(lambda: services.record_visit(
        permissions.actor_for(request.user, SCHEDULE, visit.site.code), visit, actual_date=body.actual_date, missed=body.missed,
        expected_version=body.expected_version, reason=body.reason))
