"""Pure safety rules: partial dates, expectedness by RSI version, DLT proposals from a lab series, MedDRA files.

- ISO 8601 partial dates (DESIGN.md "Time"): YYYY, YYYY-MM, YYYY-MM-DD.
- ICH E2A (1994) §II.C: unexpected = not consistent with the RSI in force, in nature or severity.
- Default protocol ``dlt``: window Day 0–28; DLT-LAB-G3-7D "Grade ≥3 laboratory abnormality … lasting more than
  7 days"; DLT-NONHEME-G3 grade ≥3 non-haematological; DLT-G4; DLT-DEATH; at least possibly related.
- MedDRA ASCII release layout: ``$``-delimited llt.asc / pt.asc / soc.asc (a look-alike fixture, made-up codes).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from celltrial.safety.rules import dlt, expectedness
from celltrial.safety.rules.errors import SafetyRuleError
from celltrial.safety.rules.meddra import read_release
from celltrial.safety.rules.partial_dates import may_fall_within, parse_partial

FIXTURE = Path(__file__).parent / "fixtures" / "meddra_fake"


@pytest.mark.parametrize(("text", "earliest", "latest"), [
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),  # leap year
    ("2027-02", date(2027, 2, 1), date(2027, 2, 28)),
    ("2025-12-31", date(2025, 12, 31), date(2025, 12, 31)),
])
def test_partial_dates_are_ranges(text, earliest, latest):
    parsed = parse_partial(text)
    assert (parsed.earliest, parsed.latest) == (earliest, latest)


@pytest.mark.parametrize("text", ["2026-13", "2026-02-30", "26-01", "2026/01/01", "", "2026-1"])
def test_bad_partial_dates_are_refused(text):
    with pytest.raises(SafetyRuleError, match="onset"):
        parse_partial(text, "onset")


def test_a_partial_onset_may_fall_in_a_window():
    assert may_fall_within(parse_partial("2026-01"), date(2026, 1, 31), date(2026, 2, 28))
    assert not may_fall_within(parse_partial("2025-12"), date(2026, 1, 1), date(2026, 1, 29))


RSI = [expectedness.RsiVersion("1.0", date(2024, 1, 1), {"fever": 2}),
       expectedness.RsiVersion("2.0", date(2025, 6, 1), {"fever": 2, "alt": None})]


@pytest.mark.parametrize(("on", "term", "grade", "expected", "version"), [
    (date(2025, 5, 31), "alt", 3, False, "1.0"),  # the day before v2.0
    (date(2025, 6, 1), "alt", 3, True, "2.0"),  # v2.0 in force on its first day
    (date(2025, 6, 1), "fever", 2, True, "2.0"),
    (date(2025, 6, 1), "fever", 3, False, "2.0"),  # more severe than listed: unexpected
    (date(2025, 6, 1), "Seizure", None, False, "2.0"),
])
def test_expectedness_by_rsi_version_in_force(on, term, grade, expected, version):
    result = expectedness.assess(RSI, on=on, terms=[term], grade=grade)
    assert (result.expected, result.rsi_version) == (expected, version)


def test_no_rsi_in_force_is_refused():
    with pytest.raises(SafetyRuleError, match="no reference safety information"):
        expectedness.assess(RSI, on=date(2023, 12, 31), terms=["fever"], grade=1)


DAY0 = date(2026, 1, 10)
IDS = dlt.criterion_ids(["DLT-NONHEME-G3", "DLT-INFUSION-G3", "DLT-LAB-G3-7D", "DLT-G4", "DLT-DEATH"])


def _series(start: datetime, grades: list[tuple[int, int]]) -> list[dlt.LabFact]:
    return [dlt.LabFact("alt", start + timedelta(days=d), g) for d, g in grades]


def test_a_grade_3_alt_lasting_9_days_is_proposed_as_the_lab_criterion():
    # ≥3 documented from 15 Jan (Day 5) to 24 Jan (Day 14): 9 days; below grade 3 on 26 Jan.
    series = _series(datetime(2026, 1, 14, 8), [(0, 2), (1, 3), (4, 3), (10, 3), (12, 2)])
    ae = dlt.AeFact(1, "ALT raised", "alt", 3, "2026-01-15", True)
    proposals = dlt.propose([ae], {"alt": series}, dosed_on=DAY0, window_days=28, ids=IDS)
    kinds = {p.kind for p in proposals}
    assert kinds == {"lab_g3_7d", "nonheme_g3"}
    lab = next(p for p in proposals if p.kind == "lab_g3_7d")
    assert lab.criterion == "DLT-LAB-G3-7D" and lab.standing == "proposed" and "9.0 days" in lab.reason
    assert "below grade 3 on 2026-01-26" in lab.reason


def test_exactly_7_days_at_grade_3_is_not_more_than_7():
    series = _series(datetime(2026, 1, 14, 8), [(0, 3), (3, 3), (7, 3), (9, 1)])
    ae = dlt.AeFact(1, "ALT raised", "alt", 3, "2026-01-14", True)
    assert "lab_g3_7d" not in {p.kind for p in dlt.propose([ae], {"alt": series}, dosed_on=DAY0, window_days=28,
                                                            ids=IDS)}


def test_an_episode_still_running_counts_to_its_last_result():
    episodes = dlt.grade3_episodes(_series(datetime(2026, 1, 14), [(0, 3), (8, 4)]))
    assert len(episodes) == 1 and episodes[0].ongoing and episodes[0].duration == timedelta(days=8)


def test_haematological_grade_3_is_not_the_non_haematological_criterion_but_grade_4_is_g4():
    neut3 = dlt.AeFact(1, "Neutropenia", "neutrophils", 3, "2026-01-12", True)
    neut4 = dlt.AeFact(2, "Neutropenia", "neutrophils", 4, "2026-01-20", True)
    kinds = [(p.ae, p.kind) for p in dlt.propose([neut3, neut4], {}, dosed_on=DAY0, window_days=28, ids=IDS)]
    assert kinds == [(2, "g4")]


def test_outside_the_window_unrelated_or_unassessed():
    late = dlt.AeFact(1, "Rash", "", 3, "2026-02-08", True)  # Day 29: after the Day-28 window
    unrelated = dlt.AeFact(2, "Fracture", "", 3, "2026-01-12", False)
    pending = dlt.AeFact(3, "Death", "", 5, "2026-01-13", None, fatal=True)
    out = dlt.propose([late, unrelated, pending], {}, dosed_on=DAY0, window_days=28, ids=IDS)
    assert {(p.ae, p.kind, p.standing) for p in out} == {
        (2, "nonheme_g3", "unrelated"), (3, "death", "causality_pending"), (3, "g4", "causality_pending"),
        (3, "nonheme_g3", "causality_pending")}


def test_a_long_lab_episode_without_an_ae_is_still_proposed():
    series = _series(datetime(2026, 1, 12), [(0, 3), (9, 3), (11, 0)])
    out = dlt.propose([], {"alt": series}, dosed_on=DAY0, window_days=28, ids=IDS)
    assert [(p.ae, p.kind) for p in out] == [(None, "lab_g3_7d")]


def test_a_protocol_without_a_criterion_gets_no_proposal_for_it():
    ids = dlt.criterion_ids(["DLT-G4"])
    ae = dlt.AeFact(1, "ALT", "alt", 3, "2026-01-15", True)
    assert dlt.propose([ae], {}, dosed_on=DAY0, window_days=28, ids=ids) == []


def test_the_meddra_look_alike_release_is_read():
    book = read_release(FIXTURE)
    assert book.version == "9.9" and len(book.llt) == 3
    path = book.code("99200001")
    assert (path["pt_code"], path["pt"], path["soc"]) == ("99100001", "Fake liver enzyme up", "Fake investigations")
    assert [h["llt_code"] for h in book.search("fake")] == ["99200001", "99200003"]  # non-current LLT not offered


def test_a_broken_release_is_refused(tmp_path):
    with pytest.raises(SafetyRuleError, match=r"missing llt\.asc"):
        read_release(tmp_path)
    for name in ("llt.asc", "pt.asc", "soc.asc"):
        (tmp_path / name).write_text((FIXTURE / name).read_text())
    (tmp_path / "llt.asc").write_text("99200009$Orphan$12345$$$$$$$Y$$\n")
    with pytest.raises(SafetyRuleError, match=r"missing from pt\.asc"):
        read_release(tmp_path, "1.0")
