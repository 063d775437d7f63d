"""Instruments scored on completion, change from baseline by visit, and the RUPP responder rule.

The responder rule is checked against its published definition — RUPP Autism Network, McCracken JT et al.,
N Engl J Med 2002;347:314-321: a reduction of at least 25 % in the ABC Irritability subscale from baseline
AND a CGI-I of 1 (very much improved) or 2 (much improved). The Irritability items are the published key
(Aman et al. 1985; listed in shared/domain/clinical.md §2): 2, 4, 8, 10, 14, 19, 25, 29, 34, 36, 41, 47,
50, 52, 57.
"""

from __future__ import annotations

import json

import pytest

from celltrial.capture import interface, outcomes, services
from celltrial.core.errors import ValidationFailed

IRRITABILITY = (2, 4, 8, 10, 14, 19, 25, 29, 34, 36, 41, 47, 50, 52, 57)


def abc(irritability: list[int] | int, other: int = 1) -> dict[str, str]:
    """58 item answers: the Irritability items as given (one value, or one per item), every other item ``other``."""
    per_item = irritability if isinstance(irritability, list) else [irritability] * 15
    values = {f"abc_{n:02d}": str(other) for n in range(1, 59)}
    for n, v in zip(IRRITABILITY, per_item, strict=True):
        values[f"abc_{n:02d}"] = str(v)
    return values


def test_a_completed_abc_is_scored_with_its_subscales_and_rule_version(enrolled, crc):
    saved = services.save_form(crc, enrolled, visit="BL", form="abc", values=abc(2))
    scores = saved.scores
    assert scores["instrument"] == "ABC_AMAN58" and scores["rule_version"].startswith("ABC_AMAN58/")
    irritability = {s["code"]: s["score"] for s in scores["subscales"]}["irritability"]
    assert irritability == 2 * 15 and scores["total"] == 2 * 15 + 1 * 43


def test_a_draft_is_not_scored_and_a_missing_item_refuses_completion(enrolled, crc):
    answers = abc(2)
    del answers["abc_58"]  # 57 answers to the 58-item checklist
    draft = services.save_form(crc, enrolled, visit="BL", form="abc", values=answers, complete=False)
    assert draft.scores == {} and draft.status == "draft"
    with pytest.raises(ValidationFailed) as refused:
        services.save_form(crc, enrolled, visit="BL", form="abc", values=answers)
    assert "abc_58" in refused.value.errors


def test_half_points_are_refused_where_the_scale_has_none(enrolled, crc):
    with pytest.raises(ValidationFailed) as refused:
        services.save_form(crc, enrolled, visit="BL", form="abc", values={**abc(2), "abc_02": "2.5"})
    assert "abc_02" in refused.value.errors


def test_cars2_takes_half_points_and_is_scored_at_screening(team, site):
    from celltrial.participants import services as participants_services
    from tests.conftest import PASSWORD
    from tests.participants import helpers as h

    docs = h.add_documents(site)
    child = h.screen(team["coordinator"], site)
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    system = h.actor(team["rater"], "participant.data.enter", site)
    saved = participants_services.save_form(system, child, visit="SCR", form="cars2",
                                            values={f"cars2_{i:02d}": "2.5" for i in range(1, 16)})
    assert saved.status == "complete" and saved.scores["total"] == 2.5 * 15


def _visit(crc, child, visit, irritability, cgi_i=None):
    services.save_form(crc, child, visit=visit, form="abc", values=abc(irritability))
    if cgi_i is not None:
        services.save_form(crc, child, visit=visit, form="cgi_i", values={"cgii_score": str(cgi_i)})


def test_change_from_baseline_and_the_rupp_responder_rule(enrolled, crc):
    _visit(crc, enrolled, "BL", 2)                            # irritability 30 at baseline
    _visit(crc, enrolled, "D28", [1] * 8 + [2] * 7, cgi_i=2)  # 22: −26.7 %, CGI-I 2 → responder
    _visit(crc, enrolled, "W12", [1] * 7 + [2] * 8, cgi_i=1)  # 23: −23.3 % → not a responder
    _visit(crc, enrolled, "W24", 0, cgi_i=3)                  # 0: −100 %, but CGI-I 3 → not a responder
    rows = {r.visit: r for r in outcomes.summaries([enrolled]) if r.instrument == "ABC_AMAN58"}
    assert rows["BL"].change is None and rows["BL"].responder_status == ""
    assert rows["D28"].responder is True and rows["D28"].irritability_change == -8
    assert rows["W12"].responder is False and "25" in rows["W12"].responder_reason
    assert rows["W24"].responder is False and "CGI-I" in rows["W24"].responder_reason
    # The total's change from baseline (43 other items at 1 each stay the same).
    assert rows["D28"].change == -8 and rows["D28"].percent_change == round(100 * -8 / 73, 1)


def test_exactly_25_percent_is_a_response(enrolled, crc):
    # Baseline 12 → 9 is a reduction of exactly 25 %: "at least 25 %" includes it.
    _visit(crc, enrolled, "BL", [1] * 12 + [0] * 3)
    _visit(crc, enrolled, "D28", [1] * 9 + [0] * 6, cgi_i=2)
    (row,) = outcomes.responder_rows(enrolled)
    assert row.responder is True


def test_cgi_i_not_assessed_is_not_evaluable(enrolled, crc):
    _visit(crc, enrolled, "BL", 2)
    _visit(crc, enrolled, "D28", 0, cgi_i=0)
    (row,) = outcomes.responder_rows(enrolled)
    assert row.responder is None and row.responder_status == "not_evaluable"


def test_the_interface_summaries(enrolled, crc):
    _visit(crc, enrolled, "BL", 2)
    _visit(crc, enrolled, "D28", [1] * 8 + [2] * 7, cgi_i=2)
    found = {(s.instrument, s.visit): s for s in interface.instrument_summaries([enrolled])}
    assert found[("ABC_AMAN58", "D28")].responder is True
    assert found[("ABC_AMAN58", "D28")].change_from_baseline == -8
    assert found[("CGI_I", "D28")].total == 2


def test_score_responder_command(enrolled, crc, capsys):
    from celltrial.cli import main

    _visit(crc, enrolled, "BL", 2)
    _visit(crc, enrolled, "D28", [1] * 8 + [2] * 7, cgi_i=2)
    assert main(["score", "responder", enrolled.subject_id, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["subject"] == enrolled.subject_id
    assert payload["visits"] == [{"visit": "D28", "status": "responder", "responder": True,
                                  "irritability_change": -8, "irritability_percent_change": -26.7, "cgi_i": 2,
                                  "reason": payload["visits"][0]["reason"]}]
    assert main(["score", "responder", "NOPE-00"]) == 2


def test_the_change_from_baseline_is_counted_as_the_scale_counts():
    """A whole-number scale (ABC items 0-3, Aman & Singh 1986) changes by whole numbers; CARS rates in half
    points (Schopler et al. 1988), so its change keeps the half: no float residue either way."""
    from celltrial.capture.outcomes import _difference

    assert str(_difference(73, 131)) == "-58"
    assert str(_difference("35", "42.5")) == "-7.5"
    assert str(_difference(30.1, 30.0)) == "0.1"  # decimal, not 0.10000000000000142
