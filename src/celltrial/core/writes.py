"""Whether the current code runs inside an auditing service (a context variable, safe across threads)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_in_service: ContextVar[int] = ContextVar("celltrial_audit_service_depth", default=0)


class UnauditedWriteError(RuntimeError):
    """A write to trial data tried to bypass the auditing services."""


@contextlib.contextmanager
def service_scope() -> Iterator[None]:
    """Entered only by the audit room's writers, which write the entry in the same transaction."""
    token = _in_service.set(_in_service.get() + 1)
    try:
        yield
    finally:
        _in_service.reset(token)


def in_service() -> bool:
    return _in_service.get() > 0


def assert_in_service(what: str) -> None:
    if not in_service():
        raise UnauditedWriteError(
            f"{what} on audited trial data must go through a named service operation, "
            "which writes the audit entry in the same transaction"
        )
