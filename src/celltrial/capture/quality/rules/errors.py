"""Refusals of the data-quality rules (an ``InputError``: a 422 in the API, a message on the page)."""

from __future__ import annotations

from celltrial.core.errors import InputError


class QualityRefused(InputError):
    """A transition or action the data-quality rules do not allow; ``code`` names the rule."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)
