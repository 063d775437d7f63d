"""The acting user of a write: who, in which role, at which site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    """Who is acting, in which role, at which site.

    ``user`` is None for the platform itself (``celltrial init``, the worker); ``label`` then
    names the command or task, and is fixed by the code, never typed by a person.
    ``site_code`` is blank for an actor holding a trial-wide role.
    """

    user: Any
    role: str = ""
    site_code: str = ""
    label: str = ""

    @property
    def username(self) -> str:
        if self.user is not None:
            return str(self.user.get_username())
        return self.label or "system"

    @property
    def is_system(self) -> bool:
        return self.user is None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user=None, role="system", label=label)
