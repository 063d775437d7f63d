"""Platform commands of `celltrial`: serve, init, load-protocol, audit verify, demo, user tokens.

These set up Django on demand so that the pure commands stay fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from celltrial.cli_django import setup_django
from celltrial.cli_support import CommandError, add_json_flag, emit_json, progress


def _migrate(verbose: bool = False) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


def cmd_init(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    from celltrial.audit.services import Actor
    from celltrial.study.protocol import default_protocol_path
    from celltrial.study.services import load_protocol_file

    _check_database()
    _migrate(args.verbose)
    call_command("collectstatic", interactive=False, verbosity=0)
    result = load_protocol_file(Actor.system("celltrial init"), args.protocol or default_protocol_path())
    state = "loaded as" if result.created else "unchanged, still"
    print(f"protocol {result.version.protocol_id} {state} version {result.version.number}")
    if args.demo:
        from celltrial.demo import load_demo

        load_demo(out=print)
    return 0


def _check_database() -> None:
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception as exc:  # the driver's own error says why (host, auth, missing database)
        raise CommandError(f"cannot connect to the database: {exc}") from exc


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve with gunicorn (a production WSGI server), static files through whitenoise."""
    setup_django()
    from gunicorn.app.wsgiapp import WSGIApplication

    bind = f"{args.host}:{args.port}"
    print(f"celltrial serving on http://{bind}/ (gunicorn, {args.workers} workers); Ctrl+C stops it")
    sys.argv = [
        "gunicorn", "celltrial.wsgi:application", "--bind", bind, "--workers", str(args.workers),
        "--access-logfile", "-", "--timeout", "120",
    ]
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
    return 0


def cmd_load_protocol(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.audit.services import Actor
    from celltrial.study.protocol import ProtocolError
    from celltrial.study.services import load_protocol_file

    _migrate()
    try:
        result = load_protocol_file(Actor.system(f"celltrial load-protocol ({args.user or 'cli'})"), args.path,
                                    reason=args.reason or "")
    except ProtocolError as exc:
        print(f"protocol refused: {len(exc.issues)} problem(s)", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        raise CommandError(f"no protocol file at {args.path}") from exc
    v = result.version
    if args.json:
        emit_json({"number": v.number, "created": result.created, "content_hash": v.content_hash,
                   "sites_created": result.sites_created, "sites_updated": result.sites_updated})
    elif result.created:
        print(f"loaded {v.protocol_id} as version {v.number} (sha256 {v.content_hash[:12]}…)")
    else:
        print(f"unchanged: {v.protocol_id} version {v.number} already has this content")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.audit.verify import verify

    result = verify(progress=lambda it, total: progress(it, total, "verifying audit trail"))
    if args.json:
        emit_json({"ok": result.ok, "entries": result.entries, "streams": result.streams,
                   "first_break": str(result.first_break) if result.first_break else None})
    elif result.ok:
        print(f"OK: {result.entries} entries in {result.streams} streams, every hash chain intact")
    else:
        print(f"BROKEN: {result.first_break}")
    return 0 if result.ok else 1


def cmd_demo(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.audit.services import Actor
    from celltrial.demo import load_demo
    from celltrial.study.protocol import default_protocol_path
    from celltrial.study.services import load_protocol_file

    _migrate()
    load_protocol_file(Actor.system("celltrial demo"), default_protocol_path())
    load_demo(out=print)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.models import User
    from celltrial.accounts.services import issue_token
    from celltrial.audit.services import Actor

    user = User.objects.filter(username=args.username).first()
    if user is None:
        raise CommandError(f"no user named {args.username!r}")
    token = issue_token(Actor.system("celltrial token"), user, args.name, days=args.days)
    print(token)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("init", help="create or migrate the database and load the default protocol")
    p.add_argument("--protocol", help="protocol YAML to load instead of the default")
    p.add_argument("--demo", action="store_true", help="also load demo users and data")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=cmd_init)

    p = subparsers.add_parser("serve", help="serve the web platform with gunicorn")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_serve)

    p = subparsers.add_parser("load-protocol", help="validate a protocol file and load it as a new version")
    p.add_argument("path")
    p.add_argument("--reason", help="why this version is loaded (amendment number, ethics approval)")
    p.add_argument("--user", help="who is loading it, for the audit trail")
    add_json_flag(p)
    p.set_defaults(func=cmd_load_protocol)

    audit = subparsers.add_parser("audit", help="audit-trail commands")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="SUBCOMMAND", required=True)
    p = audit_sub.add_parser("verify", help="recompute every hash chain; print OK or the first broken entry")
    add_json_flag(p)
    p.set_defaults(func=cmd_audit_verify)

    p = subparsers.add_parser("demo", help="load demo users and data into the database")
    p.set_defaults(func=cmd_demo)

    p = subparsers.add_parser("token", help="issue an API token for a user (printed once)")
    p.add_argument("username")
    p.add_argument("--name", default="cli")
    p.add_argument("--days", type=int, default=90)
    p.set_defaults(func=cmd_token)
