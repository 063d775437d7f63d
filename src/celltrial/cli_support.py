"""Shared helpers for the `celltrial` command: one-line errors, JSON output, progress bars.

Every subcommand module exposes ``register(subparsers)`` and sets ``func`` on its parsers;
handlers return an exit code. A handler that meets bad input raises an
:class:`~celltrial.core.errors.InputError` (:class:`CommandError` or a library's own) with a
one-line reason; ``main`` prints it to stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from celltrial.core.errors import InputError

T = TypeVar("T")


class CommandError(InputError):
    """Bad input to a command: the message is the one-line reason shown to the user."""


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def emit_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def progress(items: Iterable[T], total: int | None = None, description: str = "working") -> Iterator[T]:
    """Wrap long work in a progress bar on stderr (silent when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(task)

