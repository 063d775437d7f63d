"""`celltrial design ...` end to end (no Django)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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
    code, out, _ = run(capsys, "design", "next", "--design", "3+3A", "--doses", "3", "--outcomes", "1NNN 2TTN",
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


def test_protocol_file_gives_the_design(capsys, tmp_path):
    from celltrial.study.protocol import default_protocol_path

    path = str(default_protocol_path())
    code, out, _ = run(capsys, "design", "next", "--protocol", path, "--outcomes", "1NNN 2NTN", "--json")
    body = json.loads(out)
    assert code == 0 and body["dose"] == 2 and body["design"].startswith("3+3A, target 0.3, 3 doses")
    code, out, _ = run(capsys, "design", "oc", "--protocol", path, "--truth", "0.05,0.10,0.20", "--json")
    assert code == 0 and json.loads(out)["scenarios"][0]["n_states"] == 43  # as docs/designs.md shows
    code, _, err = run(capsys, "design", "next", "--protocol", path, "--key-width", "0.2")
    assert code == 2 and "--protocol declares the design; drop --key-width" in err
    minimal = Path(__file__).resolve().parents[1] / "fixtures" / "protocols" / "minimal"
    shutil.copytree(minimal, tmp_path / "p")
    broken = tmp_path / "p" / "protocol.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("design: 3+3A", "design: 3+3"), encoding="utf-8")
    code, _, err = run(capsys, "design", "next", "--protocol", str(broken))
    assert code == 2 and f"{broken}:20: escalation.design: unknown value '3+3'" in err and err.count("\n") == 1


@pytest.mark.parametrize(("argv", "message"), [
    (["--design", "boin", "--key-width", "0.1"], "--key-width is not a parameter of the boin design"),
    (["--design", "keyboard", "--key-width", "1.5"], "--key-width: Input should be less than 1; got 1.5"),
    (["--design", "keyboard", "--key-width", "0.7"], "must lie inside (0, 1)"),
    (["--design", "crm", "--skeleton", "0.1,0.2,1.2"], "--skeleton value 3: Input should be less than 1"),
    (["--design", "crm", "--prior-variance", "0"], "--prior-variance: Input should be greater than 0"),
    (["--design", "3+3A", "--cohort-size", "4"], "--cohort-size: the 3+3 design treats cohorts of 3"),
    (["--design", "boin", "--start-dose", "4"], "--start-dose: start dose '4' is not a dose level"),
    (["--design", "boin", "--cohorts", "4", "--max-n", "12"], "--cohorts or --max-n, not both"),
])
def test_flag_errors_name_the_flag(capsys, argv, message):
    code, _, err = run(capsys, "design", "next", "--doses", "3", *argv)
    assert code == 2 and message in err and err.count("\n") == 1, err
