"""Property tests: CTCAE grades are monotone in the value; due dates never precede awareness.

Monotonicity follows from the CTCAE v5.0 layout (each grade's range starts where the previous one
ends, "Grade = highest grade whose criterion is met"); clocks count forward from Day 0 (ICH E2A
§III.B).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from celltrial.safety.clocks import site_notification_deadline, susar_deadlines
from celltrial.safety.ctcae import LAB_TERMS, Direction, grade_fever, grade_lab

FAST = settings(max_examples=150, deadline=None)
positive = st.decimals(min_value="0.01", max_value="1000", places=2)
increased = sorted(k for k, t in LAB_TERMS.items() if t.direction is Direction.INCREASED)
decreased = sorted(k for k, t in LAB_TERMS.items() if t.direction is Direction.DECREASED)


@FAST
@given(
    term=st.sampled_from(increased),
    uln=positive,
    baseline=st.none() | positive,
    a=st.decimals(min_value="0", max_value="30000", places=3),
    b=st.decimals(min_value="0", max_value="30000", places=3),
)
def test_increased_terms_non_decreasing_as_value_rises(
    term: str, uln: Decimal, baseline: Decimal | None, a: Decimal, b: Decimal
) -> None:
    unit = LAB_TERMS[term].unit
    low, high = sorted((a, b))
    g_low = grade_lab(term, low, unit, uln=uln, baseline=baseline).grade
    g_high = grade_lab(term, high, unit, uln=uln, baseline=baseline).grade
    assert g_low <= g_high


@FAST
@given(
    term=st.sampled_from(decreased),
    lln=positive,
    a=st.decimals(min_value="0", max_value="500", places=3),
    b=st.decimals(min_value="0", max_value="500", places=3),
)
def test_decreased_terms_non_decreasing_as_value_falls(
    term: str, lln: Decimal, a: Decimal, b: Decimal
) -> None:
    unit = LAB_TERMS[term].unit
    low, high = sorted((a, b))
    assert grade_lab(term, low, unit, lln=lln).grade >= grade_lab(term, high, unit, lln=lln).grade


@FAST
@given(
    a=st.decimals(min_value="30", max_value="44", places=2),
    b=st.decimals(min_value="30", max_value="44", places=2),
    hours=st.decimals(min_value="0", max_value="200", places=1),
)
def test_fever_non_decreasing_as_temperature_rises(a: Decimal, b: Decimal, hours: Decimal) -> None:
    low, high = sorted((a, b))
    assert (
        grade_fever(low, "C", duration_hours=hours).grade
        <= grade_fever(high, "C", duration_hours=hours).grade
    )


@FAST
@given(
    aware=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 1)),
    fatal=st.booleans(),
    upgrade_after=st.none() | st.integers(min_value=0, max_value=60),
)
def test_due_dates_never_before_awareness(aware: date, fatal: bool, upgrade_after: int | None) -> None:
    upgraded = None if upgrade_after is None or not fatal else aware + timedelta(days=upgrade_after)
    for deadline in susar_deadlines(aware, fatal_or_life_threatening=fatal, upgraded_on=upgraded):
        assert deadline.due_date >= aware
        assert deadline.due_date >= deadline.starts if isinstance(deadline.starts, date) else True


@FAST
@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
    )
)
def test_site_deadline_after_awareness(moment: datetime) -> None:
    assert site_notification_deadline(moment).due > moment
