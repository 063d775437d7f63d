"""`celltrial quality`: data quality from the command line.

    celltrial quality run-checks [--site CODE] [--json]   every edit check against every form record
    celltrial quality status [--json]                     queries by status, active freezes and locks

``run-checks`` opens a query for each failing check, closes those that pass again (auto-closed, audited)
and re-opens the auto-closed ones that fail again; exit 0. The same run is the worker task
``quality.run_checks``.
"""

from __future__ import annotations

import argparse
from typing import Any

from celltrial.cli_django import setup_django
from celltrial.cli_support import add_json_flag, emit_json, progress


def _run_checks(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.capture.quality.services import SYSTEM, run_all_checks

    run = run_all_checks(SYSTEM, sites=args.site or None,
                         progress=lambda items, total: progress(items, total, "running edit checks"))
    payload = {"evaluated": run.evaluated, "opened": run.opened, "reopened": run.reopened, "closed": run.closed}
    if args.json:
        emit_json(payload)
    else:
        print(f"{run.evaluated} checks evaluated: {run.opened} queries opened, {run.reopened} re-opened, "
              f"{run.closed} closed")
    return 0


def _status(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.capture.quality.models import Lock, Query

    by_status = {s: Query.objects.filter(status=s).count() for s in ("open", "answered", "closed")}
    holds = [{"level": h.level, "kind": h.kind, "subject": h.subject, "visit": h.visit, "form": h.form}
             for h in Lock.objects.filter(active=True).order_by("placed_at")]
    if args.json:
        emit_json({"queries": by_status, "holds": holds})
    else:
        print("queries: " + ", ".join(f"{n} {s}" for s, n in by_status.items()))
        for h in holds:
            print(f"  {h['kind']:<7} {h['level']:<12} {h['subject']} {h['visit']} {h['form']}".rstrip())
    return 0


def register(subparsers: Any) -> None:
    quality = subparsers.add_parser("quality", help="data quality: run the edit checks, query and lock status")
    sub = quality.add_subparsers(dest="sub", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("run-checks", help="run every edit check of the protocol against every form record")
    p.add_argument("--site", action="append", default=[], metavar="CODE", help="only this site (repeat)")
    add_json_flag(p)
    p.set_defaults(func=_run_checks)
    p = sub.add_parser("status", help="queries by status and the active freezes and locks")
    add_json_flag(p)
    p.set_defaults(func=_status)
