"""The `celltrial` command.

Subcommands live with the room they belong to; each module listed in ``COMMAND_MODULES``
exposes ``register(subparsers)``. Pure commands (scoring, grading, designs) never start Django;
platform commands (serve, init, load-protocol, audit, demo) set it up on demand.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from celltrial import __version__
from celltrial.core.errors import AccessDenied, InputError

COMMAND_MODULES = (
    "celltrial.platform_cli",
    "celltrial.audit.cli",
    "celltrial.accounts.cli",
    "celltrial.escalation.cli",
    "celltrial.capture.instruments.cli",
    "celltrial.safety.cli",
    "celltrial.product.cli",
    "celltrial.identifiers.cli",
    "celltrial.participants.cli",
    "celltrial.study.protocol.check",
    "celltrial.labs.cli",
    "celltrial.capture.quality.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="celltrial",
        description="celltrial: early-phase cell-therapy trials, vein to vein.",
    )
    parser.add_argument("--version", action="version", version=f"celltrial {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"celltrial {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (AccessDenied, PermissionError) as exc:
        print(f"celltrial {args.command}: not allowed: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `celltrial … | head` closed the pipe: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
