"""A shipment's logger CSV: readings parsed in the logger's zone, excursions grouped, bad rows named by line."""

from __future__ import annotations

import datetime as dt

import pytest

from celltrial.product.rules.errors import RuleInputError
from celltrial.product.rules.temperature import MAX_BYTES, find_excursions, read_logger_csv

CSV = """Time,Temperature (°C)
2025-03-01 08:00,-185.0
2025-03-01 08:10,-184.2
2025-03-01 08:20,-148.0
2025-03-01 08:30,-121.5
2025-03-01 08:40,-150.0
2025-03-01 08:50,-183.0
2025-03-01 09:00,-140.0
"""


def test_readings_are_read_in_the_loggers_zone_and_stored_in_utc():
    readings = read_logger_csv(CSV.encode(), time_zone="Asia/Shanghai")
    assert len(readings) == 7
    assert readings[0].at == dt.datetime(2025, 3, 1, 0, 0, tzinfo=dt.UTC)  # 08:00 Beijing is 00:00 UTC
    assert readings[3].celsius == -121.5


def test_consecutive_out_of_range_readings_are_one_excursion():
    log = find_excursions(read_logger_csv(CSV), max_c=-150.0)
    assert log.has_excursion and len(log.excursions) == 2
    first, second = log.excursions
    assert (first.readings, first.worst_celsius, first.minutes) == (2, -121.5, 10)  # −150.0 itself is within range
    assert second.readings == 1 and second.worst_celsius == -140.0
    assert "worst -121.5 °C" in first.describe()


def test_a_log_within_the_limit_has_no_excursion():
    log = find_excursions(read_logger_csv("timestamp;temp\n2025-03-01T08:00:00+08:00;-190\n2025-03-01T08:05:00+08:00;-189\n"))
    assert not log.has_excursion and log.max_c == -150.0


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("Time,Temperature\n", "no readings"),
    ("when,value\n2025-03-01,1\n", "no time column"),
    ("Time,Temperature\n2025-03-01 08:00,cold\n", "line 2: temperature 'cold' is not a number"),
    ("Time,Temperature\nyesterday,-180\n", "line 2: time 'yesterday' is not an ISO 8601"),
    ("Time,Temperature\n2025-03-01 08:00,-180\n2025-03-01 07:00,-180\n", "line 3: time"),
    ("Time,Temperature\n2025-03-01 08:00,-400\n", "outside −273.15 to 100 °C"),
    ("Time,Temperature\n2025-03-01 08:00\n", "line 2: expected at least 2 columns"),
])
def test_bad_files_are_refused_naming_the_line(text, message):
    with pytest.raises(RuleInputError, match=message):
        read_logger_csv(text)


def test_size_and_encoding_are_capped():
    with pytest.raises(RuleInputError, match="at most"):
        read_logger_csv(b"x" * (MAX_BYTES + 1))
    with pytest.raises(RuleInputError, match="not UTF-8"):
        read_logger_csv("Time,Temperature\n".encode("utf-16"))
