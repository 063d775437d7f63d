"""Expedited-reporting clocks, checked against the published rules.

- ICH E2A (1994) §III.B.1: fatal or life-threatening unexpected ADRs ≤7 calendar days after the
  sponsor's first knowledge, then as complete a report as possible within 8 additional calendar days.
- ICH E2A §III.B.2: all other serious, unexpected ADRs ≤15 calendar days.
- CDE 2018 "药物临床试验期间安全性数据快速报告标准和程序": same 7 (+8) / 15 days, the day the
  sponsor first learns = Day 0.
- ICH E2A §II.B seriousness criteria; §II.C expectedness; causality by either party (E2A §III.A.1;
  CDE Q&A 2022: either party unable to rule out relatedness → expedite).
- China GCP 2020 Art. 26: SAE to the sponsor immediately; protocol: within 24 h of site awareness.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from celltrial.safety.clocks import (
    CaseClassification,
    ClockInputError,
    SeriousnessCriterion,
    decide_expedited,
    reporting_plan,
    site_notification_deadline,
    status_on,
    susar_deadlines,
)

BEIJING = ZoneInfo("Asia/Shanghai")


def _dues(aware: date, *, fatal: bool, upgraded_on: date | None = None) -> list[date]:
    return [
        d.due_date for d in susar_deadlines(aware, fatal_or_life_threatening=fatal, upgraded_on=upgraded_on)
    ]


# --- Day counting (calendar days from Day 0, no weekend shift).


@pytest.mark.parametrize(
    ("aware", "seven", "complete"),
    [
        (date(2025, 12, 28), date(2026, 1, 4), date(2026, 1, 12)),  # across the year end
        (date(2028, 2, 25), date(2028, 3, 3), date(2028, 3, 11)),  # leap year: 29 Feb counts
        (date(2027, 2, 25), date(2027, 3, 4), date(2027, 3, 12)),  # non-leap year
        (date(2025, 1, 31), date(2025, 2, 7), date(2025, 2, 15)),  # across a month end
        (
            date(2026, 1, 2),
            date(2026, 1, 9),
            date(2026, 1, 17),
        ),  # Day 7 a Friday, Day 15 a Saturday: no shift
    ],
)
def test_fatal_susar_seven_days_then_eight_more(aware: date, seven: date, complete: date) -> None:
    assert _dues(aware, fatal=True) == [seven, complete]


@pytest.mark.parametrize(
    ("aware", "fifteen"),
    [
        (date(2025, 12, 20), date(2026, 1, 4)),
        (date(2028, 2, 20), date(2028, 3, 6)),
        (date(2026, 1, 3), date(2026, 1, 18)),  # Day 15 on a Sunday stays on the Sunday
    ],
)
def test_other_susar_fifteen_days(aware: date, fifteen: date) -> None:
    assert _dues(aware, fatal=False) == [fifteen]


# --- Upgrade to fatal / life-threatening.


def test_upgrade_starts_seven_day_clock_from_new_information() -> None:
    # Day 0 = 1 Mar; upgrade known 3 Mar → 10 Mar (earlier than the 15-day date 16 Mar).
    first, complete = susar_deadlines(
        date(2026, 3, 1), fatal_or_life_threatening=True, upgraded_on=date(2026, 3, 3)
    )
    assert first.due_date == date(2026, 3, 10)
    assert complete.due_date == date(2026, 3, 18)
    assert "upgrade" in first.rule


def test_upgrade_never_extends_the_fifteen_day_clock() -> None:
    # Upgrade learned on Day 12: upgrade + 7 = Day 19 > Day 15, so Day 15 binds (policy, documented).
    first, complete = susar_deadlines(
        date(2026, 3, 1), fatal_or_life_threatening=True, upgraded_on=date(2026, 3, 13)
    )
    assert first.due_date == date(2026, 3, 16)
    assert complete.due_date == date(2026, 3, 24)
    assert "existing 15-day" in first.rule


def test_upgrade_after_the_fifteen_day_date_gets_its_own_seven_days() -> None:
    # Upgrade learned on Day 16, after the 15-day report fell due (Day 15): upgrade + 7 = Day 23,
    # never a date before the new information arrived (found by the property test).
    first, _ = susar_deadlines(
        date(2026, 3, 1), fatal_or_life_threatening=True, upgraded_on=date(2026, 3, 17)
    )
    assert first.due_date == date(2026, 3, 24)
    assert "had passed" in first.rule


def test_upgrade_on_day_zero_is_a_plain_fatal_case() -> None:
    assert _dues(date(2026, 3, 1), fatal=True, upgraded_on=date(2026, 3, 1)) == _dues(
        date(2026, 3, 1), fatal=True
    )


@pytest.mark.parametrize(
    ("fatal", "upgraded", "match"),
    [(False, date(2026, 3, 5), "fatal or life-threatening"), (True, date(2026, 2, 27), "before")],
)
def test_bad_upgrade_refused(fatal: bool, upgraded: date, match: str) -> None:
    with pytest.raises(ClockInputError, match=match):
        susar_deadlines(date(2026, 3, 1), fatal_or_life_threatening=fatal, upgraded_on=upgraded)


# --- Which cases are expedited.


@pytest.mark.parametrize(
    ("investigator", "sponsor", "expedited"),
    [(True, False, True), (False, True, True), (True, True, True), (False, False, False)],
)
def test_either_party_causality_suffices(investigator: bool, sponsor: bool, expedited: bool) -> None:
    case = CaseClassification.of(
        ["hospitalisation"], unexpected=True, related_by_investigator=investigator, related_by_sponsor=sponsor
    )
    assert decide_expedited(case).expedited is expedited


@pytest.mark.parametrize("criterion", list(SeriousnessCriterion))
def test_each_ich_seriousness_criterion_makes_it_serious(criterion: SeriousnessCriterion) -> None:
    case = CaseClassification.of([criterion], unexpected=True, related_by_sponsor=True)
    assert decide_expedited(case).expedited
    fatal = criterion in (SeriousnessCriterion.DEATH, SeriousnessCriterion.LIFE_THREATENING)
    assert decide_expedited(case).fatal_or_life_threatening is fatal


def test_not_serious_or_expected_is_not_expedited() -> None:
    not_serious = decide_expedited(CaseClassification.of([], unexpected=True, related_by_investigator=True))
    assert not not_serious.expedited and "not serious" in not_serious.summary
    expected = decide_expedited(CaseClassification.of(["death"], unexpected=False, related_by_sponsor=True))
    assert not expected.expedited and "expected" in expected.summary


def test_unknown_seriousness_refused() -> None:
    with pytest.raises(ClockInputError, match="seriousness"):
        CaseClassification.of(["bad day"])


# --- Site → sponsor and status.


def test_site_notification_is_24_hours_after_awareness() -> None:
    aware = datetime(2025, 12, 31, 22, 15, tzinfo=BEIJING)
    assert site_notification_deadline(aware).due == datetime(2026, 1, 1, 22, 15, tzinfo=BEIJING)


def test_site_notification_needs_a_time_zone() -> None:
    with pytest.raises(ClockInputError, match="time zone"):
        site_notification_deadline(datetime(2025, 12, 31, 22, 15))


@pytest.mark.parametrize(
    ("today", "text", "overdue"),
    [
        (date(2026, 1, 1), "due in 3 days", False),
        (date(2026, 1, 3), "due in 1 day", False),
        (date(2026, 1, 4), "due today", False),
        (date(2026, 1, 5), "overdue by 1 day", True),
        (date(2026, 1, 10), "overdue by 6 days", True),
    ],
)
def test_status_relative_to_today(today: date, text: str, overdue: bool) -> None:
    status = status_on(date(2026, 1, 4), today)
    assert (status.text, status.overdue) == (text, overdue)


def test_reporting_plan_for_a_fatal_susar() -> None:
    case = CaseClassification.of(["death"], unexpected=True, related_by_investigator=True)
    plan = reporting_plan(
        case,
        sponsor_aware=date(2025, 12, 28),
        today=date(2026, 1, 2),
        site_aware=datetime(2025, 12, 27, 21, 40, tzinfo=BEIJING),
    )
    assert [d.due_date for d in plan.deadlines] == [date(2025, 12, 28), date(2026, 1, 4), date(2026, 1, 12)]
    assert [s.text for s in plan.statuses] == ["overdue by 5 days", "due in 2 days", "due in 10 days"]
    payload = plan.to_dict()
    assert payload["expedited"] is True and len(payload["deadlines"]) == 3


def test_reporting_plan_for_a_non_expedited_sae_keeps_the_site_clock() -> None:
    case = CaseClassification.of(["hospitalisation"], unexpected=False, related_by_investigator=True)
    plan = reporting_plan(
        case,
        sponsor_aware=date(2026, 1, 1),
        today=date(2026, 1, 1),
        site_aware=datetime(2026, 1, 1, 8, 0, tzinfo=UTC),
    )
    assert [d.name for d in plan.deadlines] == ["SAE notification site → sponsor"]
    assert any("no expedited" in note for note in plan.notes)


def test_reporting_plan_needs_sponsor_awareness_for_a_susar() -> None:
    case = CaseClassification.of(["death"], unexpected=True, related_by_sponsor=True)
    with pytest.raises(ClockInputError, match="sponsor_aware"):
        reporting_plan(case, sponsor_aware=None, today=date(2026, 1, 1))


def test_site_window_is_configurable() -> None:
    aware = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    assert site_notification_deadline(aware, site_window=timedelta(hours=12)).due == aware + timedelta(
        hours=12
    )


def test_upgrade_obligations_keep_the_fifteen_day_report_beside_the_upgrade() -> None:
    # Issue 11: an upgrade to fatal/life-threatening starts its own 7-day obligation while the original
    # 15-day one stays due (E2A §III.B.2 from Day 0; §III.B.1 from the upgrade). Day 0 = 20 Dec 2025.
    from celltrial.safety.clocks import susar_obligations

    dues = [(d.name, d.due_date) for d in susar_obligations(
        date(2025, 12, 20), fatal_or_life_threatening=True, upgraded_on=date(2025, 12, 24))]
    assert dues == [
        ("SUSAR report (15-day)", date(2026, 1, 4)),
        ("SUSAR report after upgrade to fatal/life-threatening (7-day)", date(2025, 12, 31)),
        ("SUSAR complete follow-up report (+8 days)", date(2026, 1, 8)),
    ]
    assert susar_obligations(date(2025, 12, 20), fatal_or_life_threatening=True) == susar_deadlines(
        date(2025, 12, 20), fatal_or_life_threatening=True)
