"""Infusion-day time points and the plausibility of each vital sign (labs/rules/vitals.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from celltrial.labs.rules import TIME_POINTS, VitalsError, check_vitals

START = dt.datetime(2025, 5, 1, 9, 0, tzinfo=dt.UTC)
GOOD = {"temperature_c": "36.8", "heart_rate": "96", "systolic_bp": "104", "diastolic_bp": "64", "resp_rate": "20",
        "spo2": "99"}


def test_the_issue_s_time_points_before_15_30_min_1_2_4_h():
    assert [(t.code, t.minutes) for t in TIME_POINTS] == [("pre", 0), ("15m", 15), ("30m", 30), ("1h", 60),
                                                         ("2h", 120), ("4h", 240)]


def test_a_late_reading_is_kept_with_its_minutes_from_nominal():
    readings, late = check_vitals("2h", START, START + dt.timedelta(minutes=128), GOOD)
    assert late == 8 and readings["temperature_c"] == Decimal("36.8")


def test_timing_refusals():
    with pytest.raises(VitalsError) as refused:
        check_vitals("pre", START, START + dt.timedelta(minutes=1), GOOD)
    assert "measured_at" in refused.value.errors
    with pytest.raises(VitalsError):
        check_vitals("pre", START, START - dt.timedelta(hours=2), GOOD)
    with pytest.raises(VitalsError):
        check_vitals("15m", START, START - dt.timedelta(minutes=5), GOOD)
    with pytest.raises(VitalsError) as unknown:
        check_vitals("3h", START, START, GOOD)
    assert "time_point" in unknown.value.errors


def test_implausible_values_name_the_field_range_and_unit():
    with pytest.raises(VitalsError) as refused:
        check_vitals("1h", START, START + dt.timedelta(hours=1),
                     {**GOOD, "temperature_c": "98.6", "diastolic_bp": "120", "systolic_bp": "110", "spo2": ""})
    errors = refused.value.errors
    assert "30.0–43.0 °C" in errors["temperature_c"]
    assert errors["spo2"] == "required" and "below the systolic" in errors["diastolic_bp"]
