"""Hook points: how higher layers plug into writes without the lower ones importing them.

- ``protocol_version``: study answers "which protocol version is in force" (every record and
  audit entry keeps it);
- ``access``: accounts answers "may this actor exercise this permission at this site";
- ``after_change``: accounts voids the signatures a change made stale, in the same transaction;
- ``signatures_voided_by``: accounts tells an edit page, before saving, which signatures a change
  would void.

Each is set once, in the providing app's ``ready()``. An unset ``access`` hook denies everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    """One named provider, set by the app that owns the answer."""

    def __init__(self, name: str, default: F):
        self.name = name
        self._default = default
        self._provider: F | None = None

    def provide(self, fn: F) -> F:
        self._provider = fn
        return fn

    @property
    def call(self) -> F:
        return self._provider if self._provider is not None else self._default


def _no_protocol() -> int | None:
    return None


def _deny(actor: Any, permission: str, site_code: str | None) -> bool:
    return False


def _nothing(actor: Any, instance: Any) -> list[Any]:
    return []


protocol_version: Hook[Callable[[], int | None]] = Hook("protocol_version", _no_protocol)
access: Hook[Callable[[Any, str, str | None], bool]] = Hook("access", _deny)
after_change: Hook[Callable[[Any, Any], list[Any]]] = Hook("after_change", _nothing)
signatures_voided_by: Hook[Callable[[Any, Any], list[Any]]] = Hook("signatures_voided_by", _nothing)
