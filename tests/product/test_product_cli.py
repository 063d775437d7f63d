"""`celltrial release-check`, `donor-check` and `dose` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from celltrial.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_release_check_example_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["release-check", "--results", str(EXAMPLES / "release-results-pass.yaml")]) == 0
    assert "RELEASE" in capsys.readouterr().out


def test_release_check_example_reject_names_every_failure(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["release-check", "--spec", str(EXAMPLES / "hbmmsc-release-v1.yaml"),
                 "--results", str(EXAMPLES / "release-results-reject.json"), "--json"])
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "reject"
    # CD14 3.1 % and CD11b 2.6 % both > 2 % (ISCT); mycoplasma missing; 4.5 EU/mL ≥ 0.5;
    # 4.5 × 30 / 23.5 = 5.74 EU/kg > 5 (USP <85>); 1.62e7 is 31 % below 2.35e7 (> ±20 %)
    assert set(out["failing_tests"]) == {"CD14_OR_CD11B", "MYCOPLASMA", "ENDOTOXIN_PER_ML", "ENDOTOXIN_PER_KG", "VIABLE_DOSE"}


def test_release_check_weight_flag_changes_endotoxin_per_kg(capsys: pytest.CaptureFixture[str]) -> None:
    # 4.5 EU/mL × 30 mL ÷ 27 kg = 5.0 EU/kg -> at the limit, passes
    main(["release-check", "--results", str(EXAMPLES / "release-results-reject.json"), "--weight", "27", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert "ENDOTOXIN_PER_KG" not in out["failing_tests"]


def test_release_check_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "r.yaml"
    bad.write_text("results:\n  viability_pct: high\n")
    assert main(["release-check", "--results", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "viability_pct" in err and "\n" not in err
    assert main(["release-check", "--results", str(tmp_path / "missing.yaml")]) == 2


def test_release_check_impossible_percentage_exit_2_not_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The passing example with CD45 typed as -1 % met "≤ 2 %" (Dominici 2006) and exited 0 (RELEASE).
    text = (EXAMPLES / "release-results-pass.yaml").read_text(encoding="utf-8")
    assert "cd45_pct: 0.4" in text
    bad = tmp_path / "r.yaml"
    bad.write_text(text.replace("cd45_pct: 0.4", "cd45_pct: -1"), encoding="utf-8")
    assert main(["release-check", "--results", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "cd45_pct" in err and "negative" in err and "\n" not in err


def test_donor_check_file_and_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["donor-check", "--file", str(EXAMPLES / "donor-eligible.yaml")]) == 0
    assert main(["donor-check", "--file", str(EXAMPLES / "donor-incomplete.yaml"), "--json"]) == 3
    capsys.readouterr()
    assert main(["donor-check", "--age", "40", "--marker", "hbsag=positive", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "ineligible" and set(out["not_met"]) == {"age", "hbsag"}


@pytest.mark.parametrize("argv", [
    ["donor-check"],
    ["donor-check", "--marker", "hbsag"],
    ["donor-check", "--age", "20", "--history", "malignancy=perhaps"],
    ["donor-check", "--file", "x.yaml", "--age", "20"],
])
def test_donor_check_bad_input(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_dose_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dose", "--dose", "1.0e6", "--weight", "23.5", "--concentration", "5e6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["viable_cells"] == pytest.approx(2.35e7) and out["volume_ml"] == pytest.approx(4.7)
    # delivered 2.9e7 is 23 % above 2.35e7: outside ±20 %
    assert main(["dose", "--dose", "1.0e6", "--weight", "23.5", "--concentration", "5e6", "--delivered-cells", "2.9e7"]) == 1
    assert "OUTSIDE TOLERANCE" in capsys.readouterr().out
    assert main(["dose", "--dose", "1.0e6", "--weight", "0", "--concentration", "5e6"]) == 2


def test_release_check_misspelt_spec_key_exit_2_with_file_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A misspelt weight cap used to be ignored: the lot was judged with no cap at all.
    text = (EXAMPLES / "hbmmsc-release-v1.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace("weight_cap_kg: 60", "wieght_cap_kg: 60"), encoding="utf-8")
    line = next(i for i, ln in enumerate(spec.read_text(encoding="utf-8").splitlines(), 1) if "wieght_cap_kg" in ln)
    assert main(["release-check", "--spec", str(spec), "--results", str(EXAMPLES / "release-results-pass.yaml")]) == 2
    err = capsys.readouterr().err
    assert err == (f"celltrial release-check: error: {spec}:{line}: wieght_cap_kg: unknown key 'wieght_cap_kg' "
                   "(misspelt, or not part of the specification format)\n")


def test_donor_check_bad_rules_file_exit_2_with_file_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import resources

    text = (resources.files("celltrial.product.rules") / "specs" / "donor-eligibility-v1.yaml").read_text(encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(text.replace("{min: 18, max: 35}", "{min: 18, max: .inf}"), encoding="utf-8")
    line = next(i for i, ln in enumerate(rules.read_text(encoding="utf-8").splitlines(), 1) if "max: .inf" in ln)
    assert main(["donor-check", "--rules", str(rules), "--file", str(EXAMPLES / "donor-eligible.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"celltrial donor-check: error: {rules}:{line}: age_years.max: must be a finite number")
    assert err.count("\n") == 1
