"""`celltrial user`: add users, grant roles at sites, list them, unlock locked accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from celltrial.cli_django import setup_django
from celltrial.cli_support import CommandError, add_json_flag, emit_json


def _actor(args: argparse.Namespace) -> Any:
    from celltrial.audit.services import Actor

    return Actor.system(f"celltrial user {args.user_command}")


def _site(code: str) -> Any:
    from celltrial.study.models import Site

    site = Site.objects.filter(code=code).first()
    if site is None:
        known = ", ".join(Site.objects.values_list("code", flat=True)) or "none: load a protocol first"
        raise CommandError(f"no site {code!r} (sites: {known})")
    return site


def _user(username: str) -> Any:
    from celltrial.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user named {username!r}")
    return user


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise CommandError("the two passwords differ")
    return first


def cmd_add(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.services import create_user
    from celltrial.audit.services import ValidationFailed

    site = _site(args.site)
    try:
        user = create_user(_actor(args), username=args.username, password=_password(args),
                           full_name=args.full_name or "", email=args.email or "",
                           memberships=[(site, args.role, args.pii)], validate_password=True)
    except ValidationFailed as exc:
        raise CommandError(str(exc)) from exc
    print(f"added {user.username}: {args.role} at {site.code}{' with PII access' if args.pii else ''}")
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.services import grant
    from celltrial.audit.services import ValidationFailed

    try:
        m = grant(_actor(args), _user(args.username), _site(args.site), args.role, can_view_pii=args.pii)
    except ValidationFailed as exc:
        raise CommandError(str(exc)) from exc
    print(f"granted: {m}{' with PII access' if m.can_view_pii else ''}")
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.services import unlock

    user = _user(args.username)
    unlock(_actor(args), user)
    print(f"unlocked {user.username}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.models import User

    rows: list[dict[str, Any]] = [
        {"username": u.username, "name": u.get_full_name(), "active": u.is_active, "locked": u.is_locked(),
         "roles": [f"{m.role}@{m.site.code}{'+PII' if m.can_view_pii else ''}" for m in u.active_memberships()]}
        for u in User.objects.order_by("username").prefetch_related("memberships__site")
    ]
    if args.json:
        emit_json(rows)
        return 0
    for r in rows:
        state = "locked" if r["locked"] else ("active" if r["active"] else "inactive")
        print(f"{r['username']:<16} {r['name']:<20} {state:<8} {', '.join(r['roles'])}")
    return 0


def register(subparsers: Any) -> None:
    from celltrial.accounts.roles import Role

    user = subparsers.add_parser("user", help="users: add, grant a role at a site, list, unlock")
    sub = user.add_subparsers(dest="user_command", metavar="SUBCOMMAND", required=True)
    roles = [r.value for r in Role]

    p = sub.add_parser("add", help="add a user with one role at one site (asks for the password)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=roles)
    p.add_argument("--site", required=True, help="site code, e.g. BJAD")
    p.add_argument("--pii", action="store_true", help="may see names, ID numbers and phone numbers")
    p.add_argument("--full-name")
    p.add_argument("--email")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("grant", help="give a user a role at a site (or change its PII grant)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=roles)
    p.add_argument("--site", required=True)
    p.add_argument("--pii", action="store_true")
    p.set_defaults(func=cmd_grant)

    p = sub.add_parser("list", help="list users, their roles and whether they are locked")
    add_json_flag(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("unlock", help="unlock an account locked after failed logins")
    p.add_argument("username")
    p.set_defaults(func=cmd_unlock)
