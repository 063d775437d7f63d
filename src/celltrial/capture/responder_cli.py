"""``celltrial score responder <subject> [--json]``: the RUPP responder status of a participant at each
post-baseline visit, from the scores stored when the ABC and CGI-I forms were completed."""

from __future__ import annotations

import argparse
from typing import Any


def run(args: argparse.Namespace) -> int:
    from celltrial.cli_django import setup_django

    setup_django()
    from django.apps import apps

    from celltrial.capture import outcomes
    from celltrial.cli_support import CommandError, emit_json

    if len(args.items) != 1:
        raise CommandError("give one subject ID: celltrial score responder <subject> [--json]")
    subject = args.items[0].strip().upper()
    model: Any = apps.get_model("participants", "Participant")
    child = model.objects.select_related("site").filter(subject_id=subject).first() \
        or model.objects.select_related("site").filter(screening_number=subject).first()
    if child is None:
        raise CommandError(f"no participant {subject!r}")
    rows = outcomes.responder_rows(child)
    payload = {
        "subject": subject, "rule": "RUPP: ABC irritability reduced ≥25 % from baseline and CGI-I ≤ 2",
        "source": "RUPP Autism Network, McCracken JT et al. N Engl J Med 2002;347:314-321",
        "visits": [{"visit": r.visit, "status": r.responder_status, "responder": r.responder,
                    "irritability_change": r.irritability_change, "irritability_percent_change": r.irritability_percent,
                    "cgi_i": r.cgi_i, "reason": r.responder_reason} for r in rows],
    }
    if getattr(args, "json", False):
        emit_json(payload)
    else:
        print(f"{subject}: {payload['rule']}")
        for v in payload["visits"]:
            print(f"  {v['visit']}: {v['status']} ({v['reason']})")
        if not rows:
            print("  no post-baseline ABC with a CGI-I yet")
    return 0
