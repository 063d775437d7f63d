"""Command-line entry points of this room (filled in by its issue)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this room's subcommands to the `celltrial` command."""
