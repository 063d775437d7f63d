"""`celltrial score` through the real entry point (celltrial.cli.main)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from celltrial.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["score", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--list")
    assert code == 0
    for name in ("ABC_AMAN58", "ABC_KRUG57", "CARS2_HF", "VINELAND3"):
        assert name in out
    code, out, _ = run(capsys, "--list", "--json")
    assert code == 0 and len(json.loads(out)) == 10


def test_abc_aman_json_from_comma_list(capsys: pytest.CaptureFixture[str]) -> None:
    items = ",".join(["2"] + ["0"] * 57)  # item 1 rated 2
    code, out, _ = run(capsys, "ABC_AMAN58", items, "--json")
    data = json.loads(out)
    assert code == 0 and data["total"] == 2
    assert {s["code"]: s["score"] for s in data["subscales"]}[
        "hyperactivity"
    ] == 2  # item 1 is Hyperactivity/Noncompliance (Aman 1985)


def test_57_items_for_aman_exit_2_with_one_line_reason(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "ABC_AMAN58", ",".join(["0"] * 57))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "ABC_KRUG57" in err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("CARS1", ",".join(["2"] * 14 + ["NA"])), "missing"),
        (("CARS1", ",".join(["2"] * 14 + ["x"])), "not a number"),
        (("CGI_S", "9"), "out of range"),
        (("NOPE", "1"), "unknown instrument"),
        ((), "INSTRUMENT"),
    ],
)
def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], fragment: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and fragment in err and err.count("\n") == 1


def test_items_from_json_and_csv_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    js = tmp_path / "cars.json"
    js.write_text(json.dumps({"items": [2.5] * 15}), encoding="utf-8")
    code, out, _ = run(capsys, "CARS2_ST", "--file", str(js), "--age", "7", "--json")
    data = json.loads(out)
    assert code == 0 and data["total"] == 37.5 and data["band"]["code"] == "severe"
    csv_file = tmp_path / "cars.csv"
    csv_file.write_text("item,score\n" + "\n".join(f"{i},2" for i in range(1, 16)), encoding="utf-8")
    # two columns → 30 cells: refused rather than guessed
    code, _, err = run(capsys, "CARS1", "--file", str(csv_file))
    assert code == 2 and "exactly 15" in err
    csv_file.write_text("score\n" + "\n".join("2" for _ in range(15)), encoding="utf-8")
    code, out, _ = run(capsys, "CARS1", "--file", str(csv_file), "--json")
    assert code == 0 and json.loads(out)["total"] == 30


def test_krug_without_key_then_with_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CELLTRIAL_ABC_KRUG57_KEY", raising=False)
    items = ",".join(["1"] * 57)
    code, _, err = run(capsys, "ABC_KRUG57", items)
    assert code == 2 and "no scoring key" in err
    key = tmp_path / "krug.json"
    areas = ["sensory", "relating", "body_object", "language", "social_self_help"]
    key.write_text(
        json.dumps(
            {
                "source": "test",
                "items": [{"item": n, "weight": 2, "area": areas[n % 5]} for n in range(1, 58)],
            }
        ),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "ABC_KRUG57", items, "--key", str(key), "--json")
    assert code == 0 and json.loads(out)["total"] == 114


def test_entered_scores(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "SRS2", "--t-score", "66", "--json")
    assert code == 0 and json.loads(out)["band"]["code"] == "moderate"
    code, out, _ = run(capsys, "VINELAND3", "abc=85,communication=80", "--json")
    assert code == 0 and json.loads(out)["total"] == 85
    code, out, _ = run(capsys, "ADOS2", "8", "--module", "2")
    assert code == 0 and "High" in out
    code, out, _ = run(capsys, "CGI_I", "0")
    assert code == 0 and "Not assessed" in out


def test_srs2_reverse_items_option(capsys: pytest.CaptureFixture[str]) -> None:
    items = ",".join(["0"] * 65)
    code, out, _ = run(capsys, "SRS2", items, "--reverse-items", "1,2", "--json")
    assert code == 0 and json.loads(out)["total"] == 6


# An overflowing entry (float('1e400') == inf) once escaped as an OverflowError traceback with exit 1;
# the CLI contract (issue 4 §6) is exit 2 with a one-line reason naming the field.
@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("VINELAND3", "abc=1e400"), "VINELAND3 abc"),
        (("VINELAND3", "abc=inf"), "VINELAND3 abc"),
        (("ADOS2", "inf"), "ADOS2"),
        (("CGI_S", "inf"), "CGI_S"),
    ],
)
def test_non_finite_entered_scores_exit_2(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], fragment: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert fragment in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_srs2_reverse_items_bad_json_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    items = ",".join(["1"] * 65)
    broken = tmp_path / "reverse.json"
    broken.write_text("{bad", encoding="utf-8")
    code, _, err = run(capsys, "SRS2", items, "--reverse-items", str(broken))
    assert code == 2 and "invalid JSON" in err
    # 2.7 is not an item number: it must be refused, not truncated to item 2.
    fractional = tmp_path / "fractional.json"
    fractional.write_text("[2.7, 5]", encoding="utf-8")
    code, _, err = run(capsys, "SRS2", items, "--reverse-items", str(fractional))
    assert code == 2 and "1-65" in err
