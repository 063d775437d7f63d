"""`celltrial audit verify | seal | public-key`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from celltrial.cli_django import setup_django
from celltrial.cli_support import add_json_flag, emit_json, progress

# Problems printed per kind before "… and N more" (--json lists them all).
SHOWN_PER_KIND = 20


def cmd_verify(args: argparse.Namespace) -> int:
    setup_django()
    from django.utils.translation import gettext as _

    from celltrial.audit.verify import KINDS, verify

    result = verify(progress=lambda it, total, what: progress(it, total, what), public_key=args.public_key)
    if args.json:
        emit_json(result.as_json())
        return 0 if result.ok else 1
    for warning in result.warnings:
        print(_("warning: %(text)s") % {"text": warning}, file=sys.stderr)
    summary = {"entries": result.entries, "streams": result.streams, "records": result.records,
               "checkpoints": result.checkpoints}
    if result.ok:
        print(_("OK: %(entries)s entries in %(streams)s streams, every hash chain intact; %(records)s records "
                "reconcile with their streams; %(checkpoints)s checkpoints match") % summary)
        return 0
    total = len(result.problems) + result.omitted
    print(_("BROKEN: %(n)s problems (%(entries)s entries in %(streams)s streams, %(records)s records, "
            "%(checkpoints)s checkpoints)") % {"n": total, **summary})
    for kind in KINDS:
        found = result.of_kind(kind)
        for problem in found[:SHOWN_PER_KIND]:
            print(f"  [{kind}] {problem}")
        if len(found) > SHOWN_PER_KIND:
            print("  " + _("[%(kind)s] … and %(n)s more (--json lists them all)") % {
                "kind": kind, "n": len(found) - SHOWN_PER_KIND})
    if result.omitted:
        print("  " + _("… and %(n)s more problems not collected") % {"n": result.omitted})
    return 1


def cmd_seal(args: argparse.Namespace) -> int:
    setup_django()
    from django.utils.translation import gettext as _

    from celltrial.audit.seal import seal

    result = seal()
    if args.json:
        emit_json(result.as_json())
    else:
        print(_("checkpoint #%(n)s: %(entries)s entries in %(streams)s streams, root %(root)s, signed by key "
                "%(key)s; appended to %(log)s") % {"n": result.number, "entries": result.entries,
                                                   "streams": result.streams, "root": result.root,
                                                   "key": result.key_id, "log": result.log})
        for refusal in result.refused:
            print(_("not sealed: %(text)s") % {"text": refusal}, file=sys.stderr)
    return 1 if result.refused else 0


def cmd_public_key(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.audit.keys import ensure_key, key_id, load_private_key, public_pem

    public = load_private_key(ensure_key()[0]).public_key()
    if args.json:
        emit_json({"key_id": key_id(public), "public_key": public_pem(public)})
    else:
        sys.stdout.write(public_pem(public))
    return 0


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="audit-trail commands")
    audit_sub = audit.add_subparsers(dest="sub", metavar="SUBCOMMAND", required=True)
    p = audit_sub.add_parser(
        "verify", help="check every hash chain, the signed checkpoints, every record against its stream, and "
                       "the append-only guards; print OK or every problem")
    p.add_argument("--public-key", help="PEM file of the public key the checkpoints must be signed with "
                                        "(default: CELLTRIAL_SEAL_PUBLIC_KEY_FILE, or this installation's key)")
    add_json_flag(p)
    p.set_defaults(func=cmd_verify)
    p = audit_sub.add_parser("seal", help="append a signed checkpoint over every stream head to the checkpoint log")
    add_json_flag(p)
    p.set_defaults(func=cmd_seal)
    p = audit_sub.add_parser("public-key", help="print the public key that checks the checkpoints (PEM)")
    add_json_flag(p)
    p.set_defaults(func=cmd_public_key)
