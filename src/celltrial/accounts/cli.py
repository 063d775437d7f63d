"""`celltrial user` and `celltrial token`: people, their roles at sites, and API tokens.

Run by the operator on the server, these act as the platform itself, labelled with the command;
every change is one audit entry.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from celltrial.cli_django import setup_django
from celltrial.cli_support import CommandError, add_json_flag, emit_json

ALL_SITES = "*"


def _actor(args: argparse.Namespace) -> Any:
    from celltrial.core.actor import Actor

    return Actor.system(f"celltrial {args.command} {getattr(args, 'sub', '')}".strip())


def _site(code: str) -> Any:
    """A site by code; ``*`` is every site (a trial-wide role)."""
    from celltrial.accounts.models import Membership

    if code == ALL_SITES:
        return None
    Site: Any = Membership._meta.get_field("site").related_model
    site = Site.objects.filter(code=code).first()
    if site is None:
        known = ", ".join(Site.objects.values_list("code", flat=True)) or "none: load a protocol first"
        raise CommandError(f"no site {code!r} (sites: {known}; '*' for every site)")
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


def _where(site: Any) -> str:
    return site.code if site is not None else "every site"


def cmd_add(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.services import create_user

    site = _site(args.site)
    user = create_user(_actor(args), username=args.username, password=_password(args),
                       full_name=args.full_name or "", email=args.email or "",
                       memberships=[(site, args.role, args.pii)], validate_password=True)
    print(f"added {user.username}: {args.role} at {_where(site)}{' with PII access' if args.pii else ''}")
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.services import grant

    site = _site(args.site)
    m = grant(_actor(args), _user(args.username), site, args.role, can_view_pii=args.pii)
    print(f"granted: {m}{' with PII access' if m.can_view_pii else ''}")
    return 0


def cmd_end(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.services import end_membership

    site = _site(args.site)
    end_membership(_actor(args), _user(args.username), site, args.role, reason=args.reason)
    print(f"ended: {args.username} is no longer {args.role} at {_where(site)}")
    return 0


def cmd_deactivate(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.services import deactivate_user

    user = _user(args.username)
    deactivate_user(_actor(args), user, reason=args.reason)
    print(f"deactivated {user.username}: sessions end and API tokens are revoked")
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
         "roles": [f"{m.role}@{m.site_label}{'+PII' if m.can_view_pii else ''}" for m in u.active_memberships()]}
        for u in User.objects.order_by("username").prefetch_related("memberships__site")
    ]
    if args.json:
        emit_json(rows)
        return 0
    for r in rows:
        state = "locked" if r["locked"] else ("active" if r["active"] else "inactive")
        print(f"{r['username']:<16} {r['name']:<20} {state:<8} {', '.join(r['roles'])}")
    return 0


def cmd_token_issue(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.services import issue_token

    print(issue_token(_actor(args), _user(args.username), args.name, days=args.days))
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.models import ApiToken
    from celltrial.accounts.services import revoke_token

    tokens = list(ApiToken.objects.filter(prefix=args.prefix[:8], revoked_at__isnull=True))
    if not tokens:
        raise CommandError(f"no unrevoked token starts with {args.prefix[:8]!r}")
    for token in tokens:
        revoke_token(_actor(args), token, reason=args.reason)
        print(f"revoked {token}")
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.accounts.models import ApiToken

    rows = [{"prefix": t.prefix, "user": t.user.username, "name": t.name, "usable": t.is_usable(),
             "expires_at": t.expires_at, "revoked_at": t.revoked_at}
            for t in ApiToken.objects.select_related("user").order_by("user__username", "created_at")]
    if args.json:
        emit_json(rows)
        return 0
    for r in rows:
        print(f"{r['prefix']:<9} {r['user']:<16} {r['name']:<12} {'usable' if r['usable'] else 'revoked/expired'}")
    return 0


def register(subparsers: Any) -> None:
    from celltrial.accounts.roles import Role

    user = subparsers.add_parser("user", help="users: add, grant or end a role at a site, deactivate, list, unlock")
    sub = user.add_subparsers(dest="sub", metavar="SUBCOMMAND", required=True)
    roles = [r.value for r in Role]
    site_help = "site code, e.g. BJAD; '*' for every site (a trial-wide role)"

    p = sub.add_parser("add", help="add a user with one role at one site (asks for the password)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=roles)
    p.add_argument("--site", required=True, help=site_help)
    p.add_argument("--pii", action="store_true", help="may see names, ID numbers and phone numbers")
    p.add_argument("--full-name")
    p.add_argument("--email")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("grant", help="give a user a role at a site (or change its PII grant)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=roles)
    p.add_argument("--site", required=True, help=site_help)
    p.add_argument("--pii", action="store_true")
    p.set_defaults(func=cmd_grant)

    p = sub.add_parser("end", help="end a user's role at a site (the membership is kept, inactive)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=roles)
    p.add_argument("--site", required=True, help=site_help)
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_end)

    p = sub.add_parser("deactivate", help="deactivate an account: no login, sessions end, tokens revoked")
    p.add_argument("username")
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_deactivate)

    p = sub.add_parser("list", help="list users, their roles and whether they are locked")
    add_json_flag(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("unlock", help="unlock an account locked after failed logins")
    p.add_argument("username")
    p.set_defaults(func=cmd_unlock)

    token = subparsers.add_parser("token", help="API tokens: issue (printed once), list, revoke")
    tsub = token.add_subparsers(dest="sub", metavar="SUBCOMMAND", required=True)
    p = tsub.add_parser("issue", help="issue an API token for a user (printed once)")
    p.add_argument("username")
    p.add_argument("--name", default="cli")
    p.add_argument("--days", type=int, default=90)
    p.set_defaults(func=cmd_token_issue)
    p = tsub.add_parser("revoke", help="revoke a token by its prefix (the first 8 characters)")
    p.add_argument("prefix")
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_token_revoke)
    p = tsub.add_parser("list", help="list tokens (prefix, user, name, usable)")
    add_json_flag(p)
    p.set_defaults(func=cmd_token_list)
