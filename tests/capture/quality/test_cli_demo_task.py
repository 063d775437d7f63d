"""`celltrial quality run-checks` and `status`, the worker task, and the demo loader (idempotent)."""

from __future__ import annotations

import argparse
import json

import pytest

from celltrial.capture.quality.models import Lock, Query, SdvMark
from tests.capture.quality.conftest import write_record

pytestmark = pytest.mark.django_db


def _parser():
    from celltrial.capture.quality import cli

    parser = argparse.ArgumentParser(prog="celltrial")
    cli.register(parser.add_subparsers(dest="command"))
    return parser


def _discrepant_without_the_gate(child):
    from celltrial.audit.operations import Update
    from celltrial.capture.models import FormRecord
    from celltrial.core.actor import Actor

    record = write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "60"})
    Update("enter_form", FormRecord, permission="capture.form.enter", fields=("values",))(
        Actor.system("import"), record, {"values": {"sbp": "100", "dbp": "100"}}, expected_version=record.version,
        reason="bulk import")


def test_run_checks_command(child, capsys):
    _discrepant_without_the_gate(child)
    args = _parser().parse_args(["quality", "run-checks", "--json"])
    assert args.func(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["opened"] == 1 and result["closed"] == 0
    assert Query.objects.get(check_id="EC_BP").status == "open"
    args = _parser().parse_args(["quality", "status", "--json"])
    args.func(args)
    assert json.loads(capsys.readouterr().out)["queries"]["open"] == 1


def test_run_checks_of_another_site_only_finds_nothing(child, capsys):
    _discrepant_without_the_gate(child)
    args = _parser().parse_args(["quality", "run-checks", "--site", "NOPE", "--json"])
    args.func(args)
    assert json.loads(capsys.readouterr().out)["evaluated"] == 0


def test_worker_task(child, settings):
    from celltrial.capture.quality.tasks import run_checks_task

    _discrepant_without_the_gate(child)
    result = run_checks_task.call_local([child.site.code])
    assert result["opened"] == 1


def test_demo_is_idempotent(child, make_user, site):
    from celltrial.audit.operations import tracked
    from celltrial.capture.quality.demo import DEMO_QUERIES, load_quality_demo
    from celltrial.core.actor import Actor
    from tests.conftest import TRIAL_WIDE

    for name, role in (("monitor", "monitor"), ("datamanager", "data_manager")):
        make_user(name, role, at=TRIAL_WIDE)
    make_user("coordinator", "coordinator")
    with tracked(Actor.system("test"), child, reason="dosed (test)") as c:
        c.dosed_on = c.screened_on
    write_record(child, "BL", "vitals", {"weight_kg": "25.0"})
    lines: list[str] = []
    load_quality_demo(lines.append)
    statuses = sorted(Query.objects.filter(origin="manual").values_list("status", flat=True))
    assert statuses == ["answered", "closed", "open"] and len(DEMO_QUERIES) == 3
    assert SdvMark.objects.count() == 1 and Lock.objects.filter(kind="freeze", visit="SCR").count() == 1
    load_quality_demo(lines.append)
    assert Query.objects.filter(origin="manual").count() == 3 and SdvMark.objects.count() == 1
    assert Lock.objects.count() == 1
    assert "0 queries" in lines[-1]
