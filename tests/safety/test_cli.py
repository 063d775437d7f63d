"""The `celltrial ctcae` and `celltrial clock` commands, through celltrial.cli.main.

Expected grades and dates come from CTCAE v5.0 rows and ICH E2A §III.B (see the module tests).
"""

from __future__ import annotations

import json

import pytest

from celltrial.cli import main


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> object:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_grade_alt_json(capsys: pytest.CaptureFixture[str]) -> None:
    # CTCAE v5.0 ALT row: >3.0 – 5.0 × ULN is Grade 2.
    out = _json(capsys, ["ctcae", "grade", "ALT", "--value", "130", "--unit", "U/L", "--uln", "40", "--json"])
    assert isinstance(out, dict)
    assert (out["grade"], out["version"], out["term"]) == (2, "5.0", "alt")


def test_grade_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ctcae", "grade", "platelets", "--value", "40", "--unit", "10^9/L"]) == 0
    out = capsys.readouterr().out
    assert "Platelet count decreased" in out and "3" in out  # "<50.0 – 25.0" is Grade 3


def test_grade_fever_with_duration(capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(
        capsys,
        ["ctcae", "grade", "fever", "--value", "104.5", "--unit", "F", "--duration-hours", "30", "--json"],
    )
    assert isinstance(out, dict) and out["grade"] == 4  # >40.0 °C for >24 hrs


def test_grade_clinical_is_suggested(capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, ["ctcae", "grade", "seizure", "--finding", "new_onset", "--json"])
    assert isinstance(out, dict) and (out["grade"], out["suggested"]) == (3, True)


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["ctcae", "grade", "alt", "--value", "130", "--unit", "U/L"], "ULN"),
        (["ctcae", "grade", "alt", "--value", "x", "--unit", "U/L", "--uln", "40"], "value"),
        (["ctcae", "grade", "hb", "--value", "9", "--unit", "mmol/L", "--lln", "12"], "g/dL"),
        (["ctcae", "grade", "fever", "--value", "40.5"], "duration"),
        (["ctcae", "grade", "nonsense", "--value", "1"], "unknown"),
        # decimal.Overflow traceback (exit 1) before the magnitude guard; 1e999 printed 1000 digits.
        (["ctcae", "grade", "alt", "--value", "1e99999999", "--unit", "U/L", "--uln", "40"], "implausibly"),
        (["ctcae", "grade", "alt", "--value", "1e999", "--unit", "U/L", "--uln", "40"], "implausibly"),
        (["ctcae", "grade", "alt", "--value", "130", "--unit", "U/L", "--uln", "1e99999999"], "ULN"),
        (["ctcae"], "subcommand"),
        (["clock", "--sponsor-aware", "2025-13-01", "--fatal"], "--sponsor-aware"),
        (["clock", "--today", "2026-01-01"], "--sponsor-aware"),
        (
            [
                "clock",
                "--sponsor-aware",
                "2026-01-01",
                "--upgraded-on",
                "2026-01-03",
                "--serious",
                "--unexpected",
                "--related-sponsor",
            ],
            "upgraded_on",
        ),
        (["clock", "--site-aware", "2026-01-01T08:00", "--tz", "Mars/Olympus", "--serious"], "--tz"),
    ],
)
def test_invalid_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert reason in err
    assert "\n" not in err


def test_terms_lists_every_term(capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, ["ctcae", "terms", "--json"])
    assert isinstance(out, list)
    keys = {row["key"] for row in out}
    assert {
        "alt",
        "ast",
        "bilirubin",
        "creatinine",
        "neutrophils",
        "platelets",
        "anemia",
        "wbc",
        "lymphocytes",
        "fever",
        "seizure",
        "anaphylaxis",
    } <= keys


def test_terms_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ctcae", "terms", "--findings"]) == 0
    assert "new_onset" in capsys.readouterr().out


def test_clock_fatal_across_year_end(capsys: pytest.CaptureFixture[str]) -> None:
    # ICH E2A §III.B.1: Day 0 2025-12-28 → 7-day report 2026-01-04, complete report 2026-01-12.
    out = _json(
        capsys,
        [
            "clock",
            "--sponsor-aware",
            "2025-12-28",
            "--fatal",
            "--unexpected",
            "--related-investigator",
            "--today",
            "2026-01-02",
            "--json",
        ],
    )
    assert isinstance(out, dict)
    assert [d["due"] for d in out["deadlines"]] == ["2026-01-04", "2026-01-12"]
    assert out["deadlines"][0]["status"] == "due in 2 days"


def test_clock_site_awareness_in_beijing_time(capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(
        capsys,
        ["clock", "--site-aware", "2025-12-31T22:15", "--serious", "--today", "2026-01-01", "--json"],
    )
    assert isinstance(out, dict)
    assert out["deadlines"][0]["due"] == "2026-01-01T22:15:00+08:00"
    assert out["expedited"] is False


def test_clock_upgrade_table(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "clock",
        "--sponsor-aware",
        "2026-03-01",
        "--life-threatening",
        "--unexpected",
        "--related-sponsor",
        "--upgraded-on",
        "2026-03-03",
        "--today",
        "2026-03-12",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "2026-03-10" in out and "overdue by 2 days" in out


def test_clock_other_risk_information_is_15_days(capsys: pytest.CaptureFixture[str]) -> None:
    # CDE 2018: other potential serious safety risk information ≤15 days from Day 0; 20 Dec 2025 → 4 Jan 2026.
    assert main(["clock", "--other-risk", "--sponsor-aware", "2025-12-20", "--today", "2026-01-02", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["deadlines"][0]["due"] == "2026-01-04" and out["deadlines"][0]["days_left"] == 2

