"""What the study room offers other rooms (the only study module they import, with ``study.protocol``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from celltrial.core import steady
from celltrial.study.models import ProtocolVersion, Site
from celltrial.study.services import latest_version_row, version_in_force, version_in_force_number

__all__ = [
    "protocol_in_force", "protocol_version_in_force", "site", "site_numbers", "site_time_zones", "sites",
    "version_in_force", "version_in_force_number",
]


def site_time_zones() -> dict[str, str]:
    """Each site's IANA time zone, by site code (times are stored in UTC and shown site-local)."""
    return dict(steady.read("study.site_time_zones", lambda: dict(Site.objects.values_list("code", "timezone"))))


def protocol_in_force() -> Any:
    """The validated protocol (``celltrial.study.protocol.Protocol``) of the version in force, or None."""
    version = version_in_force()
    return version.definition() if version is not None else None


def site(code: str) -> Site | None:
    """The site with this code, or None (other rooms refer to sites by code)."""
    return Site.objects.filter(code=code).first()


def sites() -> list[Site]:
    return list(Site.objects.order_by("code"))


@lru_cache(maxsize=8)
def _definition(number: int, content_hash: str) -> Any:
    return ProtocolVersion.objects.get(number=number).definition()


def protocol_version_in_force() -> tuple[int, Any] | None:
    """The version in force as ``(number, Protocol)``, the validated definition cached per version.

    One small query per call, so pages that read the protocol on every request do not re-validate the
    whole definition each time; None before any protocol is loaded.
    """
    row = latest_version_row()
    if row is None:
        return None
    return row[0], _definition(row[0], row[1])


def site_numbers(protocol: Any) -> dict[str, int]:
    """Each site's two-digit number in identifiers: its position in the protocol's site list (from 1)."""
    return {s.code: i for i, s in enumerate(protocol.sites, start=1)}
