"""What the participants room offers other rooms (capture, data quality, product, labs, escalation, exports).

- :func:`entry_refusal`: whether data entry for a participant at a visit is open, and if not why (a code
  from ``participants.messages.REFUSALS``): no valid consent, procedures paused by a dissent,
  withdrawal, or re-consent due at an earlier visit;
- :func:`data_use_allowed`: whether the data collected so far may be used (False after a withdrawal that
  said no);
- :func:`subject_label`: the pseudonymous label a clinical record shows (subject ID, else screening number);
- :func:`dosing`, :func:`dosed_participants`: Day 0, dose level and cohort of the dosed children;
- :func:`allocation_subject`: for the product room's pharmacist, whether a subject may receive a unit at a
  site, with the dose level (cells/kg) and the weight on the protocol's weight-basis day, or why not;
- :func:`record_dosing`: the product room's bedside administration records the dosing (Day 0) here;
- :func:`age_and_sex`: the child's age on a date (completed years and total months, by the protocol's age
  rule) and sex, from the participant's record, for age- and sex-specific reference ranges (the labs
  room). The date of birth itself never leaves this room;
- :func:`participant`, :func:`participants_by_pk`, :func:`participant_by_label`: look-ups (with the site)
  by primary key or by subject ID / screening number; :func:`cohort_members`: who holds a place in a
  cohort (the escalation room); :func:`visits`: the visit calendar rows of participants (data quality).

Form values are read through one private helper, :func:`_form_values`: one call to
``capture.interface.form_values`` (the capture room owns the form records).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from celltrial.participants import state
from celltrial.participants.models import Withdrawal
from celltrial.study.protocol.schema import Participants as ParticipantRules

__all__ = ["AgeAndSex", "AllocationSubject", "CalendarVisit", "Dosing", "age_and_sex", "allocation_subject",
           "awaiting_dosing", "cohort_members", "data_use_allowed", "dosed_participants", "dosing", "entry_refusal",
           "participant", "participant_by_label", "participants_by_pk", "record_dosing", "subject_label", "visits",
           "weight_basis_visits"]


def entry_refusal(participant: Any, visit_code: str | None) -> str | None:
    return state.entry_refusal(participant, visit_code)


def data_use_allowed(participant: Any) -> bool:
    withdrawal = Withdrawal.objects.filter(participant=participant).values_list("data_use_allowed", flat=True).first()
    return True if withdrawal is None else bool(withdrawal)


def subject_label(participant: Any) -> str:
    return str(participant.subject_id or participant.screening_number)


# --- look-ups by key, cohort members and the visit calendar -------------------------------------------------------


def participant(pk: Any) -> Any | None:
    """The participant with this primary key (its site read with it), or None (also for a key that is not a
    number). The caller scopes by site for display."""
    from celltrial.participants.models import Participant

    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    return Participant.objects.select_related("site").filter(pk=number).first()


def participants_by_pk(pks: Iterable[Any]) -> list[Any]:
    """The participants with these primary keys (with their sites), in the order the keys are given; a key
    with no participant is skipped. One query."""
    from celltrial.participants.models import Participant

    keys = []
    for pk in pks:
        try:
            keys.append(int(pk))
        except (TypeError, ValueError):
            continue
    found = {p.pk: p for p in Participant.objects.select_related("site").filter(pk__in=keys)}
    return [found[k] for k in dict.fromkeys(keys) if k in found]


def participant_by_label(label: str) -> Any | None:
    """The participant whose subject ID or screening number is ``label`` (with its site), or None."""
    from django.db.models import Q

    from celltrial.participants.models import Participant

    text = (label or "").strip()[:40]
    if not text:
        return None
    return Participant.objects.select_related("site").filter(Q(subject_id=text) | Q(screening_number=text)).first()


def cohort_members(number: int) -> list[Any]:
    """The participants enrolled into cohort ``number`` who still hold a place in it: enrolled, or dosed
    (whatever happened after: a dosed child who withdrew still counts). With their sites."""
    from celltrial.participants.models import Participant, Status

    rows = Participant.objects.filter(cohort=number, subject_id__isnull=False).select_related("site")
    return [r for r in rows if r.status == Status.ENROLLED or r.dosed_on is not None]


@dataclass(frozen=True)
class CalendarVisit:
    """One visit of a participant's calendar (set at enrolment): its target date and window, the date it
    took place and its status (``participants.models.VisitStatus``). Read-only."""

    participant_id: int
    participant: Any = field(compare=False, repr=False)
    site: Any = field(compare=False, repr=False)
    code: str = ""
    order: int = 0
    day: int = 0
    target_date: dt.date | None = None
    earliest: dt.date | None = None
    latest: dt.date | None = None
    actual_date: dt.date | None = None
    status: str = ""


def visits(participants: Iterable[Any]) -> list[CalendarVisit]:
    """The visit calendar rows of these participants, by participant then schedule order. One query."""
    from celltrial.participants.models import Visit

    rows = Visit.objects.filter(participant__in=list(participants)).select_related("participant", "site")
    return [CalendarVisit(v.participant_id, v.participant, v.site, v.code, v.order, v.day, v.target_date, v.earliest,
                          v.latest, v.actual_date, v.status)
            for v in rows.order_by("participant_id", "order")]


# --- age and sex for age- and sex-specific reference ranges -----------------------------------------------------

# The vault keeps the data dictionary's sex codes (ISO/IEC 5218: 1 male, 2 female); other rooms get the CDISC
# SDTM SEX codelist letters.
_SEX_LETTERS = {"1": "M", "2": "F"}


@dataclass(frozen=True)
class AgeAndSex:
    """A child's age on ``on`` and sex, from the participant's own record (the identity vault).

    ``years`` are completed years and ``total_months`` completed months since birth, by the protocol's age
    rule (``participants.rules.age.calendar_age``: calendar anniversaries, a 29 February birthday on the day
    ``participants.leap_day_birthday`` names). ``sex`` is "M" or "F" (CDISC SDTM SEX letters for the vault's
    1/2). ``missing`` names what the record lacks ("date_of_birth", "sex"); ``before_birth`` is True when
    ``on`` is before the date of birth. The date of birth itself is never handed out.
    """

    on: dt.date
    years: int | None = None
    total_months: int | None = None
    sex: str = ""
    missing: tuple[str, ...] = ()
    before_birth: bool = False

    @property
    def complete(self) -> bool:
        return self.years is not None and bool(self.sex)


def age_and_sex(participant: Any, on: dt.date) -> AgeAndSex:
    """The age on ``on`` (completed years and total months) and the sex of ``participant``, read from the
    identity vault: only its date of birth and sex are decrypted, and only the age leaves this function."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from celltrial.participants import vault
    from celltrial.participants.models import Identity, Participant
    from celltrial.study.interface import protocol_version_in_force

    identity_id: int | None = getattr(participant, "identity_id", None)
    if identity_id is None:
        identity_id = Participant.objects.filter(pk=participant.pk).values_list("identity_id", flat=True).first()
    if identity_id is None:
        return AgeAndSex(on=on, missing=("date_of_birth", "sex"))
    # The raw tokens (a Cast to text skips the field's decryption), so the name, ID number and guardians'
    # details of the row are never decrypted here.
    tokens = Identity.objects.filter(pk=identity_id).annotate(
        dob_token=Cast("date_of_birth", output_field=TextField()),
        sex_token=Cast("sex", output_field=TextField())).values_list("dob_token", "sex_token").first()
    dob_token, sex_token = tokens or ("", "")
    dob: dt.date | None = None
    if dob_token:
        try:
            dob = dt.date.fromisoformat(vault.decrypt_text(dob_token))
        except ValueError:
            dob = None
    sex = _SEX_LETTERS.get(str(vault.decrypt_text(sex_token)).strip(), "") if sex_token else ""
    missing = tuple(name for name, absent in (("date_of_birth", dob is None), ("sex", not sex)) if absent)
    found = protocol_version_in_force()
    rules_ = state.participant_rules(found[1]) if found else ParticipantRules()
    age = state.age_on(dob, on, rules_)
    return AgeAndSex(on=on, years=age.years if age else None, total_months=age.total_months if age else None,
                     sex=sex, missing=missing, before_birth=dob is not None and on < dob)


# --- dosing -----------------------------------------------------------------------------------------------------



@dataclass(frozen=True)
class Dosing:
    """A participant's dosing: the day (Day 0), the dose level and the cohort number."""

    dosed_on: dt.date
    dose_level: str
    cohort: int | None


def dosing(participant: Any) -> Dosing | None:
    """The participant's dosing, or None when the child has not been dosed."""
    if participant.dosed_on is None:
        return None
    return Dosing(participant.dosed_on, participant.dose_level, participant.cohort)


def dosed_participants() -> list[Any]:
    """Every dosed participant (all sites; callers scope for display), in dosing order."""
    from celltrial.participants.models import Participant

    return list(Participant.objects.filter(dosed_on__isnull=False).select_related("site")
                .order_by("dosed_on", "subject_id"))


# --- the product room's allocation and dosing ------------------------------------------------------------------



def _form_values(participant: Any, visit: str, form: str, repeat: int = 1) -> dict[str, Any] | None:
    """The item values of one form record, or None when it was not entered.

    The one place that knows where form records live: the capture room owns them (they moved there from the
    participants room's ``FormRecord`` this round), so this is one call to its interface.
    """
    from celltrial.capture.interface import form_values

    return form_values(participant, visit, form, repeat)


# The protocol's ``dosing.weight_basis`` names a day; the visits read for it, in order of preference.
# ``day_minus_1``: the visits whose protocol day is -1, the baseline visit(s) first and the screening visit
# last, because this protocol itself sets screening at Day -1 (window -27..0): a screening weight is used
# only when no later Day -1 visit has one. ``screening``: the screening visit. ``dose_day``: the Day 0 visit(s).
def weight_basis_visits(protocol: Any) -> list[str]:
    basis = protocol.dosing.weight_basis
    screening = protocol.visits[0].code if protocol.visits else "SCR"
    if basis == "screening":
        return [screening]
    day = 0 if basis == "dose_day" else -1
    found = [v.code for v in protocol.visits if v.day == day and v.code != screening]
    if basis == "day_minus_1" and protocol.visits and protocol.visits[0].day == -1:
        found.append(screening)
    return found


@dataclass(frozen=True)
class AllocationSubject:
    """Whether a subject may receive a unit at a site, with what the dose is computed from.

    ``refusal`` is empty when the allocation may go ahead, else the reason in the active language (with
    ``refusal_code``: unknown, other_site, not_enrolled, withdrawn, dosed, no_dose_level, no_weight).
    ``weight_kg`` is the weight measured on ``weight_visit`` (``weight_date``); ``dosing_weight_kg`` is it
    capped at the protocol's ``weight_cap_kg``.
    """

    subject_id: str
    site_code: str
    participant_id: int | None = None
    enrolled: bool = False
    withdrawn_from_product: bool = False
    dosed_on: dt.date | None = None
    day0: dt.date | None = None
    dose_level: str = ""
    dose_cells_per_kg: float | None = None
    weight_basis: str = ""
    weight_visit: str = ""
    weight_kg: float | None = None
    weight_date: dt.date | None = None
    weight_cap_kg: float | None = None
    dosing_weight_kg: float | None = None
    refusal_code: str = ""
    refusal: str = ""
    participant: Any = field(default=None, compare=False, repr=False)

    @property
    def allowed(self) -> bool:
        return not self.refusal_code


def _weight(participant: Any, visits: list[str]) -> tuple[str, float, dt.date] | None:
    from celltrial.participants.models import Visit

    for code in visits:
        values = _form_values(participant, code, "vitals")
        raw = (values or {}).get("weight_kg")
        if raw in (None, ""):
            continue
        try:
            kg = float(raw)
        except (TypeError, ValueError):
            continue
        when: dt.date | None = None
        text = str((values or {}).get("vs_date") or "")
        if text:
            try:
                when = dt.date.fromisoformat(text)
            except ValueError:
                when = None
        if when is None:
            when = Visit.objects.filter(participant=participant, code=code).values_list(
                "actual_date", flat=True).first()
        if when is None:
            continue
        return code, kg, when
    return None


def allocation_subject(subject_id: str, site_code: str) -> AllocationSubject:
    """Whether the child with ``subject_id`` may be allocated a unit at ``site_code``, and the dose inputs
    from the record: the dose level assigned at enrolment (its cells/kg from the protocol) and the weight
    from the ``vitals`` form at the protocol's weight-basis visit (:func:`weight_basis_visits`) with its date.

    Refused (``refusal``): no such subject, a subject of another site, not enrolled, withdrawn (from the
    product or the study), already dosed, no dose level, no weight on the basis day. Whether the product
    room already allocated a unit to the subject is the product room's own check.
    """
    from celltrial.participants.models import Participant, Status

    text = (subject_id or "").strip().upper()
    base = AllocationSubject(subject_id=text, site_code=site_code)
    child = Participant.objects.filter(subject_id=text).select_related("site").first()
    if child is None:
        return dataclasses.replace(base, refusal_code="unknown", refusal=_(
            "No enrolled participant has the subject ID %(subject)s.") % {"subject": text})
    p = state.protocol()[1]
    known = dataclasses.replace(base, participant_id=child.pk, participant=child,
                                enrolled=child.status == Status.ENROLLED,
                                withdrawn_from_product=state.withdrawal_scope(child) is not None,
                                dosed_on=child.dosed_on, day0=child.day0, dose_level=child.dose_level or "",
                                weight_basis=p.dosing.weight_basis, weight_cap_kg=p.dosing.weight_cap_kg)
    if child.site.code != site_code:
        return dataclasses.replace(known, participant=None, participant_id=None, refusal_code="other_site",
                                   refusal=_("Participant %(subject)s is not a participant of site %(site)s.") % {
                                       "subject": text, "site": site_code})
    if known.withdrawn_from_product or child.status == Status.WITHDRAWN:
        return dataclasses.replace(known, refusal_code="withdrawn", refusal=_(
            "Participant %(subject)s is withdrawn from the study product.") % {"subject": text})
    if not known.enrolled:
        return dataclasses.replace(known, refusal_code="not_enrolled", refusal=_(
            "Participant %(subject)s is not enrolled (%(status)s).") % {
                "subject": text, "status": child.get_status_display()})
    if child.dosed_on is not None:
        return dataclasses.replace(known, refusal_code="dosed", refusal=_(
            "Participant %(subject)s was already dosed on %(day)s.") % {
                "subject": text, "day": child.dosed_on.isoformat()})
    try:
        level = p.dose_level(child.dose_level)
    except KeyError:
        return dataclasses.replace(known, refusal_code="no_dose_level", refusal=_(
            "Participant %(subject)s has no dose level of the protocol in force.") % {"subject": text})
    known = dataclasses.replace(known, dose_cells_per_kg=level.dose_cells_per_kg)
    visits = weight_basis_visits(p)
    found = _weight(child, visits)
    if found is None:
        return dataclasses.replace(known, refusal_code="no_weight", refusal=_(
            "No dated body weight is recorded for %(subject)s at the weight-basis visit (%(visits)s): enter the "
            "vitals form there first.") % {"subject": text, "visits": ", ".join(visits) or "—"})
    code, kg, when = found
    cap = p.dosing.weight_cap_kg
    return dataclasses.replace(known, weight_visit=code, weight_kg=kg, weight_date=when,
                               dosing_weight_kg=min(kg, cap) if cap is not None else kg)


def awaiting_dosing(site_code: str) -> list[Any]:
    """Enrolled participants of a site not yet dosed nor withdrawn, by planned Day 0 then subject ID."""
    from celltrial.participants.models import Participant, Status

    children = Participant.objects.filter(site__code=site_code, status=Status.ENROLLED, dosed_on__isnull=True,
                                          subject_id__isnull=False).select_related("site").order_by("day0", "subject_id")
    return [c for c in children if state.withdrawal_scope(c) is None]


def record_dosing(actor: Any, participant: Any, *, dosed_on: dt.date) -> Any:
    """Record the participant's dosing (Day 0) as the product room's administration happens; the visit
    schedule follows. The participants room's ``record_dosing`` operation (its checks and audit entries),
    in the caller's transaction."""
    from celltrial.participants import services
    from celltrial.participants.models import Participant

    current = Participant.objects.select_related("site").get(pk=participant.pk)
    return services.record_dosing(actor, current, dosed_on=dosed_on)
