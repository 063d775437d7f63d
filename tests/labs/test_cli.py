"""`celltrial labs check-ranges / load-ranges`: file:line errors, exit 2 on refusal, 0 on success."""

from __future__ import annotations

import argparse

import pytest

from celltrial.labs import cli


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="celltrial")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_check_ranges_prints_every_problem_with_its_line(tmp_path, capsys):
    bad = tmp_path / "lab.csv"
    bad.write_text("# lab: L\n# version: 1\nanalyte,sex,age_from,age_to,low,high,unit\nALT,*,6,18,40,5,U/L\n"
                   "FOO,*,6,18,1,2,U/L\n")
    assert _run(["labs", "check-ranges", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{bad}:4: low must be below high") and err[1].startswith(f"{bad}:5: unknown analyte")


def test_check_ranges_accepts_the_shipped_set(capsys):
    from celltrial.labs.demo import RANGES_FILE

    assert _run(["labs", "check-ranges", str(RANGES_FILE)]) == 0
    assert "18 rows ok" in capsys.readouterr().out


@pytest.mark.django_db
def test_load_ranges_loads_once(site, tmp_path, capsys):
    from celltrial.labs.models import ReferenceRangeSet

    good = tmp_path / "lab.yaml"
    good.write_text("lab: L\nversion: '7'\nrows:\n  - {analyte: ALT, sex: '*', age_from: 6, low: 5, high: 40, unit: U/L}\n")
    assert _run(["labs", "load-ranges", str(good), "--site", site.code]) == 0
    assert _run(["labs", "load-ranges", str(good), "--site", site.code]) == 0
    assert ReferenceRangeSet.objects.count() == 1 and "1 rows loaded" in capsys.readouterr().out
