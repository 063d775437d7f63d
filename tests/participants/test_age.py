"""Calendar age from the date of birth: completed years and months, never 365.25-day years.

The rule (participants/rules/age.py, docs/participants.md): a child is N years old from the N-th
anniversary of birth. For a 29 February birthday the protocol declares the common-year anniversary:
1 March by default — the published rule "An individual born on February 29 attains a specified age on
March 1 of any year that is not a leap year" (a US state statute, statelawyers.com, StateID 20,
ID 29429) — or 28 February, the rule reported for England and Taiwan.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from celltrial.participants.rules.age import Age, AgeError, birthday, calendar_age

D = dt.date


@pytest.mark.parametrize(("dob", "on", "expected"), [
    (D(2019, 5, 10), D(2025, 5, 10), Age(6, 0, 0)),   # the 6th birthday itself
    (D(2019, 5, 10), D(2025, 5, 9), Age(5, 11, 29)),  # the day before
    (D(2019, 5, 10), D(2025, 6, 9), Age(6, 0, 30)),
    (D(2019, 5, 10), D(2025, 6, 10), Age(6, 1, 0)),
    (D(2020, 1, 31), D(2020, 2, 29), Age(0, 0, 29)),  # February has no 31st: the month ends 1 March
    (D(2020, 1, 31), D(2020, 3, 1), Age(0, 1, 0)),
    (D(2007, 12, 31), D(2025, 12, 30), Age(17, 11, 29)),  # 30 November is missing: month 11 ends 1 December
    (D(2007, 12, 31), D(2025, 12, 31), Age(18, 0, 0)),
])
def test_calendar_age(dob, on, expected):
    assert calendar_age(dob, on) == expected


def test_29_february_birthday_falls_on_1_march_in_common_years_by_default():
    leapling = D(2016, 2, 29)
    assert calendar_age(leapling, D(2022, 2, 28)).years == 5
    assert calendar_age(leapling, D(2022, 3, 1)).years == 6
    assert calendar_age(leapling, D(2024, 2, 29)).years == 8  # a leap year: the day itself
    assert birthday(leapling, 6) == D(2022, 3, 1)


def test_29_february_birthday_on_28_february_when_the_protocol_says_so():
    leapling = D(2016, 2, 29)
    assert calendar_age(leapling, D(2022, 2, 27), leap_day_birthday="february_28").years == 5
    assert calendar_age(leapling, D(2022, 2, 28), leap_day_birthday="february_28").years == 6
    assert birthday(leapling, 6, leap_day_birthday="february_28") == D(2022, 2, 28)


def test_the_365_25_day_year_would_get_the_boundary_wrong():
    """Why not datediff(...)/365.25: six years holding one leap day are 2191 days, short of 6 × 365.25."""
    dob, sixth = D(2021, 3, 1), D(2027, 3, 1)
    assert (sixth - dob).days / 365.25 < 6
    assert calendar_age(dob, sixth).years == 6


def test_a_birth_date_after_the_day_is_refused():
    with pytest.raises(AgeError):
        calendar_age(D(2020, 1, 2), D(2020, 1, 1))


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2030, 12, 31)), st.integers(0, 20000))
def test_age_grows_by_one_year_exactly_on_each_birthday(dob, offset):
    on = dob + dt.timedelta(days=offset)
    age = calendar_age(dob, on)
    assert 0 <= age.months < 12 and age.days >= 0
    assert birthday(dob, age.years) <= on < birthday(dob, age.years + 1)
    # Never older the day before.
    if on > dob:
        assert calendar_age(dob, on - dt.timedelta(days=1)) <= age
