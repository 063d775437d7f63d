"""Labs services: the named operations that write lab data, each checking its permission inside, validating,
and writing its audit entries in the same transaction.

- :func:`load_reference_ranges` — a site laboratory's reference-range set (CSV/YAML), one version at a time;
- :func:`enter_panel` — every analyte of a draw in one audited transaction (flag and CTCAE grade computed);
- :func:`correct_result` — a result's value or unit changed with a reason (flag and grade recomputed; a
  corrected baseline re-grades the later results of that analyte);
- :func:`record_infusion_vitals` / :func:`correct_infusion_vitals` — vital signs at one infusion time point,
  fever graded with CTCAE v5.0.

Reads: :func:`participant`, :func:`visible_results`, :func:`range_set_in_force`, :func:`lab_visits`,
:func:`grid`, :func:`age_at_sampling` (the child's age and sex from the participants room's record).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from celltrial.accounts import permissions
from celltrial.audit.operations import Create, Update
from celltrial.core.actor import Actor
from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.labs.models import InfusionVitals, LabResult, ReferenceRange, ReferenceRangeSet
from celltrial.labs.permissions import LAB_ENTER, LAB_VIEW, RANGES_MANAGE
from celltrial.labs.rules import (
    ANALYTES,
    Analyte,
    RangeFileError,
    RangeRow,
    UnitError,
    VitalsError,
    check_vitals,
    flag,
    grade_fever_reading,
    grade_result,
    parse_range_file,
    select_row,
)
from celltrial.labs.rules.units import normalise_unit, number
from celltrial.participants import interface as participants
from celltrial.study import interface as study

# Visits before dosing whose last result of an analyte is the child's baseline.
BASELINE_VISITS = ("SCR", "BL")
INFUSION_VISIT = "D0"

# participants.interface.entry_refusal's codes, in this room's words.
REFUSALS = {
    "consent_missing": gettext_lazy("Data entry is refused until valid consent exists."),
    "paused": gettext_lazy("Procedures are paused: the child dissented. An investigator must resolve it first."),
    "withdrawn_all": gettext_lazy("The participant is withdrawn from all data collection."),
    "withdrawn_visits": gettext_lazy("The participant is withdrawn from study visits: no visit data is collected."),
    "reconsent_due": gettext_lazy("Re-consent is due before data of this visit can be entered."),
}

# ---------------------------------------------------------------- the named operations (one line each)

_create_set = Create("load_reference_ranges", ReferenceRangeSet, permission=RANGES_MANAGE, fields=(
    "site", "lab", "set_version", "title", "illustrative", "source_name", "content_hash"))
_create_row = Create("load_reference_ranges", ReferenceRange, permission=RANGES_MANAGE, fields=(
    "range_set", "analyte", "sex", "age_from", "age_to", "low", "high", "unit", "line"))
_GRADED = ("si_value", "si_unit", "range_row", "flag", "baseline_si", "grade", "ctcae_term", "ctcae_version",
           "grade_criterion")
_create_result = Create("enter_lab_panel", LabResult, permission=LAB_ENTER, fields=(
    "site", "participant", "visit", "collected_at", "panel", "analyte", "value", "unit", "age_years", "sex",
    "comment", *_GRADED))
_correct_result = Update("correct_lab_result", LabResult, permission=LAB_ENTER, fields=(
    "value", "unit", "comment", *_GRADED))
_regrade_result = Update("regrade_lab_result", LabResult, permission=LAB_ENTER, fields=_GRADED)
_VITALS = ("infusion_started_at", "measured_at", "minutes_from_nominal", "temperature_c", "heart_rate",
           "systolic_bp", "diastolic_bp", "resp_rate", "spo2", "fever_grade", "ctcae_version", "fever_criterion")
_create_vitals = Create("record_infusion_vitals", InfusionVitals, permission=LAB_ENTER, fields=(
    "site", "participant", "time_point", *_VITALS))
_correct_vitals = Update("correct_infusion_vitals", InfusionVitals, permission=LAB_ENTER, fields=_VITALS)


# ---------------------------------------------------------------- helpers


def _require(actor: Actor, permission: str, site_code: str) -> None:
    if actor.is_system:
        return
    if not permissions.actor_may(actor, permission, site_code):
        raise AccessDenied(permission, site_code or None)


def participant(pk: int) -> Any:
    """The participant with this primary key (with its site), or None: ``participants.interface.participant``."""
    return participants.participant(pk)


def participants_with_results(user: Any) -> list[Any]:
    """Participants with lab data (or dosed) at the sites where ``user`` may read labs."""
    ids = set(permissions.scope(LabResult.objects.all(), user, LAB_VIEW).values_list("participant_id", flat=True))
    sites = permissions.site_codes_with(user, LAB_VIEW)
    found = [p for p in participants.dosed_participants()
             if permissions.ALL_SITES in sites or p.site.code in sites]
    seen = {p.pk for p in found}
    found += participants.participants_by_pk(sorted(ids - seen))
    return found


def visible_results(user: Any) -> QuerySet[LabResult]:
    return permissions.scope(LabResult.objects.select_related("range_row", "range_row__range_set"), user, LAB_VIEW)


def _refuse_entry(subject: Any, visit: str) -> None:
    code = participants.entry_refusal(subject, visit)
    if code:
        raise ValidationFailed({"visit": [str(REFUSALS.get(code, code))]})


def _protocol() -> Any:
    found = study.protocol_version_in_force()
    return found[1] if found else None


@dataclass(frozen=True)
class LabVisit:
    code: str
    label: str
    day: int


def lab_visits(language: str = "en") -> list[LabVisit]:
    """The protocol's visits that draw labs (their forms include ``labs``), in schedule order."""
    proto = _protocol()
    if proto is None:
        return [LabVisit(code, code, 0) for code in ("SCR", "D1", "D7", "D14", "D28")]
    return [LabVisit(v.code, v.label.get(language), v.day) for v in proto.visits if "labs" in v.forms]


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ValidationFailed({field: [_("Give a date and time.")]})
    if timezone.is_naive(value):
        raise ValidationFailed({field: [_("Give the time with its time zone.")]})
    if value > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationFailed({field: [_("This time is in the future.")]})
    return value


def _text(value: str, field: str, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationFailed({field: [_("At most %(n)s characters.") % {"n": limit}]})
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise ValidationFailed({field: [_("Remove the control characters from this text.")]})
    return text


# ---------------------------------------------------------------- reference ranges


def load_reference_ranges(actor: Actor, *, site_code: str, content: bytes | str, name: str) -> ReferenceRangeSet:
    """Load one version of a site laboratory's reference ranges (every row, or none). The same file loaded
    again returns the loaded set; the same version with other content is refused (load a new version)."""
    _require(actor, RANGES_MANAGE, site_code)
    site = study.site(site_code)
    if site is None:
        raise ValidationFailed({"site": [_("Unknown site %(code)s.") % {"code": site_code}]})
    short = str(name).replace("\\", "/").rsplit("/", 1)[-1][:255] or "ranges"
    try:
        data = parse_range_file(content, short)
    except RangeFileError as exc:
        raise ValidationFailed({"file": exc.problems}) from None
    raw = content.encode() if isinstance(content, str) else content
    digest = hashlib.sha256(raw).hexdigest()
    with transaction.atomic():
        existing = ReferenceRangeSet.objects.filter(site=site, lab=data.lab, set_version=data.version).first()
        if existing is not None:
            if existing.content_hash == digest:
                return existing
            raise ValidationFailed({"file": [_("%(lab)s version %(version)s is already loaded with other rows: give "
                                               "the file a new version.") % {"lab": data.lab, "version": data.version}]})
        made = _create_set(actor, site=site, lab=data.lab, set_version=data.version, title=data.title,
                           illustrative=data.illustrative, source_name=short, content_hash=digest,
                           reason=gettext_noop("reference ranges loaded"))
        for row in data.rows:
            _create_row(actor, range_set=made, analyte=row.analyte, sex=row.sex, age_from=row.age_from,
                        age_to=row.age_to, low=row.low, high=row.high, unit=ANALYTES[row.analyte].si_unit,
                        line=row.line)
    return made


def range_set_in_force(site_code: str) -> ReferenceRangeSet | None:
    """The site's latest loaded reference-range set (results keep the row they were flagged against)."""
    return ReferenceRangeSet.objects.filter(site__code=site_code).order_by("-id").first()


def _rows(range_set: ReferenceRangeSet | None) -> list[tuple[RangeRow, ReferenceRange]]:
    if range_set is None:
        return []
    return [(RangeRow(r.analyte, r.sex, r.age_from, r.age_to, r.low, r.high, r.line), r)
            for r in range_set.rows.all()]


# ---------------------------------------------------------------- results


def _baseline(subject: Any, analyte: str, *, before: dt.datetime, visit: str, exclude: int | None = None
              ) -> Decimal | None:
    """The child's baseline: the last result of the analyte at a pre-dose visit (none for such a result)."""
    if visit in BASELINE_VISITS:
        return None
    rows = LabResult.objects.filter(participant=subject, analyte=analyte, visit__in=BASELINE_VISITS,
                                    collected_at__lte=before)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    found = rows.order_by("-collected_at").first()
    return None if found is None else found.si_value


def _label(code: Analyte) -> str:
    from django.utils.translation import get_language

    return code.label_zh if (get_language() or "en").startswith("zh") else code.label_en


def unit_label(code: Analyte, unit: str) -> str:
    """The unit as the analyte spells it ("10^9/l" is kept as "×10⁹/L"), so the unit entered reads one way."""
    return code.units[normalise_unit(unit)][0]


def _typed(code: Analyte, value: object, unit: str) -> tuple[Decimal, Decimal]:
    """The number as typed and its SI value; a refusal in the user's language names the analyte, the
    accepted units and (in :func:`_graded`) the plausible range."""
    try:
        typed = number(value)
    except UnitError:
        raise UnitError(_("%(label)s: enter a number (got %(value)s).") % {
            "label": _label(code), "value": str(value)[:30]}) from None
    if normalise_unit(unit) not in code.units:
        raise UnitError(_("%(label)s: %(unit)s is not a unit of this analyte; use one of: %(units)s.") % {
            "label": _label(code), "unit": unit or "—", "units": ", ".join(u or "—" for u in code.accepted_units)})
    exponent = typed.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise UnitError(_("%(label)s: at most 6 decimal places.") % {"label": _label(code)})
    # Stored with 6 decimals: a conversion (e.g. /mm³ × 0.001) may add places beyond any lab's precision.
    return typed, code.to_si(typed, unit).quantize(Decimal("0.000001"))


def _graded(code: Analyte, si_value: Decimal, *, rows: list[tuple[RangeRow, ReferenceRange]], sex: str,
            age: Decimal, baseline: Decimal | None) -> dict[str, Any]:
    low, high = code.plausible
    if not low <= si_value <= high:
        raise UnitError(_("%(label)s: %(v)s %(u)s is outside the plausible %(lo)s–%(hi)s %(u)s: check the value "
                          "and its unit.") % {"label": _label(code), "v": format(si_value.normalize(), "f"),
                                              "u": code.si_unit, "lo": low, "hi": high})
    picked = select_row([r for r, _row in rows], code.code, sex, age)
    row = next((m for r, m in rows if r is picked), None)
    lln, uln = (picked.low, picked.high) if picked else (None, None)
    grade = grade_result(code, si_value, low=lln, high=uln, baseline=baseline)
    return {"si_value": si_value, "si_unit": code.si_unit, "range_row": row,
            "flag": flag(si_value, lln, uln) if picked else "", "baseline_si": baseline, "grade": grade.grade,
            "ctcae_term": grade.term, "ctcae_version": grade.version, "grade_criterion": grade.criterion}


def sampling_date(subject: Any, collected_at: dt.datetime) -> dt.date:
    """The calendar date at the child's site of a collection time (a draw at 07:30 in Beijing is that day)."""
    zone = getattr(subject.site, "timezone", "") or "Asia/Shanghai"
    return timezone.localtime(collected_at, zoneinfo.ZoneInfo(zone)).date()


# What the participant's record lacks (``participants.interface.AgeAndSex.missing``), in this room's words.
MISSING = {
    ("date_of_birth",): gettext_lazy("The participant's record has no date of birth: the reference range is "
                                     "chosen by the child's age at sampling. Complete the identity record first."),
    ("sex",): gettext_lazy("The participant's record has no sex: the reference range is chosen by the child's "
                           "sex. Complete the identity record first."),
    ("date_of_birth", "sex"): gettext_lazy("The participant's record has no date of birth and no sex: the "
                                           "reference range is chosen by the child's age at sampling and sex. "
                                           "Complete the identity record first."),
}


def age_at_sampling(subject: Any, collected_at: dt.datetime) -> tuple[Decimal, str]:
    """The child's age in years on the sampling date and sex, from the participant's record
    (``participants.interface.age_and_sex``): completed months ÷ 12, cut (never rounded up) to the two
    decimals of ``LabResult.age_years``, so a child of 11 years 11 months is 11.91, never 12, and a range
    boundary of two decimals is crossed on the day the protocol's age rule says. Refused, naming what is
    missing, when the record has no date of birth or no sex."""
    found = participants.age_and_sex(subject, sampling_date(subject, collected_at))
    if found.missing:
        raise ValidationFailed({"participant": [str(MISSING[found.missing])]})
    if found.before_birth or found.total_months is None:
        raise ValidationFailed({"collected_at": [_("This is before the child's date of birth in the participant's "
                                                   "record: check the collection time.")]})
    years = (Decimal(found.total_months) / Decimal(12)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return years, found.sex


def enter_panel(actor: Actor, subject: Any, *, visit: str, collected_at: dt.datetime,
                values: Mapping[str, tuple[object, str]], comment: str = "", reason: str = "") -> list[LabResult]:
    """Enter the results of one draw (``values``: analyte code → (value, unit as entered)); every analyte is
    converted to SI, flagged against the site's reference range in force for the child's age on the sampling
    date and sex (both from the participant's record, :func:`age_at_sampling`; stored with each result), and
    graded with CTCAE v5.0 — all in one transaction, or nothing when any value is refused."""
    site_code = subject.site.code
    _require(actor, LAB_ENTER, site_code)
    visits = {v.code for v in lab_visits()}
    if visit not in visits:
        raise ValidationFailed({"visit": [_("Labs are not drawn at %(visit)s; use one of: %(visits)s.") % {
            "visit": visit, "visits": ", ".join(sorted(visits))}]})
    _refuse_entry(subject, visit)
    _aware(collected_at, "collected_at")
    age, sex = age_at_sampling(subject, collected_at)
    comment = _text(comment, "comment", 500)
    present = {k.upper(): v for k, v in values.items() if v and str(v[0]).strip() != ""}
    if not present:
        raise ValidationFailed({"__all__": [_("Enter at least one result.")]})
    errors: dict[str, list[str]] = {}
    rows = _rows(range_set_in_force(site_code))
    prepared = []
    for code_text, (value, unit) in present.items():
        code = ANALYTES.get(code_text)
        if code is None:
            errors[code_text] = [_("Unknown analyte.")]
            continue
        try:
            typed, si_value = _typed(code, value, unit)
            baseline = _baseline(subject, code.code, before=collected_at, visit=visit)
            graded = _graded(code, si_value, rows=rows, sex=sex, age=age, baseline=baseline)
        except UnitError as exc:
            errors[code.field] = [str(exc)]
            continue
        prepared.append((code, typed, unit_label(code, unit), graded))
    if errors:
        raise ValidationFailed(errors)
    made: list[LabResult] = []
    duplicate = {"collected_at": [_("Results of this draw are already entered; correct them instead (with a "
                                    "reason).")]}
    try:
        with transaction.atomic():
            if LabResult.objects.filter(participant=subject, visit=visit, collected_at=collected_at,
                                        analyte__in=[c.code for c, *_rest in prepared]).exists():
                raise ValidationFailed(duplicate)
            for code, typed, unit, graded in prepared:
                made.append(_create_result(actor, site=subject.site, participant=subject, visit=visit,
                                           collected_at=collected_at, panel=code.panel, analyte=code.code,
                                           value=typed, unit=unit, age_years=age, sex=sex, comment=comment,
                                           reason=reason, **graded))
    except IntegrityError:
        raise ValidationFailed(duplicate) from None
    return made


def correct_result(actor: Actor, result: LabResult, *, value: object, unit: str, expected_version: int,
                   reason: str, comment: str | None = None) -> LabResult:
    """Correct a result's value or unit (with a reason); its flag and grade are computed again. When it is a
    baseline result, the later results of that analyte are graded again in the same transaction."""
    _require(actor, LAB_ENTER, result.site.code)
    _refuse_entry(result.participant, result.visit)
    code = ANALYTES[result.analyte]
    try:
        typed, si_value = _typed(code, value, unit)
        rows = [(RangeRow(r.analyte, r.sex, r.age_from, r.age_to, r.low, r.high, r.line), r)
                for r in ([result.range_row] if result.range_row else [])]
        baseline = _baseline(result.participant, code.code, before=result.collected_at, visit=result.visit,
                             exclude=result.pk)
        graded = _graded(code, si_value, rows=rows, sex=result.sex, age=result.age_years, baseline=baseline)
    except UnitError as exc:
        raise ValidationFailed({"value": [str(exc)]}) from None
    changes = {"value": typed, "unit": unit_label(code, unit), **graded}
    if comment is not None:
        changes["comment"] = _text(comment, "comment", 500)
    with transaction.atomic():
        saved = _correct_result(actor, result, changes, expected_version=expected_version, reason=reason)
        if saved.changed and result.visit in BASELINE_VISITS:
            _regrade_after(actor, saved.instance, reason)
    return saved.instance


def _regrade_after(actor: Actor, baseline_result: LabResult, reason: str) -> None:
    later = LabResult.objects.filter(participant=baseline_result.participant, analyte=baseline_result.analyte,
                                     collected_at__gt=baseline_result.collected_at).exclude(
        visit__in=BASELINE_VISITS).select_related("range_row")
    code = ANALYTES[baseline_result.analyte]
    for item in later:
        rows = [(RangeRow(r.analyte, r.sex, r.age_from, r.age_to, r.low, r.high, r.line), r)
                for r in ([item.range_row] if item.range_row else [])]
        baseline = _baseline(item.participant, code.code, before=item.collected_at, visit=item.visit)
        graded = _graded(code, item.si_value, rows=rows, sex=item.sex, age=item.age_years, baseline=baseline)
        _regrade_result(actor, item, graded, expected_version=item.version,
                        reason=f"{gettext_noop('baseline corrected')}: {reason}"[:1000])


# ---------------------------------------------------------------- infusion-day vitals


def _vitals_values(time_point: str, started_at: dt.datetime, measured_at: dt.datetime,
                   values: Mapping[str, object]) -> dict[str, Any]:
    _aware(started_at, "infusion_started_at")
    _aware(measured_at, "measured_at")
    try:
        readings, deviation = check_vitals(time_point, started_at, measured_at, values)
    except VitalsError as exc:
        raise ValidationFailed({k: [v] for k, v in exc.errors.items()}) from None
    whole = ("heart_rate", "systolic_bp", "diastolic_bp", "resp_rate", "spo2")
    fractional = [k for k in whole if readings[k] != readings[k].to_integral_value()]
    if fractional:
        raise ValidationFailed({k: [_("Enter a whole number.")] for k in fractional})
    # Temperatures are kept to 0.1 °C and graded as kept, so the grade always matches the value shown.
    temperature = readings["temperature_c"].quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    fever = grade_fever_reading(temperature)
    return {"infusion_started_at": started_at, "measured_at": measured_at, "minutes_from_nominal": deviation,
            "temperature_c": temperature,
            **{k: int(readings[k]) for k in ("heart_rate", "systolic_bp", "diastolic_bp", "resp_rate", "spo2")},
            "fever_grade": fever.grade, "ctcae_version": fever.version, "fever_criterion": fever.criterion}


def record_infusion_vitals(actor: Actor, subject: Any, *, time_point: str, infusion_started_at: dt.datetime,
                           measured_at: dt.datetime, values: Mapping[str, object]) -> InfusionVitals:
    """Record the vital signs of one infusion time point (once; a second reading is a correction)."""
    _require(actor, LAB_ENTER, subject.site.code)
    _refuse_entry(subject, INFUSION_VISIT)
    first = InfusionVitals.objects.filter(participant=subject).order_by("id").first()
    if first is not None and abs((first.infusion_started_at - infusion_started_at).total_seconds()) < 60:
        infusion_started_at = first.infusion_started_at  # the same minute as typed on the page: the same start
    fields = _vitals_values(time_point, infusion_started_at, measured_at, values)
    if first is not None and first.infusion_started_at != infusion_started_at:
        raise ValidationFailed({"infusion_started_at": [_("The infusion started at %(when)s (recorded with the "
                                                          "first reading); correct that reading to change it.") % {
            "when": timezone.localtime(first.infusion_started_at).strftime("%Y-%m-%d %H:%M")}]})
    if InfusionVitals.objects.filter(participant=subject, time_point=time_point).exists():
        raise ValidationFailed({"time_point": [_("This time point is already recorded; correct it instead.")]})
    try:
        with transaction.atomic():
            return _create_vitals(actor, site=subject.site, participant=subject, time_point=time_point, **fields)
    except IntegrityError:
        raise ValidationFailed({"time_point": [_("This time point is already recorded; correct it instead.")]}) from None


def correct_infusion_vitals(actor: Actor, vitals: InfusionVitals, *, measured_at: dt.datetime,
                            values: Mapping[str, object], expected_version: int, reason: str) -> InfusionVitals:
    _require(actor, LAB_ENTER, vitals.site.code)
    _refuse_entry(vitals.participant, INFUSION_VISIT)
    fields = _vitals_values(vitals.time_point, vitals.infusion_started_at, measured_at, values)
    return _correct_vitals(actor, vitals, fields, expected_version=expected_version, reason=reason).instance


# ---------------------------------------------------------------- reads for pages and the interface


def grid(subject: Any, language: str = "en") -> tuple[list[LabVisit], list[tuple[Analyte, list[list[LabResult]]]]]:
    """The participant's results as visits × analytes (a cell may hold several draws, oldest first)."""
    visits = lab_visits(language)
    results = list(LabResult.objects.filter(participant=subject).select_related("range_row").order_by("collected_at"))
    known = {v.code for v in visits}
    visits += [LabVisit(code, code, 0) for code in dict.fromkeys(r.visit for r in results) if code not in known]
    index = {v.code: i for i, v in enumerate(visits)}
    rows = []
    for code in ANALYTES.values():
        cells: list[list[LabResult]] = [[] for _v in visits]
        for r in results:
            if r.analyte == code.code:
                cells[index[r.visit]].append(r)
        rows.append((code, cells))
    return visits, rows


def vitals_of(subject: Any) -> list[InfusionVitals]:
    order = {tp: i for i, tp in enumerate(("pre", "15m", "30m", "1h", "2h", "4h"))}
    return sorted(InfusionVitals.objects.filter(participant=subject), key=lambda v: order.get(v.time_point, 99))
