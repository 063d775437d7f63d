"""`celltrial check-char` through the real entry point."""

from __future__ import annotations

import json

import pytest

from celltrial.cli import main


def test_worked_example_prints_h(capsys: pytest.CaptureFixture[str]) -> None:
    # JPAC Red Book Annex 2: G123 498 654 321 -> 'H', bar-code check value 77.
    assert main(["check-char", "G123 498 654 321", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["check_character"] == "H" and out["isbt128_barcode_check_value"] == 77


def test_validate_raw_string(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-char", "--validate", "G123498654321H"]) == 0
    assert main(["check-char", "--validate", "G123498654321J"]) == 1
    assert "expected 'H'" in capsys.readouterr().out


def test_full_id_validated_and_corruption_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-char", "ASD-01-0007"]) == 0
    full = capsys.readouterr().out.split()[0]
    assert main(["check-char", full]) == 0
    assert "valid subject id" in capsys.readouterr().out
    wrong = full[:-1] + ("0" if full[-1] != "0" else "1")
    assert main(["check-char", wrong, "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is False and "does not match" in out["problem"]


def test_mod11_2_system(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-char", "--system", "mod11-2", "0000-0002-1825-009"]) == 0
    assert "'7'" in capsys.readouterr().out


def test_bad_characters_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-char", "a_b"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not allowed" in err


@pytest.mark.parametrize("text", ["ASD-٠١-0007-Q", "ASD-０１-0007", "G123ß"])
def test_non_ascii_input_exit_2(capsys: pytest.CaptureFixture[str], text: str) -> None:
    # Arabic-Indic '٠١' and full-width '０１' matched Python's \d and 'ASD-٠١-0007-Q' was reported
    # "valid subject id" (exit 0) although it is not the printed ASD-01-0007-Q; 'G123ß' was
    # upper-cased to 'G123SS' and given a check character. ISO 7064 MOD 37-2 (JPAC Red Book Annex 2,
    # Table A2.1) defines values for 0-9, A-Z and '*' only.
    assert main(["check-char", text]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "non-ASCII" in err
