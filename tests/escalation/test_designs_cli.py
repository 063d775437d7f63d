"""`celltrial design ...` end to end (no Django)."""

from __future__ import annotations

import json

import pytest

from celltrial.cli import main

OC = ["design", "oc", "--design", "boin", "--target", "0.3", "--doses", "6", "--cohort-size", "3",
      "--cohorts", "12", "--truth", "0.05,0.10,0.20,0.30,0.45,0.60"]


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_boundaries(capsys):
    code, out, _ = run(capsys, "design", "boundaries", "--target", "0.3", "--cohort-size", "3", "--cohorts", "10")
    assert code == 0
    assert "lambda_e = 0.2365, lambda_d = 0.3585" in out
    assert "Eliminate if # of DLT >=    3  4  5   7   8   9  10  11  12  14" in out


def test_table_and_json(capsys):
    code, out, _ = run(capsys, "design", "table", "--design", "boin", "--target", "0.25", "--max-n", "18")
    assert code == 0 and "BOIN decision table" in out and "DU" in out
    code, out, _ = run(capsys, "design", "table", "--design", "i3+3", "--target", "0.3", "--max-n", "6", "--json")
    data = json.loads(out)
    assert data["decisions"]["3"] == ["E", "S", "D", "DU"]


def test_oc_exact_text_json_csv(capsys, tmp_path):
    code, out, _ = run(capsys, *OC, "--exact")
    assert code == 0
    assert "exact (" in out and "Scenario 1" in out and "none" in out
    code, out, _ = run(capsys, *OC, "--json")
    data = json.loads(out)
    sc = data["scenarios"][0]
    assert sc["method"] == "exact"
    assert sum(sc["select_pct"]) + sc["select_none_pct"] == pytest.approx(100)
    code, out, _ = run(capsys, *OC, "--csv", "--truth", "0.1,0.2,0.3,0.4,0.5,0.6")
    assert out.splitlines()[0].startswith("scenario,design,method,dose")
    assert any(line.startswith("2,BOIN") for line in out.splitlines())
    png = tmp_path / "oc.png"
    code, out, _ = run(capsys, *OC, "--sims", "2000", "--seed", "1", "--plot", str(png))
    assert code == 0 and png.stat().st_size > 1000 and "Monte Carlo, 2,000 trials" in out


def test_next_and_select(capsys):
    code, out, _ = run(capsys, "design", "next", "--target", "0.3", "--doses", "5", "--outcomes", "1NNN 2NNN 3NTT")
    assert code == 0 and "next cohort: dose 2" in out
    code, out, _ = run(capsys, "design", "next", "--design", "3+3", "--doses", "3", "--outcomes", "1NNN 2TTN",
                       "--json")
    assert json.loads(out)["continue_trial"] is False
    code, out, _ = run(capsys, "design", "select", "--target", "0.3", "--doses", "5", "--outcomes",
                       "1NNN 2NNN 3NTT 2NTN 3NNN 3NNN 4TTT 3NTN 3NNT 3TNN")
    assert code == 0 and "MTD: dose 3" in out
    code, out, _ = run(capsys, "design", "next", "--design", "crm", "--target", "0.25", "--skeleton",
                       "0.05,0.1,0.25,0.4,0.6", "--outcomes", "1NNN 2NTN")
    assert "next cohort: dose 2" in out


def test_bad_input_is_one_line_error(capsys):
    code, _, err = run(capsys, "design", "next", "--doses", "3", "--outcomes", "1NXN")
    assert code == 2 and "error" in err and "1NXN" in err
    code, _, err = run(capsys, *OC[:-2], "--truth", "0.1,0.2")
    assert (code == 2 and "6 doses" in err) or "truth" in err
    code, _, err = run(capsys, "design", "oc", "--doses", "3", "--truth", "0.1,0.2,0.3")
    assert code == 2 and "--cohorts" in err


def test_protocol_names_of_the_3_plus_3_variants(capsys):
    """The protocol format says 3+3A / 3+3B; Korn et al. 1994 (variant B) de-escalates to complete
    six patients at the lower dose where variant A stops."""
    code, out, _ = run(capsys, "design", "next", "--design", "3+3A", "--doses", "3", "--outcomes", "1NNN 2TTN",
                       "--json")
    assert code == 0 and json.loads(out)["continue_trial"] is False
    code, out, _ = run(capsys, "design", "next", "--design", "3+3B", "--doses", "3", "--outcomes", "1NNN 2TTN",
                       "--json")
    body = json.loads(out)
    assert body["continue_trial"] is True and body["dose"] == 1 and body["action"] == "de-escalate"
