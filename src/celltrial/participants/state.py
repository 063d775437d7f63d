"""Where a participant stands, read from the database and judged by the pure rules: the protocol in
force, the child's age from the vault, consent state, the eligibility evaluation and whether data
entry is open. Reads only; the writes are in :mod:`celltrial.participants.services`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from celltrial.accounts.models import Signature
from celltrial.capture.interface import form_records
from celltrial.core.errors import ValidationFailed
from celltrial.participants import vault
from celltrial.participants.models import (
    ConsentDocument,
    ConsentRecord,
    EligibilityDecision,
    Identity,
    Participant,
    Visit,
    VisitStatus,
)
from celltrial.participants.rules import consent as consent_rules
from celltrial.participants.rules import eligibility as rules
from celltrial.participants.rules.age import Age, calendar_age
from celltrial.study.interface import protocol_version_in_force, site_time_zones
from celltrial.study.protocol.schema import Participants as ParticipantRules

# Values the eligibility engine supplies itself (docs/participants.md "Derived values"): they take
# precedence over a field of the same name, and the forms that hold only these are not typed in.
DERIVED_FIELDS = frozenset({"age_years", "age_months", "guardian_consent", "assent", "consent_date",
                            "consent_version"})


def protocol() -> tuple[int, Any]:
    found = protocol_version_in_force()
    if found is None:
        raise ValidationFailed("No protocol is loaded: load one before screening.")
    return found


def participant_rules(p: Any) -> ParticipantRules:
    return p.participants or ParticipantRules()


def site_today(site_code: str, zones: dict[str, str] | None = None) -> dt.date:
    """Today at the site (dates of visits, consent and screening are the site's calendar dates)."""
    zone = (zones or site_time_zones()).get(site_code) or "Asia/Shanghai"
    return timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).date()


def site_date(when: dt.datetime, site_code: str, zones: dict[str, str] | None = None) -> dt.date:
    """The calendar date at the site of a moment (a consent at 07:30 in Beijing is that day, not the UTC day before)."""
    zone = (zones or site_time_zones()).get(site_code) or "Asia/Shanghai"
    return when.astimezone(zoneinfo.ZoneInfo(zone)).date()


def age_on(dob: dt.date | None, day: dt.date | None, rules_: ParticipantRules) -> Age | None:
    if dob is None or day is None or day < dob:
        return None
    return calendar_age(dob, day, leap_day_birthday=rules_.leap_day_birthday)


def entered_forms(p: Any, visit_code: str) -> list[Any]:
    """The forms typed in at a visit: those it collects, less the ones filled from elsewhere
    (the consent form, from the consent records) and with at least one field to enter."""
    visit = p.visit(visit_code)
    forms = []
    for name in visit.forms:
        form = p.form(name)
        typed = [f for f in form.fields if f.type not in ("calc", "descriptive") and not f.identifier
                 and f.name not in DERIVED_FIELDS]
        if typed:
            forms.append(form)
    return forms


# --- consent ---------------------------------------------------------------------------------------


class RecordRow(NamedTuple):
    """What the consent rules need of a consent record (read as values, not model instances)."""

    pk: int
    participant_id: int
    kind: str
    document_id: int
    obtained_at: dt.datetime
    method: str
    outcome: str
    guardian_slot: int | None
    guardian_can_read: bool
    has_witness: bool
    has_scan: bool
    updated_at: dt.datetime


class VisitRow(NamedTuple):
    participant_id: int
    code: str
    order: int
    target_date: dt.date | None
    status: str


@dataclass
class Bundle:
    """What the rules need about a set of participants, read in a fixed number of queries.

    Dates of birth are decrypted only when a rule asks for one (most consent states do not need it).
    """

    dob_tokens: dict[int, str]  # participant id -> the encrypted date of birth
    identity_saved: dict[int, dt.datetime]
    records: dict[int, list[RecordRow]]
    evidence: set[int]  # consent record ids with a valid e-signature
    documents: dict[tuple[int, str], list[consent_rules.Document]]  # (site id, language)
    document_by_id: dict[int, consent_rules.Document]
    visits: dict[int, list[VisitRow]]
    zones: dict[str, str]
    _dobs: dict[int, dt.date | None] = field(default_factory=dict)

    def dob(self, participant_id: int) -> dt.date | None:
        if participant_id not in self._dobs:
            token = self.dob_tokens.get(participant_id) or ""
            try:
                self._dobs[participant_id] = dt.date.fromisoformat(vault.decrypt_text(token)) if token else None
            except ValueError:
                self._dobs[participant_id] = None
        return self._dobs[participant_id]


def bundle(participants: list[Any], *, with_visits: bool = True) -> Bundle:
    ids = [x.pk for x in participants]
    identity_ids = {x.identity_id for x in participants}
    # The raw token (Cast to text skips the field's decryption); decrypted on demand by Bundle.dob.
    identities = {pk: (token, saved) for pk, token, saved in Identity.objects.filter(pk__in=identity_ids).annotate(
        token=Cast("date_of_birth", output_field=TextField())).values_list("pk", "token", "updated_at")}
    records: dict[int, list[RecordRow]] = {}
    for values in ConsentRecord.objects.filter(participant_id__in=ids).annotate(
            witness_token=Cast("witness_name", output_field=TextField())).order_by("obtained_at", "id").values_list(
            "pk", "participant_id", "kind", "document_id", "obtained_at", "method", "outcome", "guardian_slot",
            "guardian_can_read", "witness_token", "scan_sha256", "updated_at"):
        row = RecordRow(*values[:9], has_witness=bool(values[9]), has_scan=bool(values[10]), updated_at=values[11])
        records.setdefault(row.participant_id, []).append(row)
    record_ids = [str(r.pk) for rows in records.values() for r in rows]
    evidence = {int(oid) for oid in Signature.objects.filter(
        object_type="participants.consentrecord", object_id__in=record_ids, voided_at__isnull=True,
        meaning="authored").values_list("object_id", flat=True)} if record_ids else set()
    keys = {(x.site_id, x.consent_language) for x in participants}
    documents: dict[tuple[int, str], list[consent_rules.Document]] = {k: [] for k in keys}
    by_id: dict[int, consent_rules.Document] = {}
    if keys:
        for pk, site_id, language, kind, version, valid_from, valid_until in ConsentDocument.objects.filter(
                site_id__in={k[0] for k in keys}).values_list(
                "pk", "site_id", "language", "kind", "form_version", "valid_from", "valid_until"):
            document = consent_rules.Document(pk, kind, version, valid_from, valid_until)
            by_id[pk] = document
            if (site_id, language) in documents:
                documents[(site_id, language)].append(document)
    visits: dict[int, list[VisitRow]] = {}
    if with_visits:
        for participant_id, code, order, target, status in Visit.objects.filter(participant_id__in=ids).order_by(
                "order").values_list("participant_id", "code", "order", "target_date", "status"):
            visits.setdefault(participant_id, []).append(VisitRow(participant_id, code, order, target, status))
    return Bundle({x.pk: identities.get(x.identity_id, ("", None))[0] for x in participants},
                  {x.pk: identities[x.identity_id][1] for x in participants if x.identity_id in identities},
                  records, evidence, documents, by_id, visits, site_time_zones())


def _witness_ok(r: RecordRow, rules_: ParticipantRules) -> bool:
    if r.outcome != "given":
        return True
    needs = (r.kind == "assent" and r.method in rules_.witness_for_assent_methods) or (
        r.kind == "guardian" and not r.guardian_can_read)
    return r.has_witness or not needs


def _schedule(visits: Iterable[Any]) -> list[consent_rules.Visit]:
    return [consent_rules.Visit(v.code, v.order, v.target_date, v.status != VisitStatus.SCHEDULED) for v in visits]


def consent_state(participant: Any, rules_: ParticipantRules, today: dt.date,
                  data: Bundle | None = None) -> consent_rules.State:
    """Consent state today of a participant (or any row with ``pk``, ``identity_id``, ``site_id``,
    ``site.code`` and ``consent_language``: the funnel passes light rows, not model instances)."""
    data = data or bundle([participant])
    zones = data.zones
    records = [
        consent_rules.Record(
            kind=r.kind, document=data.document_by_id[r.document_id],
            obtained_on=site_date(r.obtained_at, participant.site.code, zones), outcome=r.outcome,
            has_evidence=r.has_scan or r.pk in data.evidence, witness_ok=_witness_ok(r, rules_),
            guardian_slot=r.guardian_slot)
        for r in data.records.get(participant.pk, [])
    ]

    def years(day: dt.date) -> int | None:
        age = age_on(data.dob(participant.pk), day, rules_)
        return age.years if age else None

    return consent_rules.state(
        records, data.documents.get((participant.site_id, participant.consent_language), []),
        guardians_required=rules_.guardians_required, assent_from_age=rules_.assent_from_age_years,
        age_years_on=years, today=today, visits=_schedule(data.visits.get(participant.pk, [])),
        screening_visit="SCR")


def withdrawal_scope(participant: Participant) -> str | None:
    from celltrial.participants.models import Withdrawal

    return Withdrawal.objects.filter(participant=participant).values_list("scope", flat=True).first()


def entry_refusal(participant: Participant, visit_code: str | None, *, today: dt.date | None = None) -> str | None:
    """Why data entry for this participant at this visit is refused (a reason code), or None.

    The capture room asks this (``participants.interface.entry_refusal``) before every save.
    """
    p = protocol()[1]
    rules_ = participant_rules(p)
    today = today or site_today(participant.site.code)
    data = bundle([participant])
    state = consent_state(participant, rules_, today, data)
    schedule = _schedule(data.visits.get(participant.pk, []))
    if not schedule:
        schedule = [consent_rules.Visit(v.code, i, None, False) for i, v in enumerate(p.visits, start=1)]
    return consent_rules.entry_refusal(state, visit_code, schedule, paused=participant.paused,
                                       withdrawal_scope=withdrawal_scope(participant))


# --- eligibility -------------------------------------------------------------------------------------


def _iso(when: dt.datetime | None) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds") if when else ""


def eligibility_data(participant: Participant, p: Any, today: dt.date, data: Bundle | None = None) -> rules.Data:
    """The observations the criteria read: screening-form values with their provenance, and the
    values derived from the vault (age at consent) and the consent records."""
    rules_ = participant_rules(p)
    data = data or bundle([participant])
    raw: dict[str, dict[str, rules.Observation]] = {}
    for record in form_records(participant):
        try:
            form = p.form(record.form)
        except KeyError:
            continue
        visit = raw.setdefault(record.visit, {})
        for f in form.fields:
            if f.name in record.values:
                visit[f.name] = rules.Observation(record.values[f.name], form=record.form, visit=record.visit,
                                                  recorded_at=_iso(record.updated_at))
    state = consent_state(participant, rules_, today, data)
    derived: dict[str, rules.Observation] = {}
    consents = [r for r in data.records.get(participant.pk, []) if r.kind == "guardian" and r.outcome == "given"]
    consent_time = _iso(max((r.updated_at for r in consents), default=None))
    if state.guardians_ok:
        derived["guardian_consent"] = rules.Observation("1", form="consent records", recorded_at=consent_time,
                                                        source="consent")
        derived["consent_date"] = rules.Observation(
            state.first_consent_on.isoformat() if state.first_consent_on else "", form="consent records",
            recorded_at=consent_time, source="consent")
    else:
        derived["guardian_consent"] = rules.Observation("", form="consent records", source="consent")
        derived["consent_date"] = rules.Observation("", form="consent records", source="consent")
    assent_code = {"given": "1", "not_obtainable": "2", "not_sought": "2", "declined": "3"}.get(state.assent, "")
    derived["assent"] = rules.Observation(assent_code, form="consent records", recorded_at=consent_time,
                                          source="consent")
    dob = data.dob(participant.pk)
    age = age_on(dob, state.first_consent_on, rules_)
    identity_time = _iso(data.identity_saved.get(participant.pk)) if dob else ""
    derived["age_years"] = rules.Observation(age.years if age else "", form="identity vault",
                                             recorded_at=identity_time, source="vault")
    derived["age_months"] = rules.Observation(age.total_months if age else "", form="identity vault",
                                              recorded_at=identity_time, source="vault")
    # Branching: a field its logic hides is blank, not missing. A field hidden because the field its
    # logic reads is itself hidden ([preg_test] after [menarche], for a boy) needs a second pass, so
    # repeat until nothing changes (the chains are short).
    entered_visits = {}
    for visit in p.visits:
        entered = raw.get(visit.code)
        if entered is None:
            continue
        fields = []
        for form_name in visit.forms:
            if any(o.form == form_name for o in entered.values()):
                form = p.form(form_name)
                fields += [(f, entered.get(f.name, rules.Observation("", form=form_name, visit=visit.code)))
                           for f in form.fields]
        entered_visits[visit.code] = fields
    visits: dict[str, dict[str, rules.Observation]] = {
        code: {f.name: o for f, o in fields} for code, fields in entered_visits.items()}
    for _round in range(10):
        current = rules.Data(visits, derived, current_visit="SCR")
        changed = False
        for code, fields in entered_visits.items():
            for f, o in fields:
                applicable = rules.applicability(f.branching, current, code, today=today)
                if visits[code][f.name].applicable != applicable:
                    visits[code][f.name] = rules.Observation(o.value, o.form, o.visit, o.recorded_at, applicable)
                    changed = True
        if not changed:
            break
    return rules.Data(visits, derived, current_visit="SCR")


_ELIGIBILITY_VISITS: dict[int, tuple[Any, frozenset[str]]] = {}


def eligibility_visits(p: Any) -> frozenset[str]:
    """The visits (lower-case codes) whose form values the eligibility criteria can read: the screening
    visit, every visit a criterion names (``[bl][x]``), and the visits the branching of those visits'
    fields names, to a fixed point. A save at any other visit cannot change an eligibility evaluation.
    Computed once per protocol definition."""
    from celltrial.study.protocol.expressions import ExpressionError, references

    cached = _ELIGIBILITY_VISITS.get(id(p))
    if cached is not None and cached[0] is p:
        return cached[1]

    def visits_named(source: str | None, current: str) -> set[str]:
        if not source:
            return set()
        try:
            return {(ref.event or current).lower() for ref in references(source)}
        except ExpressionError:
            return {v.code.lower() for v in p.visits}  # cannot tell: any visit may feed it

    found = {"scr", p.visits[0].code.lower()}
    for criterion in p.eligibility:
        found |= visits_named(criterion.expression, "scr")
    pending = list(found)
    while pending:
        code = pending.pop()
        for visit in p.visits:
            if visit.code.lower() != code:
                continue
            for name in visit.forms:
                for f in p.form(name).fields:
                    for named in visits_named(f.branching, code) - found:
                        found.add(named)
                        pending.append(named)
    result = frozenset(found)
    _ELIGIBILITY_VISITS[id(p)] = (p, result)
    return result


def criteria(p: Any) -> list[rules.Criterion]:
    return [rules.Criterion(c.id, c.kind, c.expression) for c in p.eligibility]


def evaluate(participant: Participant, *, today: dt.date | None = None) -> rules.Evaluation:
    _number, p = protocol()
    today = today or site_today(participant.site.code)
    return rules.evaluate(criteria(p), eligibility_data(participant, p, today), today=today)


def latest_decision(participant: Participant) -> EligibilityDecision | None:
    """The newest signed decision (an unsigned one is a draft whose signing failed)."""
    signed = set(Signature.objects.filter(object_type="participants.eligibilitydecision",
                                          meaning="approved").filter(
        object_id__in=[str(pk) for pk in participant.eligibility_decisions.values_list("pk", flat=True)]
    ).values_list("object_id", flat=True))
    for decision in participant.eligibility_decisions.order_by("-evaluated_at", "-id"):
        if str(decision.pk) in signed:
            return decision
    return None
