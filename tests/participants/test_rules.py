"""The participants room's pure rules, each against its published or declared rule."""

from __future__ import annotations

import datetime as dt

import pytest

from celltrial.participants.rules import consent, funnel, idcard, windows
from celltrial.study.protocol import default_protocol_path, load_protocol

D = dt.date


@pytest.fixture(scope="module")
def protocol():
    return load_protocol(default_protocol_path())


# --- GB 11643-1999 --------------------------------------------------------------------------------


def test_the_standards_own_example_number_is_valid():
    # GB 11643-1999 prints 11010519491231002X as its example (check character X, i.e. 10).
    assert idcard.problems("11010519491231002X") == []
    assert idcard.problems("11010519491231002x") == []  # typed in lower case


@pytest.mark.parametrize(("number", "problem"), [
    ("110105194912310021", "check"),
    ("1101051949123100", "shape"),
    ("11010519491331002X", "date"),
])
def test_a_wrong_number_says_what_is_wrong(number, problem):
    assert problem in idcard.problems(number)


def test_the_birth_date_and_sex_inside_the_number_are_checked():
    number = "11010519491231002X"  # sequence 002: even, a woman, born 1949-12-31
    assert idcard.problems(number, dob=D(1949, 12, 31), sex="2") == []
    assert "dob_mismatch" in idcard.problems(number, dob=D(1949, 12, 30))
    assert "sex_mismatch" in idcard.problems(number, sex="1")


def test_built_numbers_carry_the_check_character():
    assert idcard.build("110105", D(1949, 12, 31), 2) == "11010519491231002X"


# --- visit windows (protocol visits table: D7 ±2, W24 = D168 ±7, screening D−28…−1) ------------------------


def test_windows_follow_the_protocols_schedule(protocol):
    day0 = D(2025, 10, 1)
    planned = {p.code: p for p in windows.plan(
        [(v.code, v.day, v.window.minus, v.window.plus) for v in protocol.visits], day0)}
    assert (planned["SCR"].earliest, planned["SCR"].latest) == (D(2025, 9, 3), D(2025, 9, 30))
    assert planned["D7"].target == D(2025, 10, 8)
    assert (planned["D7"].earliest, planned["D7"].latest) == (D(2025, 10, 6), D(2025, 10, 10))
    assert planned["W24"].target == day0 + dt.timedelta(days=168)
    assert (planned["W24"].earliest, planned["W24"].latest) == (D(2026, 3, 11), D(2026, 3, 25))


@pytest.mark.parametrize(("actual", "today", "expected"), [
    (D(2025, 10, 6), None, windows.Standing.DONE),
    (D(2025, 10, 10), None, windows.Standing.DONE),
    (D(2025, 10, 11), None, windows.Standing.DONE_LATE),
    (D(2025, 10, 5), None, windows.Standing.DONE_EARLY),
    (None, D(2025, 10, 5), windows.Standing.UPCOMING),
    (None, D(2025, 10, 6), windows.Standing.OPEN),
    (None, D(2025, 10, 10), windows.Standing.OPEN),
    (None, D(2025, 10, 11), windows.Standing.OVERDUE),
])
def test_a_visit_outside_its_window_is_flagged(actual, today, expected):
    standing = windows.standing(D(2025, 10, 6), D(2025, 10, 10), actual, today or D(2025, 12, 1))
    assert standing is expected
    assert (standing in windows.OUT_OF_WINDOW) == (expected in {windows.Standing.DONE_LATE, windows.Standing.DONE_EARLY,
                                                                windows.Standing.OVERDUE})


def test_due_this_week_means_the_window_overlaps_monday_to_sunday():
    monday, sunday = windows.week_of(D(2025, 10, 8))  # a Wednesday
    assert (monday, sunday) == (D(2025, 10, 6), D(2025, 10, 12))
    assert windows.due_in(D(2025, 10, 12), D(2025, 10, 14), monday, sunday)
    assert not windows.due_in(D(2025, 10, 13), D(2025, 10, 14), monday, sunday)
    assert windows.due_in(D(2025, 9, 30), D(2025, 10, 6), monday, sunday)


# --- the funnel --------------------------------------------------------------------------------------------


def test_each_stage_counts_children_who_reached_every_stage_before_it():
    children = [
        funnel.Child("A", eligible=True, consented=True, enrolled=True, dosed=True),
        funnel.Child("A", eligible=True, consented=True, enrolled=True),
        funnel.Child("A", eligible=False, consented=True),  # consented, not (yet) eligible: screened only
        funnel.Child("B", eligible=True),
        funnel.Child("B"),
    ]
    result = funnel.funnel({"A": 5, "B": 2}, children)
    assert result.overall.as_list() == [("prescreened", 7), ("screened", 5), ("eligible", 3), ("consented", 2),
                                        ("enrolled", 2), ("dosed", 1)]
    assert result.by_site["B"].as_list() == [("prescreened", 2), ("screened", 2), ("eligible", 1), ("consented", 0),
                                             ("enrolled", 0), ("dosed", 0)]
    shares = result.overall.conversion()
    assert shares[0][2] is None and shares[2][2] == pytest.approx(3 / 5)
    assert result.by_site["B"].conversion()[4][2] is None  # after a stage of 0 there is no share


# --- consent rules ------------------------------------------------------------------------------------------


def _doc(pk, kind, version, valid_from):
    return consent.Document(pk, kind, version, valid_from)


def _years(dob):
    def age(day):
        from celltrial.participants.rules.age import calendar_age

        return calendar_age(dob, day).years if day >= dob else None

    return age


G1 = _doc(1, consent.GUARDIAN, "1.0", D(2025, 1, 1))
A1 = _doc(2, consent.ASSENT, "1.0", D(2025, 1, 1))
BORN = D(2016, 6, 1)
TODAY = D(2025, 9, 1)
CONSENTED = D(2025, 8, 1)


def _state(records, documents=(G1, A1), dob=BORN, today=TODAY, visits=()):
    return consent.state(records, documents, guardians_required=1, assent_from_age=7, age_years_on=_years(dob),
                         today=today, visits=visits, screening_visit="SCR")


def _guardian(doc=G1, on=CONSENTED, evidence=True):
    return consent.Record(consent.GUARDIAN, doc, on, "given", has_evidence=evidence, guardian_slot=1)


def _assent(doc=A1, on=CONSENTED, outcome="given", evidence=True, witness=True):
    return consent.Record(consent.ASSENT, doc, on, outcome, has_evidence=evidence, witness_ok=witness)


def test_consent_needs_the_guardian_and_the_assent_of_a_child_of_assent_age():
    assert not _state([]).valid
    assert not _state([_guardian()]).valid  # 9 years old: assent is sought from 7
    assert _state([_guardian(), _assent()]).valid
    assert _state([_guardian(), _assent(outcome="not_obtainable")]).valid
    assert not _state([_guardian(), _assent(outcome="declined")]).valid


def test_evidence_and_witness_are_part_of_valid_consent():
    assert not _state([_guardian(evidence=False), _assent()]).valid
    assert not _state([_guardian(), _assent(witness=False)]).valid


def test_assent_is_not_sought_below_the_protocols_age_and_becomes_due_when_reached():
    six = D(2019, 3, 1)
    young = _state([_guardian(on=D(2025, 8, 1))], dob=six, today=D(2025, 9, 1))
    assert young.valid and young.assent == "not_sought" and young.due == []
    visits = [consent.Visit("W12", 9, D(2026, 3, 10), False), consent.Visit("W24", 10, D(2026, 5, 20), False)]
    later = _state([_guardian(on=D(2025, 8, 1))], dob=six, today=D(2026, 3, 5), visits=visits)
    assert later.valid and [(d.kind, d.reason, d.since, d.visit) for d in later.due] == [
        (consent.ASSENT, "assent_age", D(2026, 3, 1), "W12")]


def test_a_newer_approved_version_makes_re_consent_due_at_the_next_visit():
    g2 = _doc(3, consent.GUARDIAN, "2.0", D(2025, 10, 1))
    visits = [consent.Visit("D7", 5, D(2025, 9, 20), True), consent.Visit("D14", 6, D(2025, 10, 5), False),
              consent.Visit("D28", 7, D(2025, 10, 19), False)]
    state = _state([_guardian(), _assent()], documents=(G1, A1, g2), today=D(2025, 10, 2), visits=visits)
    assert state.valid and not state.current
    assert [(d.version, d.visit) for d in state.due] == [("2.0", "D14")]
    assert consent.entry_refusal(state, "D14", visits, paused=False, withdrawal_scope=None) is None
    assert consent.entry_refusal(state, "D28", visits, paused=False, withdrawal_scope=None) == "reconsent_due"
    again = _state([_guardian(), _assent(), _guardian(doc=g2, on=D(2025, 10, 5))], documents=(G1, A1, g2),
                   today=D(2025, 10, 6), visits=visits)
    assert again.current


def test_what_entry_refusal_says_in_order():
    valid = _state([_guardian(), _assent()])
    assert consent.entry_refusal(_state([]), "SCR", (), paused=False, withdrawal_scope=None) == "consent_missing"
    assert consent.entry_refusal(valid, "SCR", (), paused=True, withdrawal_scope=None) == "paused"
    assert consent.entry_refusal(valid, "SCR", (), paused=False, withdrawal_scope="all") == "withdrawn_all"
    assert consent.entry_refusal(valid, "D7", (), paused=False, withdrawal_scope="visits") == "withdrawn_visits"
    assert consent.entry_refusal(valid, "D7", (), paused=False, withdrawal_scope="product") is None


# --- form values against the data dictionary -----------------------------------------------------------
