"""The pure rules: the query workflow, which hold governs a form, edit-check evaluation and the gaps list."""

from __future__ import annotations

import datetime as dt

import pytest

from celltrial.capture.quality.rules import checks, locks, overdue, queries
from celltrial.capture.quality.rules.errors import QualityRefused
from celltrial.core.errors import InputError

# --- the query workflow: every (action, status) pair -----------------------------------------------------

ALLOWED = {("answer", "open"): "answered", ("close", "open"): "closed", ("close", "answered"): "closed",
           ("reopen", "answered"): "open", ("reopen", "closed"): "open"}


@pytest.mark.parametrize("action", ["answer", "close", "reopen"])
@pytest.mark.parametrize("status", ["open", "answered", "closed"])
def test_every_transition_is_allowed_or_refused(action, status):
    if (action, status) in ALLOWED:
        assert queries.next_status(action, status) == ALLOWED[(action, status)]
    else:
        with pytest.raises(QualityRefused) as exc:
            queries.next_status(action, status)
        assert exc.value.code == f"{action}_from_{status}"
        assert isinstance(exc.value, InputError)


def test_unknown_action_is_refused():
    with pytest.raises(QualityRefused):
        queries.next_status("delete", "open")


# --- holds ------------------------------------------------------------------------------------------------


def test_a_form_hold_covers_only_its_form():
    hold = locks.Hold("form", "freeze", 1, "BL", "vitals")
    assert locks.governing([hold], 1, "BL", "vitals") == hold
    assert locks.governing([hold], 1, "BL", "labs") is None
    assert locks.governing([hold], 1, "W12", "vitals") is None
    assert locks.governing([hold], 2, "BL", "vitals") is None


def test_a_visit_hold_covers_the_visit_check_with_no_form():
    hold = locks.Hold("visit", "lock", 1, "BL")
    assert locks.governing([hold], 1, "BL", "") == hold
    assert locks.governing([hold], 1, "BL", "abc") == hold
    assert locks.governing([locks.Hold("form", "lock", 1, "BL", "abc")], 1, "BL", "") is None


def test_lock_wins_over_freeze_then_the_widest_level():
    freeze_db = locks.Hold("database", "freeze")
    lock_form = locks.Hold("form", "lock", 1, "BL", "vitals")
    lock_participant = locks.Hold("participant", "lock", 1)
    assert locks.governing([freeze_db, lock_form], 1, "BL", "vitals") == lock_form
    assert locks.governing([freeze_db, lock_form, lock_participant], 1, "BL", "vitals") == lock_participant
    assert locks.governing([freeze_db], 99, "W52", "abc") == freeze_db


def test_a_freeze_stops_entry_only_a_lock_stops_queries_and_sdv():
    freeze, lock = locks.Hold("visit", "freeze", 1, "BL"), locks.Hold("visit", "lock", 1, "BL")
    assert [locks.stops(freeze, w) for w in ("entry", "query", "sdv")] == [True, False, False]
    assert [locks.stops(lock, w) for w in ("entry", "query", "sdv")] == [True, True, True]
    assert not locks.stops(None, "entry")


def test_scope_keys_need_their_parts():
    assert locks.scope_key("database") == "database"
    assert locks.scope_key("form", 3, "BL", "abc") == "form:3:BL:abc"
    for level, args in (("participant", ()), ("visit", (3,)), ("form", (3, "BL"))):
        with pytest.raises(ValueError):
            locks.scope_key(level, *args)


# --- edit checks ------------------------------------------------------------------------------------------


def _check(logic, forms=("vitals",), visits=()):
    from celltrial.study.protocol.edit_checks import EditCheck

    return EditCheck.model_validate({"id": "X", "message": "m", "logic": logic, "forms": list(forms),
                                     "visits": list(visits)})


def test_logic_true_means_discrepant_and_blank_is_not():
    check = _check("[dbp] >= [sbp]")
    assert checks.evaluate(check, {"sbp": "100", "dbp": "110"}, {}).discrepant
    assert not checks.evaluate(check, {"sbp": "100", "dbp": "60"}, {}).discrepant
    # REDCap: a comparison with a blank operand is false, so a check never fires on data not entered.
    assert not checks.evaluate(check, {"sbp": "", "dbp": "60"}, {}).discrepant


def test_cross_visit_reference_reads_the_other_visit_only():
    check = _check("[weight_kg] < 0.9 * [bl][weight_kg]")
    assert checks.evaluate(check, {"weight_kg": "20"}, {"bl": {"weight_kg": "25"}}).discrepant
    assert not checks.evaluate(check, {"weight_kg": "23"}, {"bl": {"weight_kg": "25"}}).discrepant
    # No baseline: blank, not a fall back to the current record.
    assert not checks.evaluate(check, {"weight_kg": "20"}, {}).discrepant
    assert checks.reads_visit(check, "BL", ["weight_kg"]) and not checks.reads_visit(check, "BL", ["sbp"])


def test_applies_to_forms_and_visits():
    check = _check("[sbp] > 1", visits=("D7",))
    assert check.applies_to("vitals", "D7") and check.applies_to("vitals", "d7")
    assert not check.applies_to("vitals", "BL") and not check.applies_to("labs", "D7")


def test_a_check_that_does_not_parse_is_refused_by_the_schema():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="logic does not parse"):
        _check("[sbp] >")


def test_cross_references_are_checked_against_the_protocol():
    from celltrial.study.protocol import default_protocol_path, load_protocol
    from celltrial.study.protocol.edit_checks import problems

    protocol = load_protocol(default_protocol_path())
    bad = protocol.model_copy(update={"edit_checks": [_check("[nope] > 1 and [zz][sbp] > 1", forms=("nosuch",),
                                                             visits=("Q9",))]})
    found = problems(bad)
    assert any("no form 'nosuch'" in p for p in found)
    assert any("no visit 'Q9'" in p for p in found)
    assert any("[nope]" in p for p in found)
    assert any("[zz]" in p for p in found)
    assert problems(protocol.model_copy(update={"edit_checks": [_check("[dbp] >= [sbp]")]})) == []


def test_protocol_without_checks_keeps_its_hash():
    from celltrial.study.protocol import default_protocol_path, load_protocol

    protocol = load_protocol(default_protocol_path())
    assert protocol.edit_checks  # the shipped protocol has some
    without = protocol.model_copy(update={"edit_checks": None})
    assert "edit_checks" not in without.canonical_json()


# --- missing and overdue ----------------------------------------------------------------------------------

TODAY = dt.date(2026, 3, 10)


def _slot(visit, status, latest, actual=None):
    return overdue.VisitSlot(1, "S-01", "BJ", visit, status, latest, actual)


def test_gaps_of_done_overdue_and_future_visits():
    slots = [_slot("BL", "done", dt.date(2026, 1, 2), dt.date(2026, 1, 1)),
             _slot("D7", "scheduled", dt.date(2026, 3, 9)),   # window closed yesterday
             _slot("D14", "scheduled", dt.date(2026, 3, 10)),  # closes today: not yet overdue
             _slot("D28", "missed", dt.date(2026, 1, 1))]
    expected = {"BL": ["vitals", "abc"], "D7": ["vitals"], "D14": ["vitals"], "D28": ["vitals"]}
    present = {(1, "BL", "vitals"): "complete", (1, "BL", "abc"): "draft"}
    found = overdue.gaps(slots, expected, present, TODAY)
    assert [(g.visit, g.form, g.kind, g.days) for g in found] == [
        ("BL", "abc", "incomplete", 68), ("D7", "vitals", "overdue", 1)]


def test_a_complete_record_closes_the_gap():
    slots = [_slot("D7", "scheduled", dt.date(2026, 3, 1))]
    assert overdue.gaps(slots, {"D7": ["vitals"]}, {(1, "D7", "vitals"): "complete"}, TODAY) == []


def test_query_field_defaults_to_the_first_field_read():
    check = _check("[dbp] >= [sbp]")
    assert check.query_field(["vs_date", "sbp", "dbp"]) == "sbp"

