"""Safety services: the named operations on adverse events, obligations, the RSI, MedDRA and DLT adjudication.

Site (coordinator, investigator): :func:`report_ae`, :func:`record_follow_up`.
Investigator: :func:`assess_ae` (grade confirmation, seriousness, causality), :func:`decide_dlt`.
Sponsor (medical monitor): :func:`sponsor_assess`, :func:`record_submission`, :func:`add_rsi_version`,
:func:`load_meddra`, :func:`record_other_risk`, :func:`confirm_dlt`.
Platform (system actor, same transaction): :func:`sync_obligations`, :func:`refresh_dlt`; worker: :func:`notify_due`.
Reads: :func:`visible_aes`, :func:`suggest_grade`, :func:`obligation_rows`, :func:`dlt_state`.

Policy (docs/safety.md): the sponsor's first awareness of a serious case defaults to the day (in the
sponsor's time zone) the case became serious in celltrial — the sponsor's medical monitor sees the EDC at
once — unless the medical monitor records another date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from celltrial.accounts import permissions
from celltrial.accounts import signatures as esign
from celltrial.audit.operations import Create, Update
from celltrial.core.actor import Actor
from celltrial.core.canonical import jsonable
from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.labs import interface as labs
from celltrial.participants import interface as participants
from celltrial.safety import clocks
from celltrial.safety.ctcae import CLINICAL_TERMS, CtcaeInputError, resolve_term
from celltrial.safety.ctcae import suggest_grade as clinical_suggestion
from celltrial.safety.models import (
    ACTIONS,
    AESI,
    CAUSALITY,
    OUTCOMES,
    SERIOUSNESS,
    AdverseEvent,
    AeVersion,
    DltAdjudication,
    MeddraRelease,
    Obligation,
    RsiVersion,
    SafetyInformation,
    SafetyNotice,
    Submission,
)
from celltrial.safety.permissions import (
    AE_ASSESS,
    AE_ENTER,
    DLT_CONFIRM,
    DLT_DECIDE,
    MEDDRA_LOAD,
    OTHER_RISK_RECORD,
    REGULATORY_REPORT,
    RSI_MANAGE,
    SITE_REPORT,
    SPONSOR_ASSESS,
)
from celltrial.safety.rules import dlt as dlt_rules
from celltrial.safety.rules import expectedness as rsi_rules
from celltrial.safety.rules.errors import SafetyRuleError
from celltrial.safety.rules.meddra import MeddraDictionary, read_release
from celltrial.safety.rules.partial_dates import not_after, parse_partial
from celltrial.study import interface as study

# ---------------------------------------------------------------- the named operations

SITE_FIELDS = ("verbatim", "onset", "resolved", "ctcae_term", "findings", "grade_suggested", "grade_basis", "grade",
               "grade_confirmed", "seriousness", "site_aware_at", "sponsor_aware_on", "upgraded_on", "action_taken",
               "outcome", "aesi", "lot", "narrative", "meddra_version", "meddra_llt_code", "meddra_llt",
               "meddra_pt_code", "meddra_pt", "meddra_soc", "expected", "rsi_version", "expectedness_basis",
               "info_version")
_create_ae = Create("report_ae", AdverseEvent, permission=AE_ENTER, fields=(
    "participant", "site", "number", *SITE_FIELDS, "causality_investigator"))
_follow_up = Update("record_follow_up", AdverseEvent, permission=AE_ENTER, fields=SITE_FIELDS)
_assess = Update("assess_ae", AdverseEvent, permission=AE_ASSESS, fields=(*SITE_FIELDS, "causality_investigator"))
_sponsor_assess = Update("sponsor_assess", AdverseEvent, permission=SPONSOR_ASSESS, fields=(
    "causality_sponsor", "sponsor_aware_on", "upgraded_on", "expected", "rsi_version", "expectedness_basis",
    "info_version", "meddra_version", "meddra_llt_code", "meddra_llt", "meddra_pt_code", "meddra_pt", "meddra_soc"))
_VERSION_FIELDS = ("ae", "number", "kind", "received_on", "snapshot", "changes", "note")
_version_by = {
    AE_ENTER: Create("record_ae_version", AeVersion, permission=AE_ENTER, fields=_VERSION_FIELDS),
    AE_ASSESS: Create("record_ae_version", AeVersion, permission=AE_ASSESS, fields=_VERSION_FIELDS),
    SPONSOR_ASSESS: Create("record_ae_version", AeVersion, permission=SPONSOR_ASSESS, fields=_VERSION_FIELDS),
}
_create_obligation = Create("open_obligation", Obligation, permission=REGULATORY_REPORT, fields=(
    "ae", "information", "site", "kind", "recipient", "starts_at", "due_at", "time_zone", "rule", "citation"))
_update_obligation = Update("reclock_obligation", Obligation, permission=REGULATORY_REPORT, fields=(
    "starts_at", "due_at", "rule", "citation", "status"))
_meet_site = Update("record_submission", Obligation, permission=SITE_REPORT, fields=("status",))
_meet_regulatory = Update("record_submission", Obligation, permission=REGULATORY_REPORT, fields=("status",))
_SUBMISSION_FIELDS = ("obligation", "submitted_at", "recipient", "reference")
_submit_site = Create("record_submission", Submission, permission=SITE_REPORT, fields=_SUBMISSION_FIELDS)
_submit_regulatory = Create("record_submission", Submission, permission=REGULATORY_REPORT, fields=_SUBMISSION_FIELDS)
_create_rsi = Create("add_rsi_version", RsiVersion, permission=RSI_MANAGE, fields=(
    "rsi_version", "effective_from", "document", "expected"))
_create_meddra = Create("load_meddra", MeddraRelease, permission=MEDDRA_LOAD, fields=(
    "meddra_version", "path", "content_hash", "counts", "source"))
_create_info = Create("record_other_risk", SafetyInformation, permission=OTHER_RISK_RECORD, fields=(
    "title", "description", "sponsor_aware_on"))
_create_notice = Create("send_safety_notice", SafetyNotice, permission=REGULATORY_REPORT, fields=(
    "recipient", "obligation", "site", "moment", "subject", "body", "emailed"))
_create_dlt = Create("open_dlt_adjudication", DltAdjudication, permission=DLT_DECIDE, fields=(
    "participant", "site", "dosed_on", "window_end", "proposals"))
_refresh_dlt = Update("refresh_dlt_proposals", DltAdjudication, permission=DLT_DECIDE, fields=(
    "dosed_on", "window_end", "proposals"))
_decide_dlt = Update("decide_dlt", DltAdjudication, permission=DLT_DECIDE, fields=(
    "decision", "criteria_met", "dlt_aes", "comment"))

SYSTEM = "safety clocks"
# The platform's own reasons in the trail (translated when shown; docs: tests/web/test_zh_vocabulary.py).
REASON_RECLOCK = gettext_noop("the case's facts changed (follow-up)")
REASON_WITHDRAWN = gettext_noop("no longer required by the case's facts")
REASON_DLT_REFRESH = gettext_noop("adverse events or labs changed")
TEXT_MAX = 4000
REGULATOR = "NMPA/CDE, ethics committees, investigators"


def _system() -> Actor:
    return Actor.system(SYSTEM)


def sponsor_zone() -> ZoneInfo:
    return ZoneInfo(str(getattr(settings, "CELLTRIAL_SPONSOR_TZ", settings.CELLTRIAL_DEFAULT_SITE_TZ)))


def site_today(site: Any) -> dt.date:
    """Today at ``site`` (onset, resolution and follow-up dates are the site's calendar dates: at 00:30 in
    Beijing it is already tomorrow there, while the server's UTC date is still today)."""
    return timezone.now().astimezone(_site_zone(site)).date()


def _site_zone(site: Any) -> ZoneInfo:
    """The site's IANA time zone, as the study room declares it."""
    name = study.site_time_zones().get(getattr(site, "code", ""), "") or settings.CELLTRIAL_DEFAULT_SITE_TZ
    return ZoneInfo(name)


# ---------------------------------------------------------------- reads


def visible_aes(user: Any, permission: str = "safety.view") -> QuerySet[AdverseEvent]:
    return permissions.scope(AdverseEvent.objects.select_related("participant", "site"), user, permission)


@dataclass(frozen=True)
class Suggestion:
    grade: int | None
    basis: str
    source: str  # "clinical" | "lab" | ""


def _lab_key(point: Any) -> str | None:
    for name in (point.ctcae_term, point.analyte):
        if not name:
            continue
        try:
            return resolve_term(name)
        except CtcaeInputError:
            continue
    return None


def lab_series_by_term(participant: Any) -> dict[str, list[Any]]:
    """The participant's graded lab results grouped by CTCAE term key (through the labs room's interface)."""
    analytes: dict[str, set[str]] = {}
    for point in labs.abnormal_labs([participant]):
        key = _lab_key(point)
        if key is not None:
            analytes.setdefault(key, set()).add(point.analyte)
    grouped: dict[str, list[Any]] = {}
    for key, codes in analytes.items():
        series: list[Any] = []
        for analyte in sorted(codes):
            series.extend(labs.lab_series(participant, analyte))
        grouped[key] = sorted(series, key=lambda p: p.collected_at)
    return grouped


def suggest_grade(participant: Any, ctcae_term: str, *, findings: Sequence[str] = (), onset: str = "",
                  resolved: str = "") -> Suggestion:
    """A CTCAE grade suggestion: from the structured findings of a clinical term, or from the participant's lab
    series (the highest grade from the onset to the resolution, or to the latest result)."""
    if not ctcae_term:
        return Suggestion(None, "", "")
    try:
        key = resolve_term(ctcae_term)
    except CtcaeInputError as exc:
        raise ValidationFailed({"ctcae_term": [str(exc)]}) from None
    if key in CLINICAL_TERMS:
        if not findings:
            return Suggestion(None, _("Tick the findings to get a suggested grade."), "clinical")
        try:
            result = clinical_suggestion(key, findings)
        except CtcaeInputError as exc:
            raise ValidationFailed({"findings": [str(exc)]}) from None
        return Suggestion(result.grade, f"CTCAE v{result.version} {result.term_name}: {result.criterion}", "clinical")
    start = parse_partial(onset, "onset").earliest if onset else None
    end = parse_partial(resolved, "resolved").latest if resolved else None
    points = [p for p in lab_series_by_term(participant).get(key, []) if p.grade is not None
              and (start is None or p.collected_at.date() >= start) and (end is None or p.collected_at.date() <= end)]
    if not points:
        return Suggestion(None, _("No graded lab result of this term from the onset on."), "lab")
    worst = max(points, key=lambda p: (p.grade, p.collected_at))
    return Suggestion(worst.grade, f"CTCAE v{worst.ctcae_version or '5.0'}: {worst.label} {worst.value:g} {worst.unit} "
                                   f"on {worst.collected_at.date()} ({worst.visit or 'unscheduled'}) = grade {worst.grade}",
                      "lab")


def meddra_in_use() -> MeddraDictionary | None:
    release = MeddraRelease.objects.order_by("-id").first()
    if release is None:
        return None
    return _dictionary(release.path, release.content_hash)


_DICTIONARIES: dict[tuple[str, str], MeddraDictionary] = {}


def _dictionary(path: str, digest: str) -> MeddraDictionary | None:
    if (path, digest) not in _DICTIONARIES:
        file = Path(path)
        if not file.is_file():
            return None
        _DICTIONARIES[(path, digest)] = MeddraDictionary.from_json(json.loads(file.read_text("utf-8")))
    return _DICTIONARIES[(path, digest)]


# ---------------------------------------------------------------- validation


def _choice(name: str, value: str, choices: Sequence[tuple[str, Any]], *, blank: bool = False) -> str:
    if blank and not value:
        return ""
    if value not in {c for c, _label in choices}:
        raise ValidationFailed({name: [_("Choose one of: %(values)s.") % {"values": ", ".join(c for c, _l in choices)}]})
    return value


def _text(name: str, value: str, limit: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed({name: [_("This field is required.")]})
    if len(text) > limit:
        raise ValidationFailed({name: [_("At most %(n)s characters.") % {"n": limit}]})
    return text


def _clean(values: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Validate the fields a coordinator or investigator enters; errors name the field."""
    out = dict(values)
    errors: dict[str, list[str]] = {}
    if "verbatim" in out:
        out["verbatim"] = _text("verbatim", out["verbatim"], 200, required=True)
    for name in ("lot",):
        if name in out:
            out[name] = _text(name, out[name], 40)
    if "narrative" in out:
        out["narrative"] = _text("narrative", out["narrative"], TEXT_MAX)
    try:
        onset = parse_partial(out["onset"], "onset") if out.get("onset") else None
        if onset is not None and onset.earliest > today:
            errors["onset"] = [_("The onset date is in the future.")]
        if out.get("resolved"):
            resolved = parse_partial(out["resolved"], "resolved")
            if onset is not None and not not_after(onset, resolved):
                errors["resolved"] = [_("The resolution date is before the onset date.")]
            if resolved.earliest > today:
                errors["resolved"] = [_("The resolution date is in the future.")]
    except SafetyRuleError as exc:
        field = str(exc).split(":", 1)[0]
        errors[field] = [str(exc)]
    if "seriousness" in out:
        criteria = list(dict.fromkeys(out["seriousness"] or []))
        known = {c for c, _l in SERIOUSNESS}
        if set(criteria) - known:
            errors["seriousness"] = [_("Unknown seriousness criterion.")]
        out["seriousness"] = [c for c, _l in SERIOUSNESS if c in criteria]
    if "aesi" in out:
        flags = list(dict.fromkeys(out["aesi"] or []))
        if set(flags) - {c for c, _l in AESI}:
            errors["aesi"] = [_("Unknown category of special interest.")]
        out["aesi"] = [c for c, _l in AESI if c in flags]
    if out.get("grade") not in (None, ""):
        try:
            grade = int(out["grade"])
        except (TypeError, ValueError):
            grade = -1
        if not 1 <= grade <= 5:
            errors["grade"] = [_("A CTCAE grade is 1 to 5.")]
        else:
            out["grade"] = grade
    elif "grade" in out:
        out["grade"] = None
    if out.get("ctcae_term"):
        try:
            out["ctcae_term"] = resolve_term(out["ctcae_term"])
        except CtcaeInputError as exc:
            errors["ctcae_term"] = [str(exc)]
    for name, choices in (("action_taken", ACTIONS), ("outcome", OUTCOMES)):
        if name in out:
            try:
                out[name] = _choice(name, out[name], choices)
            except ValidationFailed as exc:
                errors.update(exc.errors)
    for name in ("causality_investigator", "causality_sponsor"):
        if name in out:
            try:
                out[name] = _choice(name, out[name] or "", CAUSALITY, blank=True)
            except ValidationFailed as exc:
                errors.update(exc.errors)
    aware = out.get("site_aware_at")
    if aware is not None and (not isinstance(aware, dt.datetime) or aware.tzinfo is None):
        errors["site_aware_at"] = [_("Give the date and time the site became aware, with its time zone.")]
    elif aware is not None and aware > timezone.now() + dt.timedelta(minutes=5):
        errors["site_aware_at"] = [_("The site cannot become aware in the future.")]
    if out.get("outcome") == "fatal" and "death" not in out.get("seriousness", ["death"]):
        errors["seriousness"] = [_("A fatal outcome makes the event serious: tick “results in death”.")]
    if errors:
        raise ValidationFailed(errors)
    return out


def _apply_meddra(values: dict[str, Any]) -> None:
    code = (values.get("meddra_llt_code") or "").strip()
    if "meddra_llt_code" not in values:
        return
    if not code:
        values.update(meddra_version="", meddra_llt="", meddra_pt_code="", meddra_pt="", meddra_soc="",
                      meddra_llt_code="")
        return
    book = meddra_in_use()
    if book is None:
        raise ValidationFailed({"meddra_llt_code": [
            _("No MedDRA release is loaded; enter the verbatim term only (the sponsor loads MedDRA).")]})
    try:
        path = book.code(code)
    except SafetyRuleError as exc:
        raise ValidationFailed({"meddra_llt_code": [str(exc)]}) from None
    values.update(meddra_version=path["version"], meddra_llt_code=code, meddra_llt=path["llt"],
                  meddra_pt_code=path["pt_code"], meddra_pt=path["pt"], meddra_soc=path["soc"])


def _auto_aesi(values: dict[str, Any]) -> None:
    """MSC adverse events of special interest: infusion reactions are flagged from the CTCAE term."""
    if values.get("ctcae_term") in ("infusion_related_reaction", "allergic_reaction", "anaphylaxis"):
        flags = list(values.get("aesi") or [])
        if "infusion_reaction" not in flags:
            values["aesi"] = [c for c, _l in AESI if c in {*flags, "infusion_reaction"}]


def rsi_versions() -> list[rsi_rules.RsiVersion]:
    return [rsi_rules.RsiVersion(r.rsi_version, r.effective_from, dict(r.expected)) for r in RsiVersion.objects.all()]


def _expectedness(values: Mapping[str, Any], on: dt.date | None) -> dict[str, Any]:
    """Expectedness against the RSI version in force at the sponsor's first awareness (else, provisionally, today)."""
    when = on or timezone.now().astimezone(sponsor_zone()).date()
    terms = [values.get("ctcae_term") or "", values.get("meddra_pt_code") or "", values.get("meddra_pt") or "",
             values.get("verbatim") or ""]
    try:
        result = rsi_rules.assess(rsi_versions(), on=when, terms=terms, grade=values.get("grade"))
    except SafetyRuleError as exc:
        return {"expected": None, "rsi_version": "",
                "expectedness_basis": f"{exc}; treated as unexpected until an RSI version is in force"}
    basis = result.reason if on else result.reason + " (provisional: the sponsor is not yet aware)"
    return {"expected": result.expected, "rsi_version": result.rsi_version, "expectedness_basis": basis}


def _next_number(participant: Any) -> int:
    top = AdverseEvent.objects.filter(participant=participant).aggregate(m=Max("number"))["m"]
    return (top or 0) + 1


def _sponsor_today() -> dt.date:
    return timezone.now().astimezone(sponsor_zone()).date()


def _suggestion_fields(participant: Any, values: dict[str, Any]) -> None:
    if "ctcae_term" in values or "findings" in values:
        findings = [str(f) for f in values.get("findings") or []]
        values["findings"] = findings
        suggestion = suggest_grade(participant, values.get("ctcae_term") or "", findings=findings,
                                   onset=values.get("onset") or "", resolved=values.get("resolved") or "")
        values["grade_suggested"] = suggestion.grade
        values["grade_basis"] = suggestion.basis


def report_ae(actor: Actor, participant: Any, *, verbatim: str, onset: str, ctcae_term: str = "",
              findings: Sequence[str] = (), grade: int | None = None, seriousness: Sequence[str] = (),
              site_aware_at: dt.datetime | None = None, action_taken: str = "not_applicable",
              outcome: str = "recovering", aesi: Sequence[str] = (), lot: str = "", narrative: str = "",
              resolved: str = "", meddra_llt_code: str = "", causality_investigator: str = "") -> AdverseEvent:
    """Enter a new adverse event (version 1). The grade a coordinator enters is unconfirmed until the
    investigator confirms it; the suggestion is stored beside it."""
    if causality_investigator and actor.role and actor.role != "investigator":
        raise AccessDenied(AE_ASSESS, participant.site.code)
    # Never refused for consent state, dissent or withdrawal: safety reporting continues (docs/safety.md).
    values = _clean({"verbatim": verbatim, "onset": onset, "resolved": resolved, "ctcae_term": ctcae_term,
                     "findings": list(findings), "grade": grade, "seriousness": list(seriousness),
                     "site_aware_at": site_aware_at or (timezone.now() if seriousness else None),
                     "action_taken": action_taken, "outcome": outcome, "aesi": list(aesi), "lot": lot,
                     "narrative": narrative, "meddra_llt_code": meddra_llt_code,
                     "causality_investigator": causality_investigator}, site_today(participant.site))
    _apply_meddra(values)
    _auto_aesi(values)
    _suggestion_fields(participant, values)
    if values["seriousness"]:
        values["sponsor_aware_on"] = _sponsor_today()
    values["grade_confirmed"] = bool(actor.role == "investigator" and values.get("grade") is not None)
    values.update(_expectedness(values, values.get("sponsor_aware_on")))
    with transaction.atomic():
        ae = _create_ae(actor, participant=participant, site=participant.site, number=_next_number(participant),
                        info_version=1, **values)
        _version(actor, AE_ENTER if actor.role != "investigator" else AE_ASSESS, ae, "initial",
                 site_today(participant.site), {}, "")
        sync_obligations(ae)
        _refresh_for(ae.participant)
    return ae


def _snapshot(ae: AdverseEvent) -> dict[str, Any]:
    values = ae.audited_values()
    return {k: v for k, v in values.items() if k not in ("participant_id", "site_id")}


def _version(actor: Actor, permission: str, ae: AdverseEvent, kind: str, received_on: dt.date,
             changes: Mapping[str, Any], note: str) -> AeVersion:
    return _version_by[permission](actor, ae=ae, number=ae.info_version, kind=kind, received_on=received_on,
                                   snapshot=_snapshot(ae), changes=jsonable(dict(changes)), note=note)


def _revise(actor: Actor, op: Update[AdverseEvent], permission: str, ae: AdverseEvent, changes: Mapping[str, Any], *,
            expected_version: int, reason: str, received_on: dt.date | None) -> AdverseEvent:
    """One follow-up: the changes, a new information version with its snapshot, the clocks re-derived."""
    values = _clean(dict(changes), site_today(ae.site))
    current = AdverseEvent.objects.get(pk=ae.pk)
    merged = {**{k: getattr(current, k) for k in SITE_FIELDS}, **values}
    _apply_meddra(values)
    if "meddra_llt_code" in values:
        merged.update({k: values[k] for k in values if k.startswith("meddra_")})
    _auto_aesi(merged)
    if "aesi" in values or merged.get("aesi") != current.aesi:
        values["aesi"] = merged["aesi"]
    if {"ctcae_term", "findings", "onset", "resolved"} & set(values):
        _suggestion_fields(current.participant, merged)
        values["grade_suggested"], values["grade_basis"] = merged["grade_suggested"], merged["grade_basis"]
        values.setdefault("findings", merged["findings"])
    if "grade" in values and op is not _assess:
        values["grade_confirmed"] = False
    serious_now = bool(merged.get("seriousness"))
    if serious_now and not current.serious:
        values.setdefault("site_aware_at", timezone.now())
        if current.sponsor_aware_on is None and "sponsor_aware_on" not in values:
            values["sponsor_aware_on"] = _sponsor_today()
    was_grave = current.fatal_or_life_threatening
    grave = bool({"death", "life-threatening"} & set(merged.get("seriousness") or [])) or merged.get("outcome") == "fatal"
    sponsor_aware = values.get("sponsor_aware_on", current.sponsor_aware_on)
    if grave and not was_grave and current.sponsor_aware_on is not None and "upgraded_on" not in values:
        values["upgraded_on"] = max(received_on or _sponsor_today(), current.sponsor_aware_on)
    if op is not _sponsor_assess:
        merged.update(values)
        values.update(_expectedness(merged, sponsor_aware))
    values = {k: v for k, v in values.items() if k in op.fields}
    with transaction.atomic():
        saved = op(actor, current, {**values, "info_version": current.info_version + 1},
                   expected_version=expected_version, reason=reason)
        if not (set(saved.changes) - {"info_version"}):
            transaction.set_rollback(True)
            return current
        ae = saved.instance
        _version(actor, permission, ae, "follow_up", received_on or site_today(ae.site),
                 {k: v for k, v in saved.changes.items() if k != "info_version"}, reason)
        sync_obligations(ae)
        _refresh_for(ae.participant)
    return ae


def record_follow_up(actor: Actor, ae: AdverseEvent, changes: Mapping[str, Any], *, expected_version: int,
                     reason: str, received_on: dt.date | None = None) -> AdverseEvent:
    """Follow-up information from the site: a new version of the AE, with its history."""
    return _revise(actor, _follow_up, AE_ENTER, ae, changes, expected_version=expected_version, reason=reason,
                   received_on=received_on)


def assess_ae(actor: Actor, ae: AdverseEvent, *, grade: int | None, seriousness: Sequence[str],
              causality_investigator: str, expected_version: int, reason: str,
              changes: Mapping[str, Any] | None = None) -> AdverseEvent:
    """The investigator confirms the CTCAE grade and records seriousness and causality."""
    if not causality_investigator:
        raise ValidationFailed({"causality_investigator": [_("The investigator's causality assessment is required.")]})
    if grade is None:
        raise ValidationFailed({"grade": [_("Confirm a CTCAE grade (1 to 5).")]})
    values = {**(changes or {}), "grade": grade, "grade_confirmed": True, "seriousness": list(seriousness),
              "causality_investigator": causality_investigator}
    return _revise(actor, _assess, AE_ASSESS, ae, values, expected_version=expected_version, reason=reason,
                   received_on=None)


def sponsor_assess(actor: Actor, ae: AdverseEvent, *, causality_sponsor: str, expected_version: int, reason: str,
                   sponsor_aware_on: dt.date | None = None, upgraded_on: dt.date | None = None,
                   meddra_llt_code: str | None = None) -> AdverseEvent:
    """The medical monitor's assessment: sponsor causality, first awareness (Day 0), MedDRA coding; the
    expectedness is recomputed against the RSI version in force on that day."""
    current = AdverseEvent.objects.get(pk=ae.pk)
    values: dict[str, Any] = {"causality_sponsor": causality_sponsor}
    if sponsor_aware_on is not None:
        if sponsor_aware_on > _sponsor_today():
            raise ValidationFailed({"sponsor_aware_on": [_("The sponsor cannot become aware in the future.")]})
        values["sponsor_aware_on"] = sponsor_aware_on
    if upgraded_on is not None:
        if not current.fatal_or_life_threatening:
            raise ValidationFailed({"upgraded_on": [_("Only a fatal or life-threatening case has an upgrade date.")]})
        values["upgraded_on"] = upgraded_on
    if meddra_llt_code is not None:
        values["meddra_llt_code"] = meddra_llt_code
        _apply_meddra(values)
    aware = values.get("sponsor_aware_on", current.sponsor_aware_on)
    if aware and values.get("upgraded_on") and values["upgraded_on"] < aware:
        raise ValidationFailed({"upgraded_on": [_("The upgrade cannot be before the sponsor's first awareness.")]})
    merged = {**{k: getattr(current, k) for k in SITE_FIELDS}, **values}
    values.update(_expectedness(merged, aware))
    values = _clean(values, site_today(current.site))
    return _revise(actor, _sponsor_assess, SPONSOR_ASSESS, current, values, expected_version=expected_version,
                   reason=reason, received_on=None)


# ---------------------------------------------------------------- obligations


def _day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Start of the day and its last second in ``zone`` (a due date is met until its end)."""
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)
    return start, dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)


def _kind(deadline: clocks.Deadline) -> str:
    name = deadline.name
    if name.startswith("SAE notification"):
        return "site_notice"
    if "complete" in name:
        return "susar_complete"
    if "upgrade" in name:
        return "susar_7_upgrade"
    if "7-day" in name:
        return "susar_7"
    return "susar_15"


def required_obligations(ae: AdverseEvent) -> dict[str, dict[str, Any]]:
    """The obligations the AE's facts call for, by kind (clocks.py computes every due date)."""
    case = clocks.CaseClassification.of(ae.seriousness + (["death"] if ae.outcome == "fatal" else []),
                                        # No RSI in force: unexpected (conservative; nothing lists it as expected).
                                        unexpected=ae.expected is not True,
                                        related_by_investigator=ae.related_investigator,
                                        related_by_sponsor=ae.related_sponsor)
    site_zone, sponsor = _site_zone(ae.site), sponsor_zone()
    site_aware = ae.site_aware_at.astimezone(site_zone) if ae.site_aware_at else None
    deadlines: list[clocks.Deadline] = []
    try:
        if case.serious and site_aware is not None:
            deadlines.append(clocks.site_notification_deadline(site_aware))
        if clocks.decide_expedited(case).expedited and ae.sponsor_aware_on is not None:
            # Each SUSAR obligation on its own clock: after an upgrade the 15-day report stays due.
            deadlines.extend(clocks.susar_obligations(
                ae.sponsor_aware_on, fatal_or_life_threatening=case.fatal_or_life_threatening,
                upgraded_on=ae.upgraded_on if case.fatal_or_life_threatening else None))
    except clocks.ClockInputError:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for deadline in deadlines:
        kind = _kind(deadline)
        if isinstance(deadline.due, dt.datetime):
            starts, due, zone, recipient = deadline.starts, deadline.due, site_zone, "sponsor pharmacovigilance"
        else:
            assert isinstance(deadline.starts, dt.date)
            starts = _day_bounds(deadline.starts, sponsor)[0]
            due = _day_bounds(deadline.due, sponsor)[1]
            zone, recipient = sponsor, REGULATOR
        out[kind] = {"starts_at": starts, "due_at": due, "time_zone": str(zone), "rule": deadline.rule,
                     "citation": deadline.citation, "recipient": recipient}
    return out


def sync_obligations(ae: AdverseEvent) -> list[Obligation]:
    """Open the obligations the AE now calls for and re-clock or withdraw the open ones (a met one stays met)."""
    system = _system()
    wanted = required_obligations(ae)
    existing = {o.kind: o for o in Obligation.objects.filter(ae=ae)}
    for kind, spec in wanted.items():
        ob = existing.get(kind)
        if ob is None:
            existing[kind] = _create_obligation(system, ae=ae, site=ae.site, kind=kind, **spec)
        elif ob.status != Obligation.MET:
            changes = {k: spec[k] for k in ("starts_at", "due_at", "rule", "citation")}
            changes["status"] = Obligation.OPEN
            existing[kind] = _update_obligation(system, ob, changes, expected_version=ob.version,
                                                reason=REASON_RECLOCK).instance
    for kind, ob in existing.items():
        if kind not in wanted and ob.status == Obligation.OPEN:
            existing[kind] = _update_obligation(system, ob, {"status": Obligation.WITHDRAWN}, expected_version=ob.version,
                                                reason=REASON_WITHDRAWN).instance
    return list(existing.values())


def record_other_risk(actor: Actor, *, title: str, description: str, sponsor_aware_on: dt.date) -> SafetyInformation:
    """"Other potential serious safety risk information" (CDE 2018) and its 15-day obligation."""
    title = _text("title", title, 200, required=True)
    description = _text("description", description, TEXT_MAX, required=True)
    if sponsor_aware_on > _sponsor_today():
        raise ValidationFailed({"sponsor_aware_on": [_("The sponsor cannot become aware in the future.")]})
    deadline = clocks.other_risk_deadline(sponsor_aware_on)
    zone = sponsor_zone()
    with transaction.atomic():
        info = _create_info(actor, title=title, description=description, sponsor_aware_on=sponsor_aware_on)
        _create_obligation(_system(), information=info, site=None, kind="other_risk", recipient="NMPA/CDE",
                           starts_at=_day_bounds(sponsor_aware_on, zone)[0],
                           due_at=_day_bounds(deadline.due_date, zone)[1], time_zone=str(zone),
                           rule=deadline.rule, citation=deadline.citation)
    return info


def record_submission(actor: Actor, obligation: Obligation, *, submitted_at: dt.datetime, recipient: str,
                      reference: str) -> Submission:
    """Record what met an obligation (date, recipient, reference); the obligation is then met."""
    recipient = _text("recipient", recipient, 200, required=True)
    reference = _text("reference", reference, 100, required=True)
    if submitted_at.tzinfo is None:
        raise ValidationFailed({"submitted_at": [_("Give the time with its time zone.")]})
    if submitted_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationFailed({"submitted_at": [_("A submission cannot be in the future.")]})
    if submitted_at < obligation.starts_at - dt.timedelta(days=1):
        raise ValidationFailed({"submitted_at": [_("The submission is before the clock started.")]})
    if obligation.status != Obligation.OPEN:
        raise ValidationFailed({"__all__": [_("This obligation is not open (it is %(status)s).") % {
            "status": obligation.get_status_display()}]})
    site_kind = obligation.kind == "site_notice"
    with transaction.atomic():
        submission = (_submit_site if site_kind else _submit_regulatory)(
            actor, obligation=obligation, submitted_at=submitted_at, recipient=recipient, reference=reference)
        (_meet_site if site_kind else _meet_regulatory)(actor, obligation, {"status": Obligation.MET},
                                                        expected_version=obligation.version,
                                                        reason=f"submitted: {reference}")
    return submission


@dataclass(frozen=True)
class ObligationRow:
    obligation: Obligation
    due_local: dt.datetime
    seconds_left: float
    overdue: bool
    text: str
    submission: Submission | None

    @property
    def css(self) -> str:
        if self.obligation.status == Obligation.MET:
            return "ok"
        return "overdue" if self.overdue else "due-soon" if self.seconds_left < 86400 else "open"


def time_left(obligation: Obligation, now: dt.datetime) -> tuple[float, str]:
    seconds = (obligation.due_at - now).total_seconds()
    span = abs(seconds)
    days, rest = divmod(int(span), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = (f"{days} d {hours} h" if days else f"{hours} h {minutes} min")
    if seconds < 0:
        return seconds, _("overdue by %(t)s") % {"t": text}
    return seconds, _("%(t)s left") % {"t": text}


def obligation_rows(user: Any, *, now: dt.datetime | None = None, include_closed: bool = False) -> list[ObligationRow]:
    now = now or timezone.now()
    qs = permissions.scope(Obligation.objects.select_related("ae__participant", "site", "information"), user,
                           "safety.view")
    if not include_closed:
        qs = qs.filter(status__in=[Obligation.OPEN, Obligation.MET])
    rows = []
    for ob in qs.order_by("site__code", "due_at"):
        seconds, text = time_left(ob, now)
        submission = ob.submissions.order_by("-submitted_at").first() if ob.status == Obligation.MET else None
        if submission is not None:
            text = _("met: %(ref)s on %(when)s") % {"ref": submission.reference,
                                                     "when": submission.submitted_at.astimezone(ZoneInfo(ob.time_zone))
                                                     .strftime("%Y-%m-%d %H:%M")}
        rows.append(ObligationRow(ob, ob.due_at.astimezone(ZoneInfo(ob.time_zone)), seconds,
                                  seconds < 0 and ob.status == Obligation.OPEN, text, submission))
    return rows


# ---------------------------------------------------------------- notifications (the worker)

MOMENT_ORDER = ("awareness", "half", "overdue")


def moment_reached(obligation: Obligation, now: dt.datetime) -> str | None:
    """The latest notice moment reached: awareness (the clock started), half the time gone, overdue."""
    if now < obligation.starts_at:
        return None
    if now > obligation.due_at:
        return "overdue"
    if now >= obligation.starts_at + (obligation.due_at - obligation.starts_at) / 2:
        return "half"
    return "awareness"


def _recipients(obligation: Obligation) -> list[Any]:
    from celltrial.accounts.models import Membership
    from celltrial.accounts.roles import Role

    site_filter = Q(site__isnull=True) if obligation.site_id is None else Q(site__isnull=True) | Q(site=obligation.site_id)
    members = Membership.objects.filter(site_filter, active=True,
                                        role__in=[Role.MEDICAL_MONITOR.value, Role.INVESTIGATOR.value]
                                        ).select_related("user").order_by("user_id")
    return list({m.user_id: m.user for m in members if m.user.is_active}.values())


def _notice_text(obligation: Obligation, moment: str, now: dt.datetime) -> tuple[str, str]:
    zone = ZoneInfo(obligation.time_zone)
    what = str(obligation.get_kind_display())
    about = str(obligation.ae or obligation.information)
    subject_label = participants.subject_label(obligation.ae.participant) if obligation.ae else ""
    due = obligation.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    _seconds, left = time_left(obligation, now)
    heads = {"awareness": ("Clock started", "时限开始"), "half": ("Half the time gone", "时限已过半"),
             "overdue": ("OVERDUE", "已逾期")}
    en, zh = heads[moment]
    subject = f"[{en} / {zh}] {what} — {subject_label or about}"[:200]
    body = (f"{what}: {about} {subject_label}\nDue {due} ({obligation.time_zone}); {left}.\n"
            f"Rule: {obligation.rule}\nTo: {obligation.recipient}\n"
            f"{zh}：请在 {due}（{obligation.time_zone}）前完成报告。")
    return subject, body


def notify_due(now: dt.datetime | None = None) -> list[SafetyNotice]:
    """One in-app notice and one email per recipient at each moment reached; never twice, and never an earlier
    moment after a later one (a worker that was down sends only the latest)."""
    from django.core.mail import send_mail

    now = now or timezone.now()
    system = _system()
    sent: list[SafetyNotice] = []
    for ob in Obligation.objects.filter(status=Obligation.OPEN).select_related("ae__participant", "site",
                                                                               "information"):
        moment = moment_reached(ob, now)
        if moment is None:
            continue
        later = MOMENT_ORDER[MOMENT_ORDER.index(moment):]
        for user in _recipients(ob):
            if SafetyNotice.objects.filter(obligation=ob, recipient=user, moment__in=later).exists():
                continue
            subject, body = _notice_text(ob, moment, now)
            with transaction.atomic():
                note = _create_notice(system, recipient=user, obligation=ob, site=ob.site, moment=moment,
                                      subject=subject, body=body, emailed=bool(user.email))
            if user.email:
                send_mail(subject, body, getattr(settings, "DEFAULT_FROM_EMAIL", "celltrial@localhost"),
                          [user.email], fail_silently=True)
            sent.append(note)
    return sent


# ---------------------------------------------------------------- RSI and MedDRA


def add_rsi_version(actor: Actor, *, version: str, effective_from: dt.date, document: str,
                    expected: Mapping[str, int | None]) -> RsiVersion:
    """A new version of the reference safety information (terms and the highest expected grade)."""
    version = _text("version", version, 40, required=True)
    document = _text("document", document, 200, required=True)
    if RsiVersion.objects.filter(rsi_version=version).exists():
        raise ValidationFailed({"version": [_("RSI version %(v)s exists already.") % {"v": version}]})
    clean: dict[str, int | None] = {}
    for term, limit in expected.items():
        key = rsi_rules.normalise(str(term))
        if not key or len(key) > 200:
            raise ValidationFailed({"expected": [_("Each expected term needs a name (at most 200 characters).")]})
        if limit is not None and not (isinstance(limit, int) and 1 <= limit <= 5):
            raise ValidationFailed({"expected": [_("%(term)s: the highest expected grade is 1 to 5 or blank.") % {
                "term": term}]})
        clean[key] = limit
    return _create_rsi(actor, rsi_version=version, effective_from=effective_from, document=document, expected=clean)


def load_meddra(actor: Actor, directory: Path, *, version: str | None = None) -> MeddraRelease:
    """Load the sponsor's MedDRA ASCII release into the data directory (never the repository)."""
    try:
        book = read_release(Path(directory), version)
    except SafetyRuleError as exc:
        raise ValidationFailed({"directory": [str(exc)]}) from None
    except OSError as exc:
        raise ValidationFailed({"directory": [str(exc)]}) from None
    if MeddraRelease.objects.filter(meddra_version=book.version).exists():
        raise ValidationFailed({"version": [_("MedDRA %(v)s is loaded already.") % {"v": book.version}]})
    payload = json.dumps(book.to_json(), ensure_ascii=False, sort_keys=True).encode("utf-8")
    digest = hashlib.sha256(payload).hexdigest()
    folder = Path(settings.CELLTRIAL_DATA_DIR) / "meddra"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"meddra-{book.version}-{digest[:12]}.json"
    target.write_bytes(payload)
    return _create_meddra(actor, meddra_version=book.version, path=str(target), content_hash=digest,
                          counts={"llt": len(book.llt), "pt": len(book.pt), "soc": len(book.soc)},
                          source=str(directory)[:500])


# ---------------------------------------------------------------- DLT adjudication


def _protocol_dlt() -> Any:
    found = study.protocol_version_in_force()
    return found[1].dlt if found else None


def dlt_proposals(participant: Any) -> tuple[dt.date, dt.date, list[dict[str, Any]]] | None:
    """The computable DLT criteria met in the participant's window (None: not dosed, or no protocol)."""
    dosing = participants.dosing(participant)
    rules = _protocol_dlt()
    if dosing is None or rules is None:
        return None
    window_end = dosing.dosed_on + dt.timedelta(days=rules.window_days)
    facts = [dlt_rules.AeFact(ae.number, ae.verbatim, ae.ctcae_term, ae.grade, ae.onset,
                              None if not ae.causality_investigator else ae.related_investigator,
                              fatal=ae.outcome == "fatal" or "death" in ae.seriousness)
             for ae in AdverseEvent.objects.filter(participant=participant)]
    series = {key: [dlt_rules.LabFact(key, p.collected_at, p.grade) for p in points]
              for key, points in lab_series_by_term(participant).items()}
    ids = dlt_rules.criterion_ids([c.id for c in rules.criteria])
    proposals = dlt_rules.propose(facts, series, dosed_on=dosing.dosed_on, window_days=rules.window_days, ids=ids)
    return dosing.dosed_on, window_end, [p.to_dict() for p in proposals]


def refresh_dlt(participant: Any) -> DltAdjudication | None:
    """Open or refresh the participant's adjudication with the current proposals (platform, system actor)."""
    found = dlt_proposals(participant)
    if found is None:
        return None
    dosed_on, window_end, proposals = found
    system = _system()
    current = DltAdjudication.objects.filter(participant=participant).first()
    if current is None:
        return _create_dlt(system, participant=participant, site=participant.site, dosed_on=dosed_on,
                           window_end=window_end, proposals=proposals)
    changes = {"dosed_on": dosed_on, "window_end": window_end, "proposals": proposals}
    return _refresh_dlt(system, current, changes, expected_version=current.version,
                        reason=REASON_DLT_REFRESH).instance


def _refresh_for(participant: Any) -> None:
    if participants.dosing(participant) is not None:
        refresh_dlt(participant)


def decide_dlt(actor: Actor, adjudication: DltAdjudication, *, decision: str, criteria_met: Sequence[str],
               dlt_aes: Sequence[int], comment: str, password: str, today: dt.date | None = None) -> DltAdjudication:
    """The investigator's DLT decision for the participant, e-signed ("approved")."""
    today = today or site_today(adjudication.site)
    _choice("decision", decision, DltAdjudication.DECISIONS)
    rules = _protocol_dlt()
    known = {c.id for c in rules.criteria} if rules else set()
    criteria = list(dict.fromkeys(criteria_met))
    errors: dict[str, list[str]] = {}
    if set(criteria) - known:
        errors["criteria_met"] = [_("Unknown DLT criterion: %(ids)s.") % {"ids": ", ".join(sorted(set(criteria) - known))}]
    numbers = set(AdverseEvent.objects.filter(participant_id=adjudication.participant_id).values_list("number",
                                                                                                     flat=True))
    if set(dlt_aes) - numbers:
        errors["dlt_aes"] = [_("Not an AE of this participant.")]
    if decision == "dlt" and not criteria:
        errors["criteria_met"] = [_("A DLT names the criteria it meets.")]
    if decision != "dlt" and (criteria or dlt_aes):
        errors["criteria_met"] = [_("Only a DLT decision names criteria and AEs.")]
    if decision == "no_dlt" and today <= adjudication.window_end:
        errors["decision"] = [_("“No DLT” can be decided only after the window ends on %(d)s.") % {
            "d": adjudication.window_end.isoformat()}]
    comment = _text("comment", comment, TEXT_MAX, required=decision == "not_evaluable")
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        # The decision is made on the current proposals (the labs room may have added results since).
        adjudication = refresh_dlt(adjudication.participant) or adjudication
        saved = _decide_dlt(actor, adjudication, {"decision": decision, "criteria_met": criteria,
                                                  "dlt_aes": sorted(set(dlt_aes)), "comment": comment},
                            expected_version=adjudication.version, reason=comment or f"DLT decision: {decision}")
        esign.sign(actor, saved.instance, password=password, meaning="approved", comment=comment)
    return saved.instance


def confirm_dlt(actor: Actor, adjudication: DltAdjudication, *, password: str, comment: str = "") -> Any:
    """The medical monitor confirms the investigator's decision, e-signed ("reviewed")."""
    permissions_ok = actor.is_system or permissions.actor_may(actor, DLT_CONFIRM, adjudication.site.code)
    if not permissions_ok:
        raise AccessDenied(DLT_CONFIRM, adjudication.site.code)
    if not adjudication.decision or not _current_signature(adjudication, "investigator"):
        raise ValidationFailed({"__all__": [_("The investigator has not decided (and signed) this assessment.")]})
    return esign.sign(actor, adjudication, password=password, meaning="reviewed", comment=comment)


def _current_signature(adjudication: DltAdjudication, role: str) -> Any | None:
    for sig in esign.signatures_for(adjudication):
        if sig.signer_role == role and esign.is_current(sig, adjudication):
            return sig
    return None


@dataclass(frozen=True)
class DltState:
    status: str  # pending | dlt | no_dlt | not_evaluable
    window_end: dt.date | None
    confirmed: bool
    summary: str
    adjudication: DltAdjudication | None


def dlt_state(participant: Any) -> DltState:
    adjudication = DltAdjudication.objects.filter(participant=participant).first()
    dosing = participants.dosing(participant)
    if adjudication is None:
        rules = _protocol_dlt()
        end = dosing.dosed_on + dt.timedelta(days=rules.window_days) if dosing and rules else None
        return DltState("pending", end, False, "not dosed" if dosing is None else "no adjudication yet", None)
    investigator = _current_signature(adjudication, "investigator")
    monitor = _current_signature(adjudication, "medical_monitor")
    confirmed = bool(adjudication.decision and investigator and monitor)
    proposed = [p for p in adjudication.proposals if p["standing"] == "proposed"]
    if not confirmed:
        waiting = ("investigator's decision" if not (adjudication.decision and investigator)
                   else "medical monitor's confirmation")
        return DltState("pending", adjudication.window_end, False,
                        f"{len(proposed)} proposed criteria; awaiting the {waiting}", adjudication)
    summary = {"dlt": "DLT: " + ", ".join(adjudication.criteria_met)
               + (f" (AE {', '.join(str(n) for n in adjudication.dlt_aes)})" if adjudication.dlt_aes else ""),
               "no_dlt": "no DLT in the window", "not_evaluable": "not evaluable: " + adjudication.comment}
    return DltState(adjudication.decision, adjudication.window_end, True, summary[adjudication.decision], adjudication)


def history(ae: AdverseEvent) -> list[AeVersion]:
    return list(ae.versions.order_by("number"))


def cohorts_of(aes: Iterable[AdverseEvent]) -> dict[int, int | None]:
    out = {}
    for ae in aes:
        dosing = participants.dosing(ae.participant)
        out[ae.pk] = dosing.cohort if dosing else ae.participant.cohort
    return out
