"""Platform commands of `celltrial`: init, serve, worker, load-protocol, demo.

These set up Django on demand so that the pure commands stay fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
from typing import Any

from celltrial.cli_django import setup_django
from celltrial.cli_support import CommandError, add_json_flag, emit_json


def _migrate(verbose: bool = False, database: str = "default") -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if verbose else 0, database=database)


def _check_database(alias: str = "default") -> None:
    from django.db import connections

    try:
        connections[alias].ensure_connection()
    except Exception as exc:  # the driver's own error says why (host, auth, missing database)
        raise CommandError(f"cannot connect to the database: {exc}") from exc


OWNER_URL = "CELLTRIAL_OWNER_DATABASE_URL"


def _prepare_database(verbose: bool) -> None:
    """Migrate; on PostgreSQL with an owner URL, migrate as the owner and set up the runtime role.

    DATABASE_URL names the runtime role the platform serves as; CELLTRIAL_OWNER_DATABASE_URL, given to
    this command alone, the owner of the tables (docs/audit.md).
    """
    from django.conf import settings
    from django.db import connections, transaction
    from django.utils.translation import gettext as _

    if "owner" not in settings.DATABASES:
        _check_database()
        _migrate(verbose)
        if connections["default"].vendor == "postgresql":
            print(_("warning: %(var)s is not set, so the platform connects as the owner of the audit tables and "
                    "could drop their guards; see docs/audit.md") % {"var": OWNER_URL}, file=sys.stderr)
        return
    owner, runtime = settings.DATABASES["owner"], settings.DATABASES["default"]
    if owner["ENGINE"] != runtime["ENGINE"] or any(
            owner.get(k) != runtime.get(k) for k in ("NAME", "HOST", "PORT")):
        raise CommandError(_("%(var)s and DATABASE_URL must name the same database (only the role differs)") % {
            "var": OWNER_URL})
    _check_database("owner")
    _migrate(verbose, database="owner")
    if connections["owner"].vendor == "postgresql":
        from celltrial.audit.roles import configure_runtime_role

        with transaction.atomic(using="owner"):
            for line in configure_runtime_role(connections["owner"], runtime["USER"], runtime.get("PASSWORD") or None):
                print(line)
    _check_database()


def _ensure_seal_key() -> None:
    from django.utils.translation import gettext as _

    from celltrial.audit.keys import ensure_key, key_id, load_private_key

    path, created = ensure_key()
    if created:
        public = load_private_key(path).public_key()
        print(_("created the audit signing key %(path)s (key id %(id)s); keep it where the database's owner "
                "cannot read it, and give `celltrial audit public-key` to whoever verifies the trail") % {
            "path": path, "id": key_id(public)})


def cmd_init(args: argparse.Namespace) -> int:
    """Migrate, collect static files, and load the shipped protocol into an empty database only."""
    setup_django()
    from django.core.management import call_command

    from celltrial.core.actor import Actor
    from celltrial.study.services import load_default_protocol, load_protocol_file, version_in_force

    _prepare_database(args.verbose)
    _ensure_seal_key()
    from celltrial.participants.vault import ensure_vault_key

    ensure_vault_key()  # the identity vault's key, outside the database (0600), before any vault write
    call_command("collectstatic", interactive=False, verbosity=0)
    actor = Actor.system("celltrial init")
    if args.protocol:
        result = load_protocol_file(actor, args.protocol)
        state = "loaded as" if result.created else "unchanged, still"
        print(f"protocol {result.version.protocol_id} {state} version {result.version.number}")
    elif (loaded := load_default_protocol(actor)) is not None:
        print(f"protocol {loaded.version.protocol_id} loaded as version {loaded.version.number}")
    else:
        current = version_in_force()
        assert current is not None
        print(f"protocol {current.protocol_id} version {current.number} in force (kept; "
              "`celltrial load-protocol FILE` loads an amendment)")
    if args.demo:
        from celltrial.demo import load_demo

        load_demo(out=print)
    return 0


def start_worker() -> subprocess.Popen[bytes]:
    """The worker as a child process (`celltrial worker`), in this environment."""
    return subprocess.Popen([sys.executable, "-m", "celltrial.cli", "worker"], env=os.environ.copy())


def stop_worker(worker: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Ask the worker to finish its current task and stop; kill it if it does not."""
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve with gunicorn (a production WSGI server), static files through whitenoise; the worker (audit
    sealing and other scheduled work) runs beside it unless --no-worker."""
    setup_django()
    from django.utils.translation import gettext as _
    from gunicorn.app.wsgiapp import WSGIApplication

    if os.environ.get(OWNER_URL):
        print(_("warning: %(var)s is set for the web server; only `celltrial init` needs it (docs/audit.md)") % {
            "var": OWNER_URL}, file=sys.stderr)
    bind = f"{args.host}:{args.port}"
    worker = None if args.no_worker else start_worker()
    beside = "" if worker is None else f", worker pid {worker.pid}"
    print(f"celltrial serving on http://{bind}/ (gunicorn, {args.workers} workers{beside}); Ctrl+C stops it")
    sys.argv = [
        "gunicorn", "celltrial.wsgi:application", "--bind", bind, "--workers", str(args.workers),
        "--access-logfile", "-", "--timeout", "120",
    ]
    try:
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
    finally:
        if worker is not None:
            stop_worker(worker)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the task consumer (huey): audit sealing every few minutes, and the rooms' scheduled work."""
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils.translation import gettext as _

    backend = "Redis" if "Redis" in str(settings.HUEY.get("huey_class")) else f"SQLite {settings.HUEY.get('filename')}"
    print(_("celltrial worker (%(backend)s); the audit trail is sealed every %(minutes)s minutes; Ctrl+C stops "
            "it") % {"backend": backend, "minutes": settings.CELLTRIAL_SEAL_EVERY_MINUTES}, flush=True)
    options: dict[str, Any] = {}
    if args.threads:
        options["workers"] = args.threads
    call_command("run_huey", **options)
    return 0


def cmd_load_protocol(args: argparse.Namespace) -> int:
    """Load a protocol amendment, as the platform (labelled with the command) or as a named user who
    holds the protocol-load permission; the person is never free text."""
    setup_django()
    from celltrial.core.actor import Actor
    from celltrial.study.protocol import ProtocolError
    from celltrial.study.services import load_protocol_file

    _migrate()
    actor = Actor.system("celltrial load-protocol")
    if args.as_user:
        from celltrial.accounts import permissions
        from celltrial.accounts.models import User
        from celltrial.study.permissions import PROTOCOL_LOAD

        user = User.objects.filter(username=args.as_user, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {args.as_user!r}")
        if not permissions.has_perm(user, PROTOCOL_LOAD, ""):
            raise CommandError(f"{args.as_user} may not load a protocol (needs a trial-wide admin or data manager role)")
        actor = permissions.actor_for(user, PROTOCOL_LOAD, "")
    try:
        result = load_protocol_file(actor, args.path, reason=args.reason or "")
    except ProtocolError as exc:
        print(f"protocol refused: {len(exc.issues)} problem(s)", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        raise CommandError(f"no protocol file at {args.path}") from exc
    v = result.version
    if args.json:
        emit_json({"number": v.number, "created": result.created, "content_hash": v.content_hash,
                   "sites_created": result.sites_created, "sites_differing": result.sites_differing,
                   "warnings": [dataclasses.asdict(w) for w in result.warnings]})
    elif result.created:
        print(f"loaded {v.protocol_id} as version {v.number} (sha256 {v.content_hash[:12]}…)")
    else:
        print(f"unchanged: {v.protocol_id} version {v.number} already has this content")
    for warning in result.warnings if not args.json else []:
        print(f"warning: {warning}", file=sys.stderr)
    for code, fields in result.sites_differing.items():
        print(f"note: site {code} keeps its own {', '.join(fields)} (the file differs; edit the site to change them)",
              file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.core.actor import Actor
    from celltrial.demo import load_demo
    from celltrial.study.services import load_default_protocol

    _migrate()
    load_default_protocol(Actor.system("celltrial demo"))
    load_demo(out=print)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("init", help="create or migrate the database; load the default protocol into an empty one")
    p.add_argument("--protocol", help="protocol YAML to load instead of the default")
    p.add_argument("--demo", action="store_true", help="also load demo users and data")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=cmd_init)

    p = subparsers.add_parser("serve", help="serve the web platform with gunicorn")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-worker", action="store_true",
                   help="do not start the worker beside the web server (run `celltrial worker` elsewhere)")
    p.set_defaults(func=cmd_serve)

    p = subparsers.add_parser("worker", help="run the worker: audit sealing and other scheduled and long work")
    p.add_argument("--threads", type=int, help="worker threads (default: CELLTRIAL_WORKER_THREADS or 2)")
    p.set_defaults(func=cmd_worker)

    p = subparsers.add_parser("load-protocol", help="validate a protocol file and load it as a new version")
    p.add_argument("path")
    p.add_argument("--reason", help="why this version is loaded (amendment number, ethics approval)")
    p.add_argument("--as-user", help="load as this user (must hold a trial-wide protocol-load role)")
    add_json_flag(p)
    p.set_defaults(func=cmd_load_protocol)

    p = subparsers.add_parser("demo", help="load demo users and data into the database")
    p.set_defaults(func=cmd_demo)
