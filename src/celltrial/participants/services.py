"""Participants services: the named operations of screening, the vault, eligibility, consent,
enrolment and the visit calendar. Each checks the permission inside, accepts only its fields,
validates, and writes the record and its audit entry in one transaction (``audit.operations``).

Pre-screening and screening: :func:`log_prescreening`, :func:`screen_child`, :func:`rescreen`.
The vault: :func:`edit_identity`, :func:`reveal_identity`, :func:`rotate_vault_key`.
Screening data and eligibility: :func:`save_form`, :func:`sign_eligibility`.
Consent: :func:`add_consent_document`, :func:`record_consent`, :func:`sign_consent`, :func:`attach_scan`,
:func:`record_dissent`, :func:`resolve_dissent`, :func:`withdraw`.
Enrolment and visits: :func:`enrol`, :func:`set_dosing_day`, :func:`record_dosing`, :func:`record_visit`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from celltrial.accounts import signatures
from celltrial.accounts.models import Signature
from celltrial.accounts.permissions import actor_may, has_perm
from celltrial.accounts.roles import PII_VIEW
from celltrial.audit.models import Action
from celltrial.audit.operations import Create, Update, tracked
from celltrial.audit.trail import record_event
from celltrial.capture.interface import save_form as capture_save_form
from celltrial.core.actor import Actor
from celltrial.core.canonical import content_hash
from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.escalation.interface import dosing_refusal, open_cohort
from celltrial.identifiers.formats import format_screening_number, format_subject_id
from celltrial.participants import state, vault
from celltrial.participants.messages import CONSENT_PROBLEMS, ID_PROBLEMS, REFUSALS
from celltrial.participants.models import (
    IDENTITY_FIELDS,
    ConsentDocument,
    ConsentRecord,
    Dissent,
    EligibilityDecision,
    Identity,
    IdType,
    Participant,
    PreScreening,
    Status,
    Visit,
    VisitStatus,
    Withdrawal,
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
    IDENTITY_EDIT,
    PRESCREEN,
    SCHEDULE,
    SCREEN,
    WITHDRAW,
)
from celltrial.participants.rules import idcard, windows
from celltrial.study.interface import site as site_by_code
from celltrial.study.interface import site_numbers

# --- the operations ----------------------------------------------------------------------------------

_log_prescreening = Create("log_prescreening", PreScreening, permission=PRESCREEN, fields=(
    "site", "number", "logged_on", "referral_source", "age_band", "outcome", "outcome_reason"))
edit_prescreening = Update("edit_prescreening", PreScreening, permission=PRESCREEN, fields=(
    "logged_on", "referral_source", "age_band", "outcome", "outcome_reason"))
_record_identity = Create("record_identity", Identity, permission=SCREEN, fields=(
    "site", *IDENTITY_FIELDS, "id_number_index", "key_id"))
_edit_identity = Update("edit_identity", Identity, permission=IDENTITY_EDIT, fields=(
    *IDENTITY_FIELDS, "id_number_index", "key_id"))
# Re-encryption under a new vault key: the platform only (``celltrial keys rotate``).
_rekey_identity = Update("rekey_identity", Identity, permission=IDENTITY_EDIT, fields=("key_id",))
_rekey_consent = Update("rekey_consent_record", ConsentRecord, permission=CONSENT_RECORD, fields=(
    "key_id", "scan_file"))
_open_attempt = Create("open_screening", Participant, permission=SCREEN, fields=(
    "site", "identity", "screening_number", "screening_sequence", "rescreen_of", "prescreening", "screened_on",
    "consent_language"))
_create_decision = Create("evaluate_eligibility", EligibilityDecision, permission=ELIGIBILITY_SIGN, fields=(
    "site", "participant", "outcome", "snapshot", "snapshot_hash", "failing_criteria", "evaluated_at"))
_screen_fail = Update("record_screen_failure", Participant, permission=ELIGIBILITY_SIGN, fields=("status",))
_add_document = Create("add_consent_document", ConsentDocument, permission=CONSENT_DOCUMENT_MANAGE, fields=(
    "site", "kind", "language", "form_version", "ec_approved_on", "valid_from", "valid_until", "file_name",
    "file_sha256", "file_size"))
_record_consent = Create("record_consent", ConsentRecord, permission=CONSENT_RECORD, fields=(
    "site", "participant", "kind", "guardian_slot", "document", "obtained_at", "method", "outcome",
    "not_obtainable_reason", "guardian_can_read", "witness_name", "obtained_by", "scan_file", "scan_sha256",
    "scan_size", "key_id"))
_attach_scan = Update("attach_consent_scan", ConsentRecord, permission=CONSENT_RECORD, fields=(
    "scan_file", "scan_sha256", "scan_size", "key_id"))
_record_dissent = Create("record_dissent", Dissent, permission=DISSENT_RECORD, fields=(
    "site", "participant", "occurred_at", "context", "description"))
_pause = Update("pause_procedures", Participant, permission=DISSENT_RECORD, fields=("paused",))
_resolve_dissent = Update("resolve_dissent", Dissent, permission=DISSENT_RESOLVE, fields=(
    "resolved_at", "resolution", "resolution_note"))
_resume = Update("resume_procedures", Participant, permission=DISSENT_RESOLVE, fields=("paused",))
_withdraw = Create("withdraw", Withdrawal, permission=WITHDRAW, fields=(
    "site", "participant", "withdrawn_on", "requested_by", "scope", "data_use_allowed", "withdrawal_reason"))
_withdraw_status = Update("withdraw", Participant, permission=WITHDRAW, fields=("status", "paused"))
_close_dissent = Update("withdraw", Dissent, permission=WITHDRAW, fields=("resolved_at", "resolution",
                                                                         "resolution_note"))
_cancel_visit = Update("withdraw", Visit, permission=WITHDRAW, fields=("status",))
_enrol = Update("enrol", Participant, permission=ENROL, fields=(
    "status", "subject_id", "subject_sequence", "cohort", "dose_level", "enrolled_at", "day0"))
_plan_visit = Create("enrol", Visit, permission=ENROL, fields=(
    "site", "participant", "code", "order", "day", "target_date", "earliest", "latest", "actual_date", "status"))
_set_day0 = Update("set_dosing_day", Participant, permission=SCHEDULE, fields=("day0",))
_reschedule = Update("set_dosing_day", Visit, permission=SCHEDULE, fields=("target_date", "earliest", "latest"))
_record_dosing = Update("record_dosing", Participant, permission=DOSING_RECORD, fields=("day0", "dosed_on"))
_reschedule_on_dosing = Update("record_dosing", Visit, permission=DOSING_RECORD, fields=(
    "target_date", "earliest", "latest", "actual_date", "status"))
_record_visit = Update("record_visit", Visit, permission=SCHEDULE, fields=("actual_date", "status"))

DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
SCAN_MAX_BYTES = 20 * 1024 * 1024
TEXT_MAX = 200
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_LIKE = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")


# --- helpers ---------------------------------------------------------------------------------------


def _require(actor: Actor, permission: str, site_code: str) -> None:
    if not actor.is_system and not actor_may(actor, permission, site_code):
        raise AccessDenied(permission, site_code)


def _require_pii(actor: Actor, site_code: str) -> None:
    """Personal data needs the membership's PII grant at the participant's site."""
    if not actor.is_system and not has_perm(actor.user, PII_VIEW, site_code):
        raise AccessDenied(PII_VIEW, site_code)


def _site(site_code: str) -> Any:
    found = site_by_code(site_code)
    if found is None:
        raise ValidationFailed({"site": [_("There is no site %(code)s.") % {"code": site_code}]})
    return found


def _with_next_number(create: Callable[[int], Any], current_max: Callable[[], int | None]) -> Any:
    """Create a record numbered max + 1 per site; a concurrent writer taking the number makes us retry."""
    for _attempt in range(5):
        number = (current_max() or 0) + 1
        try:
            with transaction.atomic():
                return create(number)
        except IntegrityError:
            continue
    raise ValidationFailed(_("Another record took this number at the same moment; try again."))


def _no_personal_data(field_name: str, text: str) -> None:
    """Free text in clinical records (reasons, contexts) must not carry phone or ID-card numbers."""
    if _PHONE.search(text) or _ID_LIKE.search(text):
        raise ValidationFailed({field_name: [_(
            "This text looks like it contains a phone or ID-card number. Personal data belongs in the identity "
            "vault only.")]})


def _bounded(field_name: str, text: str, limit: int, *, required: bool = False) -> str:
    value = (text or "").strip()
    if required and not value:
        raise ValidationFailed({field_name: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationFailed({field_name: [_("At most %(max)s characters.") % {"max": limit}]})
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise ValidationFailed({field_name: [_("Remove the control characters from this text.")]})
    return value


def _not_future(field_name: str, day: dt.date, today: dt.date) -> None:
    if day > today:
        raise ValidationFailed({field_name: [_("This date is in the future (today at the site is %(today)s).") % {
            "today": today.isoformat()}]})


def _refuse_entry(participant: Participant, visit: str | None, today: dt.date) -> None:
    reason = state.entry_refusal(participant, visit, today=today)
    if reason:
        raise ValidationFailed(str(REFUSALS[reason]))


# --- pre-screening -------------------------------------------------------------------------------------


def log_prescreening(actor: Actor, *, site_code: str, logged_on: dt.date, referral_source: str, age_band: str,
                     outcome: str, reason: str = "") -> PreScreening:
    site = _site(site_code)
    _require(actor, PRESCREEN, site.code)
    _not_future("logged_on", logged_on, state.site_today(site.code))
    reason = _bounded("reason", reason, 500)
    _no_personal_data("reason", reason)

    def current() -> int | None:
        return PreScreening.objects.filter(site=site).order_by("-number").values_list("number", flat=True).first()

    return _with_next_number(lambda n: _log_prescreening(
        actor, site=site, number=n, logged_on=logged_on, referral_source=referral_source, age_band=age_band,
        outcome=outcome, outcome_reason=reason), current)


# --- the identity vault ----------------------------------------------------------------------------------


def clean_identity(values: Mapping[str, Any], *, site_code: str, exclude_pk: int | None = None) -> dict[str, Any]:
    """Check the identity fields; raise ValidationFailed naming each wrong field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    limits = {"full_name": 100, "date_of_birth": 10, "sex": 1, "id_type": 16, "id_number": 32, "address": 300,
              "guardian1_name": 100, "guardian1_relationship": 40, "guardian1_phone": 32,
              "guardian2_name": 100, "guardian2_relationship": 40, "guardian2_phone": 32}
    required = {"full_name", "date_of_birth", "sex", "guardian1_name", "guardian1_relationship", "guardian1_phone"}
    for name in IDENTITY_FIELDS:
        raw = values.get(name, "")
        text = "" if raw is None else str(raw).strip()
        if name in required and not text:
            errors.setdefault(name, []).append(_("This field is required."))
        if len(text) > limits[name]:
            errors.setdefault(name, []).append(_("At most %(max)s characters.") % {"max": limits[name]})
        if any(ord(c) < 32 or ord(c) == 0x7F for c in text):
            errors.setdefault(name, []).append(_("Remove the control characters from this text."))
        cleaned[name] = text
    cleaned["id_type"] = cleaned["id_type"] or IdType.RESIDENT
    if cleaned["id_type"] not in IdType.values:
        errors.setdefault("id_type", []).append(_("Choose one of the listed answers."))
    dob = None
    if cleaned["date_of_birth"]:
        try:
            dob = dt.date.fromisoformat(cleaned["date_of_birth"])
        except ValueError:
            errors.setdefault("date_of_birth", []).append(_("Enter a date as YYYY-MM-DD."))
        else:
            if dob > state.site_today(site_code):
                errors.setdefault("date_of_birth", []).append(_("The date of birth is in the future."))
            cleaned["date_of_birth"] = dob.isoformat()
    if cleaned["sex"] and cleaned["sex"] not in ("1", "2"):
        errors.setdefault("sex", []).append(_("Choose one of the listed answers."))
    for slot in (1, 2):
        phone = cleaned[f"guardian{slot}_phone"]
        if phone and not re.fullmatch(r"\+?[0-9][0-9 \-]{5,30}", phone):
            errors.setdefault(f"guardian{slot}_phone", []).append(_("Enter a phone number: digits, spaces, '-' and a leading '+'."))
    if any(cleaned[f"guardian2_{k}"] for k in ("name", "relationship", "phone")) and not all(
            cleaned[f"guardian2_{k}"] for k in ("name", "relationship")):
        errors.setdefault("guardian2_name", []).append(_("A second guardian needs a name and a relationship."))
    index = ""
    if cleaned["id_number"]:
        if cleaned["id_type"] == IdType.RESIDENT:
            cleaned["id_number"] = idcard.normalise(cleaned["id_number"])
            for code in idcard.problems(cleaned["id_number"], dob=dob, sex=cleaned["sex"] or None):
                errors.setdefault("id_number", []).append(str(ID_PROBLEMS[code]))
        index = vault.keyring().blind_index(f"{cleaned['id_type']}:{cleaned['id_number']}")
        duplicate = Identity.objects.filter(id_number_index=index)
        if exclude_pk is not None:
            duplicate = duplicate.exclude(pk=exclude_pk)
        if duplicate.exists():
            errors.setdefault("id_number", []).append(_(
                "A child with this ID number is already in the vault: re-screen that child's earlier attempt "
                "instead of opening a new one."))
    if errors:
        raise ValidationFailed(errors)
    cleaned["id_number_index"] = index
    cleaned["key_id"] = vault.keyring().primary_id
    return cleaned


def _screening_number(site: Any, sequence: int) -> str:
    _number, p = state.protocol()
    numbers = site_numbers(p)
    if site.code not in numbers:
        raise ValidationFailed({"site": [_("Site %(code)s is not declared by the protocol in force.") % {
            "code": site.code}]})
    return format_screening_number(state.participant_rules(p).study_code, numbers[site.code], sequence)


def _open(actor: Actor, site: Any, identity: Identity, *, screened_on: dt.date, consent_language: str,
          rescreen_of: Participant | None = None, prescreening: PreScreening | None = None) -> Participant:
    def current() -> int | None:
        return Participant.objects.filter(site=site).order_by("-screening_sequence").values_list(
            "screening_sequence", flat=True).first()

    return _with_next_number(lambda n: _open_attempt(
        actor, site=site, identity=identity, screening_number=_screening_number(site, n), screening_sequence=n,
        rescreen_of=rescreen_of, prescreening=prescreening, screened_on=screened_on,
        consent_language=consent_language), current)


def screen_child(actor: Actor, *, site_code: str, identity: Mapping[str, Any], screened_on: dt.date,
                 consent_language: str = "zh-hans", prescreening: PreScreening | None = None) -> Participant:
    """Open a screening attempt: the child's identity goes into the vault, the attempt gets a screening number."""
    site = _site(site_code)
    _require(actor, SCREEN, site.code)
    _require_pii(actor, site.code)
    _not_future("screened_on", screened_on, state.site_today(site.code))
    if consent_language not in ("zh-hans", "en"):
        raise ValidationFailed({"consent_language": [_("Choose one of the listed answers.")]})
    if prescreening is not None:
        if prescreening.site_id != site.pk:
            raise ValidationFailed({"prescreening": [_("That pre-screening entry is from another site.")]})
        if prescreening.outcome != "invited":
            raise ValidationFailed({"prescreening": [_("Only a child invited to screening can be screened.")]})
        if Participant.objects.filter(prescreening=prescreening).exists():
            raise ValidationFailed({"prescreening": [_("That pre-screening entry already has a screening attempt.")]})
    cleaned = clean_identity(identity, site_code=site.code)
    with transaction.atomic():
        record = _record_identity(actor, site=site, **cleaned)
        return _open(actor, site, record, screened_on=screened_on, consent_language=consent_language,
                     prescreening=prescreening)


def rescreen(actor: Actor, participant: Participant, *, screened_on: dt.date, reason: str) -> Participant:
    """A new screening attempt for a child whose earlier attempt failed, linked to it."""
    _require(actor, SCREEN, participant.site.code)
    reason = _bounded("reason", reason, 1000, required=True)
    _no_personal_data("reason", reason)
    _not_future("screened_on", screened_on, state.site_today(participant.site.code))
    if participant.status != Status.SCREEN_FAILED:
        raise ValidationFailed(_("Only a screen failure can be re-screened."))
    if Participant.objects.filter(rescreen_of=participant).exists():
        raise ValidationFailed(_("This attempt has already been re-screened."))
    with transaction.atomic():
        new = _open(actor, participant.site, participant.identity, screened_on=screened_on,
                    consent_language=participant.consent_language, rescreen_of=participant)
        record_event(actor, Action.UPDATE, object_type="participants.participant", object_id=str(participant.pk),
                     object_repr=str(participant), changes={"rescreened_as": [None, new.screening_number]},
                     reason=reason, stream=participant.audit_stream(), site_code=participant.site.code)
    return new


def reveal_identity(actor: Actor, participant: Participant) -> Identity:
    """The vault record, for a person holding the PII grant at the participant's site."""
    _require_pii(actor, participant.site.code)
    return Identity.objects.get(pk=participant.identity_id)


def edit_identity(actor: Actor, participant: Participant, changes: Mapping[str, Any], *, expected_version: int,
                  reason: str) -> Any:
    _require_pii(actor, participant.site.code)
    identity = Identity.objects.get(pk=participant.identity_id)
    merged = {name: getattr(identity, name) for name in IDENTITY_FIELDS}
    unknown = sorted(set(changes) - set(IDENTITY_FIELDS))
    if unknown:
        raise ValidationFailed({name: [_("%(field)s cannot be set by %(operation)s.") % {
            "field": name, "operation": "edit_identity"}] for name in unknown})
    merged.update(changes)
    cleaned = clean_identity(merged, site_code=participant.site.code, exclude_pk=identity.pk)
    with transaction.atomic():
        saved = _edit_identity(actor, identity, cleaned, expected_version=expected_version, reason=reason)
        if saved.changed:
            for attempt in identity.attempts.all():
                refresh_staleness(actor, attempt)
    return saved


# --- screening data and eligibility -------------------------------------------------------------------------


def save_form(actor: Actor, participant: Participant, *, visit: str, form: str, values: Mapping[str, Any],
              expected_version: int | None = None, reason: str = "", repeat: int = 1) -> Any:
    """Enter (or change) one screening-room form of one visit through the capture room (which owns the form
    records). Refused until valid consent exists, while procedures are paused, after withdrawal, and
    after the visit at which re-consent is due. Complete when nothing required is missing, else a draft."""
    _require(actor, DATA_ENTER, participant.site.code)
    _number, p = state.protocol()
    try:
        visit_def = p.visit(visit)
    except KeyError:
        raise ValidationFailed({"visit": [_("The protocol has no visit %(code)s.") % {"code": visit}]}) from None
    form_defs = {f.name: f for f in state.entered_forms(p, visit)}
    if form not in form_defs:
        raise ValidationFailed({"form": [_("Form %(form)s is not entered at visit %(visit)s.") % {
            "form": form, "visit": visit_def.code}]})
    if not 1 <= repeat <= (99 if form_defs[form].repeating else 1):
        raise ValidationFailed({"repeat": [_("This form is entered once per visit.")]})
    if visit != "SCR" and participant.status != Status.ENROLLED:
        raise ValidationFailed({"visit": [_("Only the screening visit is entered before enrolment.")]})
    today = state.site_today(participant.site.code)
    _refuse_entry(participant, visit, today)
    with transaction.atomic():
        record = capture_save_form(actor, participant, visit=visit, form=form, values=values,
                                   expected_version=expected_version, reason=reason, repeat=repeat, complete=None)
    return record  # the eligibility decision's staleness is refreshed by the capture room's save subscribers


def _snapshot(participant: Participant, evaluation: Any, number: int) -> dict[str, Any]:
    return {"participant": participant.screening_number, "protocol_version": number,
            "evaluation": evaluation.as_json()}


def refresh_staleness(actor: Actor, participant: Participant) -> EligibilityDecision | None:
    """Mark the current signed decision stale when a value it used has changed since it was signed."""
    decision = state.latest_decision(participant)
    if decision is None or decision.stale_at is not None:
        return None
    now = state.evaluate(participant).inputs()
    signed = decision.snapshot.get("evaluation", {}).get("inputs", {})
    from celltrial.participants.rules.eligibility import changed_inputs

    changed = changed_inputs(signed, now)
    if not changed:
        return None
    with tracked(actor, decision, reason=gettext_noop("a value the eligibility decision used has changed")) as d:
        d.stale_at = timezone.now()
        d.stale_changes = {ref: list(pair) for ref, pair in changed.items()}
    return decision


def sign_eligibility(actor: Actor, participant: Participant, *, password: str, comment: str = "") -> EligibilityDecision:
    """The investigator signs the eligibility decision (meaning "approved") on a frozen snapshot."""
    _require(actor, ELIGIBILITY_SIGN, participant.site.code)
    if participant.status != Status.SCREENING:
        raise ValidationFailed(_("Eligibility is decided during screening only (this attempt is %(status)s).") % {
            "status": participant.get_status_display()})
    if participant.paused:
        raise ValidationFailed(str(REFUSALS["paused"]))
    number, _p = state.protocol()
    today = state.site_today(participant.site.code)
    evaluation = state.evaluate(participant, today=today)
    if evaluation.decision.value == "incomplete":
        raise ValidationFailed(_("The decision cannot be signed yet: these criteria are not evaluable: "
                                 "%(ids)s.") % {"ids": ", ".join(evaluation.not_evaluable)})
    snapshot = _snapshot(participant, evaluation, number)
    digest = content_hash(snapshot)
    with transaction.atomic():
        decision = participant.eligibility_decisions.filter(snapshot_hash=digest).order_by("-id").first()
        if decision is None or Signature.objects.filter(
                object_type="participants.eligibilitydecision", object_id=str(decision.pk)).exists():
            decision = _create_decision(
                actor, site=participant.site, participant=participant, outcome=evaluation.decision.value,
                snapshot=snapshot, snapshot_hash=digest, failing_criteria=evaluation.failing,
                evaluated_at=timezone.now())
    signatures.sign(actor, decision, password=password, meaning="approved", comment=comment)
    if decision.outcome == "not_eligible":
        current = Participant.objects.get(pk=participant.pk)
        _screen_fail(actor, current, {"status": Status.SCREEN_FAILED}, expected_version=current.version,
                     reason=gettext_noop("screen failure: criteria not met") + f" ({', '.join(decision.failing_criteria)})")
    return decision


# --- consent -------------------------------------------------------------------------------------------------


def _file_kind(content: bytes) -> str | None:
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def add_consent_document(actor: Actor, *, site_code: str, kind: str, language: str, version: str,
                         ec_approved_on: dt.date, valid_from: dt.date, valid_until: dt.date | None,
                         file_name: str, content: bytes) -> ConsentDocument:
    """A new approved version of a consent or assent form; its file is kept with its SHA-256."""
    site = _site(site_code)
    _require(actor, CONSENT_DOCUMENT_MANAGE, site.code)
    version = _bounded("version", version, 32, required=True)
    file_name = _bounded("file", re.sub(r"[^\w.\- ]", "_", file_name or "document.pdf"), 200, required=True)
    if not content:
        raise ValidationFailed({"file": [_("Choose the approved form as a PDF file.")]})
    if len(content) > DOCUMENT_MAX_BYTES:
        raise ValidationFailed({"file": [_("The file is larger than %(mb)s MB.") % {"mb": DOCUMENT_MAX_BYTES // 2**20}]})
    if _file_kind(content) != "pdf":
        raise ValidationFailed({"file": [_("The approved form must be a PDF file.")]})
    if valid_from < ec_approved_on:
        raise ValidationFailed({"valid_from": [_("A form cannot be valid before the ethics committee approved it.")]})
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed({"valid_until": [_("The end of validity is before its start.")]})
    if ConsentDocument.objects.filter(site=site, kind=kind, language=language, form_version=version).exists():
        raise ValidationFailed({"version": [_("This version of the form is already recorded.")]})
    digest = hashlib.sha256(content).hexdigest()
    path = vault.storage_dir("documents") / f"{digest}.pdf"
    if not path.exists():
        path.write_bytes(content)
    return _add_document(actor, site=site, kind=kind, language=language, form_version=version,
                         ec_approved_on=ec_approved_on, valid_from=valid_from, valid_until=valid_until,
                         file_name=file_name, file_sha256=digest, file_size=len(content))


def document_content(document: ConsentDocument) -> bytes:
    data = (vault.storage_dir("documents") / f"{document.file_sha256}.pdf").read_bytes()
    if hashlib.sha256(data).hexdigest() != document.file_sha256:
        raise ValidationFailed(_("The stored file no longer matches its recorded SHA-256."))
    return data


def _store_scan(content: bytes) -> tuple[str, str, int, str]:
    if len(content) > SCAN_MAX_BYTES:
        raise ValidationFailed({"scan": [_("The file is larger than %(mb)s MB.") % {"mb": SCAN_MAX_BYTES // 2**20}]})
    if _file_kind(content) is None:
        raise ValidationFailed({"scan": [_("Upload the signed form as a PDF, JPEG or PNG file.")]})
    ring = vault.keyring()
    name = f"{uuid.uuid4().hex}.bin"
    (vault.storage_dir("scans") / name).write_bytes(ring.encrypt(content))
    return name, hashlib.sha256(content).hexdigest(), len(content), ring.primary_id


def scan_content(actor: Actor, record: ConsentRecord) -> bytes:
    """The decrypted scan of a signed paper form (personal data: the PII grant is required)."""
    _require_pii(actor, record.site.code)
    if not record.scan_file:
        raise ValidationFailed(_("No scan is attached to this record."))
    data = vault.keyring().decrypt((vault.storage_dir("scans") / record.scan_file).read_bytes())
    if hashlib.sha256(data).hexdigest() != record.scan_sha256:
        raise ValidationFailed(_("The stored scan no longer matches its recorded SHA-256."))
    return data


@dataclass(frozen=True)
class ConsentInput:
    kind: str
    document_id: int
    obtained_at: dt.datetime
    guardian_slot: int | None = None
    method: str = "written"
    outcome: str = "given"
    not_obtainable_reason: str = ""
    guardian_can_read: bool = True
    witness_name: str = ""


def record_consent(actor: Actor, participant: Participant, data: ConsentInput, *, scan: bytes | None = None,
                   password: str | None = None, comment: str = "") -> ConsentRecord:
    """Record a guardian's consent or the child's assent, with a scan or the obtainer's e-signature.

    A record saved without either is kept (its evidence shows as missing) and can be signed or have
    its scan attached afterwards; a failed password leaves the record unsigned, nothing else.
    """
    site_code = participant.site.code
    _require(actor, CONSENT_RECORD, site_code)
    _require_pii(actor, site_code)
    if actor.user is None:
        raise ValidationFailed(_("Consent is obtained by a person: record it as the one who obtained it."))
    _n, p = state.protocol()
    rules_ = state.participant_rules(p)
    errors: dict[str, list[str]] = {}
    if participant.status not in (Status.SCREENING, Status.ENROLLED):
        raise ValidationFailed(_("Consent is not recorded for a participant who is %(status)s.") % {
            "status": participant.get_status_display()})
    document = ConsentDocument.objects.filter(pk=data.document_id, site=participant.site).first()
    if data.kind not in ("guardian", "assent"):
        errors["kind"] = [_("Choose one of the listed answers.")]
    if data.obtained_at.tzinfo is None:
        errors["obtained_at"] = [_("A time zone offset is required.")]
    today = state.site_today(site_code)
    obtained_on = state.site_date(data.obtained_at, site_code) if data.obtained_at.tzinfo else today
    if data.obtained_at.tzinfo and data.obtained_at > timezone.now() + dt.timedelta(minutes=5):
        errors["obtained_at"] = [_("This time is in the future.")]
    if document is None:
        errors["document"] = [_("Choose an approved form of this site.")]
    else:
        if document.kind != data.kind:
            errors["document"] = [_("This form is not of the kind recorded (guardian consent or child assent).")]
        elif document.language != participant.consent_language:
            errors["document"] = [_("This form is in another language than the participant's consent language.")]
        elif not (document.valid_from <= obtained_on and (document.valid_until is None or obtained_on <= document.valid_until)):
            errors["document"] = [_("This form version was not valid on the day consent was obtained.")]
    identity = Identity.objects.get(pk=participant.identity_id)
    if data.kind == "guardian":
        if data.guardian_slot not in (1, 2) or not getattr(identity, f"guardian{data.guardian_slot}_name", ""):
            errors["guardian_slot"] = [_("Choose a guardian recorded in the identity vault.")]
        if data.method != "written":
            errors["method"] = [_("A guardian's consent is written.")]
        if data.outcome not in ("given", "declined"):
            errors["outcome"] = [_("A guardian gives or declines consent.")]
    else:
        if data.method not in rules_.assent_methods:
            errors["method"] = [_("The protocol allows these assent methods: %(methods)s.") % {
                "methods": ", ".join(rules_.assent_methods)}]
        if data.outcome == "not_obtainable" and not data.not_obtainable_reason.strip():
            errors["not_obtainable_reason"] = [_("Say why assent could not be obtained.")]
    reason_text = _bounded("not_obtainable_reason", data.not_obtainable_reason, 1000)
    _no_personal_data("not_obtainable_reason", reason_text)
    witness = _bounded("witness_name", data.witness_name, 100)
    needs_witness = data.outcome == "given" and (
        (data.kind == "assent" and data.method in rules_.witness_for_assent_methods)
        or (data.kind == "guardian" and not data.guardian_can_read))
    if needs_witness and not witness:
        errors["witness_name"] = [_("A witness is required here: enter the witness's name.")]
    if errors:
        raise ValidationFailed(errors)
    stored = _store_scan(scan) if scan else ("", "", None, "")
    with transaction.atomic():
        record = _record_consent(
            actor, site=participant.site, participant=participant, kind=data.kind,
            guardian_slot=data.guardian_slot if data.kind == "guardian" else None, document=document,
            obtained_at=data.obtained_at, method=data.method, outcome=data.outcome,
            not_obtainable_reason=reason_text, guardian_can_read=data.guardian_can_read, witness_name=witness,
            obtained_by=actor.user, scan_file=stored[0], scan_sha256=stored[1], scan_size=stored[2],
            key_id=vault.keyring().primary_id if (stored[0] or witness) else "")
        refresh_staleness(actor, participant)
    if password is not None and not scan:
        sign_consent(actor, record, password=password, comment=comment)
    return record


def sign_consent(actor: Actor, record: ConsentRecord, *, password: str, comment: str = "") -> Signature:
    """The person who obtained the consent signs the record (meaning "authored")."""
    _require(actor, CONSENT_RECORD, record.site.code)
    if actor.user is None or actor.user.pk != record.obtained_by_id:
        raise ValidationFailed(_("Only the person who obtained the consent signs its record."))
    with transaction.atomic():
        signature = signatures.sign(actor, record, password=password, meaning="authored", comment=comment)
        refresh_staleness(actor, record.participant)
    return signature


def attach_scan(actor: Actor, record: ConsentRecord, content: bytes, *, reason: str) -> ConsentRecord:
    _require(actor, CONSENT_RECORD, record.site.code)
    _require_pii(actor, record.site.code)
    name, digest, size, key = _store_scan(content)
    with transaction.atomic():
        saved = _attach_scan(actor, record, {"scan_file": name, "scan_sha256": digest, "scan_size": size,
                                             "key_id": key}, expected_version=record.version, reason=reason)
        refresh_staleness(actor, record.participant)
    return saved.instance


def record_dissent(actor: Actor, participant: Participant, *, occurred_at: dt.datetime, context: str,
                   description: str = "") -> Dissent:
    """The child dissents (says or shows no): procedures pause until an investigator resolves it."""
    _require(actor, DISSENT_RECORD, participant.site.code)
    context = _bounded("context", context, TEXT_MAX, required=True)
    description = _bounded("description", description, 1000)
    for name, text in (("context", context), ("description", description)):
        _no_personal_data(name, text)
    if occurred_at.tzinfo is None:
        raise ValidationFailed({"occurred_at": [_("A time zone offset is required.")]})
    if occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationFailed({"occurred_at": [_("This time is in the future.")]})
    with transaction.atomic():
        dissent = _record_dissent(actor, site=participant.site, participant=participant, occurred_at=occurred_at,
                                  context=context, description=description)
        current = Participant.objects.get(pk=participant.pk)
        if not current.paused:
            _pause(actor, current, {"paused": True}, expected_version=current.version,
                   reason=gettext_noop("the child dissented: procedures paused"))
    return dissent


def resolve_dissent(actor: Actor, dissent: Dissent, *, note: str) -> Dissent:
    """An investigator resumes procedures after the child's dissent, saying why."""
    _require(actor, DISSENT_RESOLVE, dissent.site.code)
    note = _bounded("resolution_note", note, 1000, required=True)
    _no_personal_data("resolution_note", note)
    if dissent.resolved_at is not None:
        raise ValidationFailed(_("This dissent is already resolved."))
    with transaction.atomic():
        saved = _resolve_dissent(actor, dissent, {"resolved_at": timezone.now(), "resolution": "resume",
                                                  "resolution_note": note},
                                 expected_version=dissent.version, reason=note)
        participant = Participant.objects.get(pk=dissent.participant_id)
        if participant.paused and not participant.dissents.filter(resolved_at__isnull=True).exists():
            _resume(actor, participant, {"paused": False}, expected_version=participant.version, reason=note)
    return saved.instance


def withdraw(actor: Actor, participant: Participant, *, withdrawn_on: dt.date, requested_by: str, scope: str,
             data_use_allowed: bool, reason: str) -> Withdrawal:
    """Withdrawal with its scope: stop the product, stop visits, or stop all data collection; and
    whether the data so far may be used. It stops what it must: later visits are cancelled."""
    site_code = participant.site.code
    _require(actor, WITHDRAW, site_code)
    reason = _bounded("reason", reason, 1000, required=True)
    _no_personal_data("reason", reason)
    _not_future("withdrawn_on", withdrawn_on, state.site_today(site_code))
    if scope not in ("product", "visits", "all"):
        raise ValidationFailed({"scope": [_("Choose one of the listed answers.")]})
    if participant.status in (Status.WITHDRAWN, Status.SCREEN_FAILED):
        raise ValidationFailed(_("This participant is already %(status)s.") % {"status": participant.get_status_display()})
    if Withdrawal.objects.filter(participant=participant).exists():
        raise ValidationFailed(_("A withdrawal is already recorded for this participant."))
    with transaction.atomic():
        record = _withdraw(actor, site=participant.site, participant=participant, withdrawn_on=withdrawn_on,
                           requested_by=requested_by, scope=scope, data_use_allowed=data_use_allowed,
                           withdrawal_reason=reason, reason=reason)
        current = Participant.objects.get(pk=participant.pk)
        # Product-only withdrawal: an enrolled child stays in follow-up. Otherwise, and always in screening, out.
        if scope != "product" or current.status == Status.SCREENING:
            _withdraw_status(actor, current, {"status": Status.WITHDRAWN, "paused": False},
                             expected_version=current.version, reason=reason)
        for dissent in current.dissents.filter(resolved_at__isnull=True):
            _close_dissent(actor, dissent, {"resolved_at": timezone.now(), "resolution": "withdraw",
                                            "resolution_note": reason}, expected_version=dissent.version,
                           reason=reason)
        if scope in ("visits", "all"):
            for visit in current.visits.filter(status=VisitStatus.SCHEDULED):
                _cancel_visit(actor, visit, {"status": VisitStatus.CANCELLED}, expected_version=visit.version,
                              reason=reason)
    return record


# --- enrolment and the calendar ---------------------------------------------------------------------------------


def enrolment_refusal(participant: Participant, *, today: dt.date | None = None) -> str | None:
    """Why this participant cannot be enrolled now, in words; None when enrolment is possible."""
    today = today or state.site_today(participant.site.code)
    if participant.status != Status.SCREENING:
        return _("Only a child in screening is enrolled (this attempt is %(status)s).") % {
            "status": participant.get_status_display()}
    if participant.paused:
        return str(REFUSALS["paused"])
    decision = state.latest_decision(participant)
    if decision is None or decision.outcome != "eligible":
        return _("No signed eligibility decision says this child is eligible.")
    if decision.stale_at is not None:
        return _("The eligibility decision is stale: a value it used has changed. The investigator must sign again.")
    if not Signature.objects.filter(object_type="participants.eligibilitydecision", object_id=str(decision.pk),
                                    voided_at__isnull=True).exists():
        return _("The signature on the eligibility decision is void.")
    _n, p = state.protocol()
    consent = state.consent_state(participant, state.participant_rules(p), today)
    if not consent.valid:
        return " ".join(str(CONSENT_PROBLEMS[c]) for c in consent.problems) or str(REFUSALS["consent_missing"])
    if consent.due:
        return str(REFUSALS["reconsent_due"])
    if open_cohort(p) is None:
        return _("No cohort is open for enrolment.")
    return None


def _plan(p: Any, day0: dt.date | None) -> dict[str, windows.Planned | None]:
    rows = [(v.code, v.day, v.window.minus, v.window.plus) for v in p.visits]
    if day0 is None:
        return {code: None for code, *_rest in rows}
    return {planned.code: planned for planned in windows.plan(rows, day0)}


def enrol(actor: Actor, participant: Participant, *, day0: dt.date | None = None) -> Participant:
    """An eligible, consented child becomes a subject in the open cohort, with a visit calendar."""
    _require(actor, ENROL, participant.site.code)
    _number, p = state.protocol()
    today = state.site_today(participant.site.code)
    refusal = enrolment_refusal(participant, today=today)
    if refusal:
        raise ValidationFailed(refusal)
    cohort = open_cohort(p)
    assert cohort is not None
    if day0 is not None and day0 < participant.screened_on:
        raise ValidationFailed({"day0": [_("The dosing day cannot be before the screening date.")]})
    site_number = site_numbers(p)[participant.site.code]
    study_code = state.participant_rules(p).study_code
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)

        def existing() -> int | None:
            return Participant.objects.filter(site=current.site, subject_sequence__isnull=False).order_by(
                "-subject_sequence").values_list("subject_sequence", flat=True).first()

        def enrol_as(n: int) -> Participant:
            return _enrol(actor, current, {
                "status": Status.ENROLLED, "subject_id": format_subject_id(study_code, site_number, n),
                "subject_sequence": n, "cohort": cohort.number, "dose_level": cohort.dose_level,
                "enrolled_at": timezone.now(), "day0": day0}, expected_version=current.version,
                reason=gettext_noop("enrolled in the open cohort")).instance

        enrolled = _with_next_number(enrol_as, existing)
        planned = _plan(p, day0)
        for order, visit in enumerate(p.visits, start=1):
            plan = planned[visit.code]
            done = visit.code == "SCR"
            _plan_visit(actor, site=enrolled.site, participant=enrolled, code=visit.code, order=order, day=visit.day,
                        target_date=plan.target if plan else None, earliest=plan.earliest if plan else None,
                        latest=plan.latest if plan else None, actual_date=participant.screened_on if done else None,
                        status=VisitStatus.DONE if done else VisitStatus.SCHEDULED)
    return enrolled


def _reschedule_visits(actor: Actor, participant: Participant, day0: dt.date, operation: Update[Visit], reason: str,
                       *, dosed_on: dt.date | None = None) -> None:
    _n, p = state.protocol()
    planned = _plan(p, day0)
    for visit in participant.visits.all():
        plan = planned.get(visit.code)
        if plan is None:
            continue
        changes: dict[str, Any] = {}
        if visit.status == VisitStatus.SCHEDULED or visit.code == "SCR":
            changes = {"target_date": plan.target, "earliest": plan.earliest, "latest": plan.latest}
        if dosed_on is not None and visit.code == "D0":
            changes.update({"actual_date": dosed_on, "status": VisitStatus.DONE})
        if changes:
            operation(actor, visit, changes, expected_version=visit.version, reason=reason)


def set_dosing_day(actor: Actor, participant: Participant, *, day0: dt.date, expected_version: int,
                   reason: str) -> Participant:
    """Set or move the planned dosing day; the visits not yet done are rescheduled around it."""
    _require(actor, SCHEDULE, participant.site.code)
    if participant.status != Status.ENROLLED:
        raise ValidationFailed(_("Only an enrolled participant has a dosing day."))
    if participant.dosed_on is not None:
        raise ValidationFailed(_("The participant was dosed on %(day)s; the dosing day no longer moves.") % {
            "day": participant.dosed_on.isoformat()})
    if state.withdrawal_scope(participant) is not None:
        raise ValidationFailed(_("The participant is withdrawn from the study product."))
    if day0 < participant.screened_on:
        raise ValidationFailed({"day0": [_("The dosing day cannot be before the screening date.")]})
    with transaction.atomic():
        saved = _set_day0(actor, participant, {"day0": day0}, expected_version=expected_version, reason=reason)
        if saved.changed:
            _reschedule_visits(actor, saved.instance, day0, _reschedule, reason)
    return saved.instance


def record_dosing(actor: Actor, participant: Participant, *, dosed_on: dt.date) -> Participant:
    """Record that the child was dosed (Day 0); later visits are rescheduled from that day."""
    _require(actor, DOSING_RECORD, participant.site.code)
    if participant.status != Status.ENROLLED:
        raise ValidationFailed(_("Only an enrolled participant is dosed."))
    if participant.dosed_on is not None:
        raise ValidationFailed(_("The dosing is already recorded."))
    if state.withdrawal_scope(participant) is not None:
        raise ValidationFailed(_("The participant is withdrawn from the study product."))
    today = state.site_today(participant.site.code)
    _not_future("dosed_on", dosed_on, today)
    if dosed_on < participant.screened_on:
        raise ValidationFailed({"dosed_on": [_("The dosing day cannot be before the screening date.")]})
    _refuse_entry(participant, "D0", today)
    refusal = dosing_refusal(participant, dosed_on)  # sentinel and stagger (the escalation room's rule)
    if refusal is not None:
        # The rule's reason usually names the first allowed day already; say it only when it does not.
        day = refusal.allowed_from.isoformat() if refusal.allowed_from else ""
        after = _(" Dosing is allowed from %(day)s.") % {"day": day} if day and day not in refusal.reason else ""
        raise ValidationFailed({"dosed_on": [_("Dosing on %(day)s is refused: %(reason)s") % {
            "day": dosed_on.isoformat(), "reason": refusal.reason} + after]})
    reason = gettext_noop("dosing recorded")
    with transaction.atomic():
        saved = _record_dosing(actor, participant, {"day0": dosed_on, "dosed_on": dosed_on},
                               expected_version=participant.version, reason=reason)
        _reschedule_visits(actor, saved.instance, dosed_on, _reschedule_on_dosing, reason, dosed_on=dosed_on)
    return saved.instance


def record_visit(actor: Actor, visit: Visit, *, actual_date: dt.date | None, missed: bool = False,
                 expected_version: int, reason: str = "") -> Visit:
    """The visit took place on ``actual_date`` (or was missed); an out-of-window date is flagged, not refused."""
    _require(actor, SCHEDULE, visit.site.code)
    participant = visit.participant
    today = state.site_today(visit.site.code)
    if missed == (actual_date is not None):
        raise ValidationFailed({"actual_date": [_("Enter the date of the visit, or mark it missed.")]})
    if actual_date is not None:
        _not_future("actual_date", actual_date, today)
    _refuse_entry(participant, visit.code, today)
    changes = {"actual_date": actual_date, "status": VisitStatus.MISSED if missed else VisitStatus.DONE}
    return _record_visit(actor, visit, changes, expected_version=expected_version,
                         reason=reason or gettext_noop("visit recorded")).instance


# --- key rotation --------------------------------------------------------------------------------------------------


@dataclass
class RotationResult:
    old_primary: str
    new_primary: str
    identities: int = 0
    consent_records: int = 0
    scans: int = 0
    remaining: dict[str, int] = field(default_factory=dict)


def _rows_to_rekey(ring: vault.KeyRing) -> tuple[list[int], list[int]]:
    identities = list(Identity.objects.exclude(key_id=ring.primary_id).order_by("pk").values_list("pk", flat=True))
    records = list(ConsentRecord.objects.exclude(key_id__in=("", ring.primary_id)).order_by("pk")
                   .values_list("pk", flat=True))
    return identities, records


def rotate_vault_key(actor: Actor, *, progress: Callable[[Iterable[Any], int], Iterable[Any]] | None = None,
                     batch_size: int = 200, new_key: bool = True) -> RotationResult:
    """Put a new key first and re-encrypt every vault row and scan under it, in batches.

    Readers keep working throughout: the old keys stay in the key file, so a row is readable before,
    during and after its re-encryption. Each row's re-encryption is an audited change of its
    ``key_id`` only (its personal values do not change, so none is recorded as changed), and one
    summary event on the stream ``participants.vault:keys`` records the rotation. Run again with
    ``new_key=False`` to finish an interrupted rotation.
    """
    old = vault.keyring().primary_id
    ring = vault.add_primary_key() if new_key else vault.keyring()
    result = RotationResult(old, ring.primary_id)
    identities, records = _rows_to_rekey(ring)
    work: list[tuple[str, int]] = [("identity", pk) for pk in identities] + [("consent", pk) for pk in records]
    items: Iterable[tuple[str, int]] = progress(work, len(work)) if progress else work
    reason = gettext_noop("vault key rotation: re-encrypted under the new key; no personal value changed")
    batch: list[tuple[str, int]] = []

    def flush() -> None:
        with transaction.atomic():
            for kind, pk in batch:
                if kind == "identity":
                    row = Identity.objects.get(pk=pk)
                    _rekey_identity(actor, row, {"key_id": ring.primary_id}, expected_version=row.version,
                                    reason=reason)
                    result.identities += 1
                else:
                    record = ConsentRecord.objects.get(pk=pk)
                    changes: dict[str, Any] = {"key_id": ring.primary_id}
                    if record.scan_file:
                        folder = vault.storage_dir("scans")
                        name = f"{uuid.uuid4().hex}.bin"
                        (folder / name).write_bytes(ring.rotate((folder / record.scan_file).read_bytes()))
                        changes["scan_file"] = name
                        result.scans += 1
                        # The file under the old key goes once the record points at the new one.
                        transaction.on_commit(functools.partial((folder / record.scan_file).unlink, missing_ok=True))
                    _rekey_consent(actor, record, changes, expected_version=record.version, reason=reason)
                    result.consent_records += 1
        batch.clear()

    for item in items:
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    identities_left, records_left = _rows_to_rekey(ring)
    result.remaining = {"identities": len(identities_left), "consent_records": len(records_left)}
    with transaction.atomic():
        record_event(actor, Action.UPDATE, object_type="participants.vaultkey", object_id=ring.primary_id,
                     object_repr=f"vault key {ring.primary_id}", stream="participants.vault:keys",
                     changes={"primary_key": [old, ring.primary_id],
                              "re_encrypted": [None, {"identities": result.identities,
                                                      "consent_records": result.consent_records,
                                                      "scans": result.scans}]},
                     reason=reason)
    return result


def key_usage() -> dict[str, int]:
    """How many vault rows each key id encrypted (a key still in use cannot be retired)."""
    usage: dict[str, int] = {}
    for kid in Identity.objects.values_list("key_id", flat=True):
        usage[kid] = usage.get(kid, 0) + 1
    for kid in ConsentRecord.objects.exclude(key_id="").values_list("key_id", flat=True):
        usage[kid] = usage.get(kid, 0) + 1
    return usage
