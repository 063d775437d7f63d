"""Facts read once per operation: the protocol version in force, the sites' time zones, a
participant's freezes and locks.

A form save asks "which protocol version is in force?", "what day is it at the site?" and "is this
form locked?" in several places (consent gating, the form engine, the audit entry, the edit checks,
the eligibility subscriber). Inside :func:`steady_reads` the first answer to each is kept for the rest
of the block, so the operation reads each fact once and judges the whole save by one consistent view.
Outside a block every call reads the database. Only an operation that does not change those facts may
open a block (a form save changes none of them); each reader names its fact with a key of its own
room (``study.protocol``, ``quality.holds:12``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_memo: ContextVar[dict[str, Any] | None] = ContextVar("celltrial_study_steady_reads", default=None)


@contextmanager
def steady_reads() -> Iterator[None]:
    """Keep the first reading of each study fact for the rest of the block (nested blocks share it)."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def read(key: str, reader: Callable[[], T]) -> T:
    """``reader()``, or inside a steady block the value it gave the first time there."""
    memo = _memo.get()
    if memo is None:
        return reader()
    if key not in memo:
        memo[key] = reader()
    value: T = memo[key]
    return value
