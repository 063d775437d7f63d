"""A whole 3+3 sequence on live data (issue 12 §1, §4, §6): cohort states, the design's recommendation, the
signed SRC decision that opens (or does not open) the next cohort, quorum and the rationale rule.

The published rule, 3+3 "variant A" (escalation only; Storer BE, Biometrics 1989;45:925-937, design "A";
the default of the R package escalation's ``get_three_plus_three``; the default protocol's comment):
0/3 DLTs -> escalate; 1/3 -> treat 3 more at the same dose; 2 or more of 3 (or of 6) -> stop, the MTD is the
next lower dose. The expected decisions below are written from that rule, not from our engine.
"""

from __future__ import annotations

import datetime as dt

import pytest

from celltrial.core.errors import ValidationFailed
from celltrial.escalation import interface, services
from celltrial.escalation.models import Cohort, Decision
from celltrial.escalation.permissions import DECISION_SIGN, PACKET_FREEZE
from celltrial.escalation.rules import CohortState
from celltrial.study.interface import protocol_in_force
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _state(number=None):
    p = protocol_in_force()
    cohort = services.cohort_by_number(number, p) if number else services.current_cohort(p)
    return services.cohort_view(p, cohort, services.today()).state


def _decide(trial, member, kind, choice, **kw):
    packet = services.freeze_packet(trial.actor(member, PACKET_FREEZE), kind=kind)
    decision = services.propose_decision(trial.actor(member, DECISION_SIGN), packet, choice=choice, **kw)
    services.sign_decision(trial.actor(member, DECISION_SIGN), decision, password=PASSWORD)
    decision.refresh_from_db()
    return packet, decision


def _fill_cohort(trial, src, clock, dlts, outcomes):
    """Enrol three, dose the sentinel, decide on it at Day 14, dose the others 7 days apart, let the windows
    close, and set each child's DLT status ("T"/"N")."""
    people = [trial.enrol() for _ in range(3)]
    start = clock.today()
    trial.dose(people[0], start)
    assert _state() is CohortState.FULL
    clock.forward(14)
    dlts[people[0].subject_id] = "dlt" if outcomes[0] == "T" else "no_dlt"
    _decide(trial, src[0], "sentinel", "proceed",
            rationale="" if outcomes[0] == "N" else "sentinel DLT reviewed; the SRC lets the cohort continue")
    trial.dose(people[1], clock.today())
    clock.forward(7)
    trial.dose(people[2], clock.today())
    assert _state() is CohortState.IN_OBSERVATION
    clock.forward(29)  # the last window (Day 0 .. Day 28) has closed
    assert _state() is CohortState.IN_OBSERVATION  # closed windows, but adjudication pending
    for person, outcome in zip(people, outcomes, strict=True):
        dlts[person.subject_id] = "dlt" if outcome == "T" else "no_dlt"
    assert _state() is CohortState.AWAITING_DECISION
    return people


def test_a_3_plus_3_sequence_where_signed_decisions_open_the_next_cohort_or_end_escalation(
        trial, src, clock, dlts):
    assert interface.open_cohort(protocol_in_force()).number == 1
    _fill_cohort(trial, src, clock, dlts, "NNN")
    assert interface.open_cohort(protocol_in_force()) is None  # awaiting the SRC: no enrolment
    rec = services.recommendation()
    # 0/3 at DL1: escalate to DL2 (rule A).
    assert (rec["ready"], rec["choice"], rec["dose_level"]) == (True, "escalate", "DL2")
    packet, decision = _decide(trial, src[0], "cohort", "escalate")
    assert decision.status == Decision.EFFECTIVE
    opened = interface.open_cohort(protocol_in_force())
    assert (opened.number, opened.dose_level) == (2, "DL2")
    assert Cohort.objects.get(number=1).closed_at is not None
    assert Cohort.objects.get(number=2).opened_by == decision

    # Cohort 2: 1/3 at DL2 -> treat 3 more at DL2 (rule A: "stay").
    _fill_cohort(trial, src, clock, dlts, "NTN")
    rec = services.recommendation()
    assert (rec["choice"], rec["dose_level"]) == ("stay", "DL2")
    _decide(trial, src[0], "cohort", "stay")
    third = interface.open_cohort(protocol_in_force())
    assert (third.number, third.dose_level) == (3, "DL2")

    # Cohort 3: 1 more DLT, so 2/6 at DL2 -> stop; the MTD is DL1 (rule A).
    _fill_cohort(trial, src, clock, dlts, "NNT")
    rec = services.recommendation()
    assert (rec["choice"], rec["dose_level"], rec["continue"]) == ("mtd", "DL1", False)
    packet = services.freeze_packet(trial.actor(src[0], PACKET_FREEZE), kind="cohort")
    with pytest.raises(ValidationFailed) as refused:
        services.propose_decision(trial.actor(src[0], DECISION_SIGN), packet, choice="escalate")
    assert "rationale" in refused.value.errors
    decision = services.propose_decision(trial.actor(src[0], DECISION_SIGN), packet, choice="mtd")
    services.sign_decision(trial.actor(src[0], DECISION_SIGN), decision, password=PASSWORD)
    assert interface.open_cohort(protocol_in_force()) is None
    assert Cohort.objects.count() == 3 and _state() is CohortState.CLOSED
    rows = services.history()
    assert [r["dose_level"] for r in rows] == ["DL1"] * 3 + ["DL2"] * 6
    assert [r["dlt"] for r in rows].count("dlt") == 2


def test_enrolment_stops_when_the_cohort_is_full(trial):
    for _ in range(3):
        trial.enrol()
    assert interface.open_cohort(protocol_in_force()) is None
    assert "full" in interface.why_closed(protocol_in_force())
    with pytest.raises(ValidationFailed):
        trial.enrol()


def test_the_decision_takes_effect_only_at_the_quorum_and_each_member_signs_once(trial, src, clock, dlts, quorum):
    quorum(2)
    people = [trial.enrol() for _ in range(3)]
    trial.dose(people[0], clock.today())
    clock.forward(14)
    dlts[people[0].subject_id] = "no_dlt"
    packet = services.freeze_packet(trial.actor(src[0], PACKET_FREEZE), kind="sentinel")
    decision = services.propose_decision(trial.actor(src[0], DECISION_SIGN), packet, choice="proceed")
    assert decision.quorum == 2
    services.sign_decision(trial.actor(src[0], DECISION_SIGN), decision, password=PASSWORD)
    decision.refresh_from_db()
    assert decision.status == Decision.PROPOSED
    refusal = interface.dosing_refusal(people[1], clock.today())
    assert refusal is not None and "SRC" in refusal.reason  # one signature of two: not yet
    with pytest.raises(ValidationFailed):
        services.sign_decision(trial.actor(src[0], DECISION_SIGN), decision, password=PASSWORD)
    with pytest.raises(ValidationFailed):
        services.sign_decision(trial.actor(src[1], DECISION_SIGN), decision, password="wrong password")
    services.sign_decision(trial.actor(src[1], DECISION_SIGN), decision, password=PASSWORD)
    decision.refresh_from_db()
    assert decision.status == Decision.EFFECTIVE
    assert interface.dosing_refusal(people[1], clock.today()) is None


def test_dosing_into_a_cohort_before_the_decision_that_opened_it_is_refused(trial, src, clock, dlts):
    _fill_cohort(trial, src, clock, dlts, "NNN")
    _decide(trial, src[0], "cohort", "escalate")
    opened = clock.today()
    child = trial.enrol()
    assert child.cohort == 2
    refusal = interface.dosing_refusal(child, opened - dt.timedelta(days=1))
    assert refusal is not None and refusal.allowed_from == opened
    assert interface.dosing_refusal(child, opened) is None


def test_only_src_members_propose_and_sign(trial, src, clock, dlts, make_user):
    from celltrial.core.errors import AccessDenied

    _fill_cohort(trial, src, clock, dlts, "NNN")
    packet = services.freeze_packet(trial.actor(src[0], PACKET_FREEZE), kind="cohort")
    from celltrial.core.actor import Actor
    from tests.conftest import TRIAL_WIDE

    monitor = make_user("medmon", "medical_monitor", at=TRIAL_WIDE)
    with pytest.raises(AccessDenied):
        services.propose_decision(Actor(user=monitor, role="medical_monitor"), packet, choice="escalate")
    assert not Decision.objects.filter(packet=packet).exists()


def test_a_participant_not_evaluable_for_dlt_frees_a_place_for_a_replacement(trial, clock, dlts):
    people = [trial.enrol() for _ in range(3)]
    trial.dose(people[0], clock.today())
    assert _state() is CohortState.FULL
    dlts[people[0].subject_id] = "not_evaluable"  # e.g. did not receive the full dose
    assert _state() is CohortState.OPEN
    replacement = trial.enrol()
    assert replacement.cohort == 1 and _state() is CohortState.FULL
