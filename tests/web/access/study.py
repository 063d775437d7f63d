"""Access expectations of the study room (protocol, sites) and the home page."""

from __future__ import annotations

from typing import Any

from tests.web.access._roles import ALL_ROLES, EDITORS, EVERYONE_BUT_GUARDIAN, SIGNERS

ORDER = 0

WEB = {
    "home": ("get", ALL_ROLES),
    "protocol": ("get", EVERYONE_BUT_GUARDIAN),
    "protocol_version": ("get", EVERYONE_BUT_GUARDIAN),
    "sites": ("get", EVERYONE_BUT_GUARDIAN),
    "site_detail": ("get", EVERYONE_BUT_GUARDIAN),
    "site_sign": ("post", SIGNERS),
    "site_edit": ("post", EDITORS),
}

API = {
    "/api/protocol/versions": EVERYONE_BUT_GUARDIAN,
    "/api/protocol/current": EVERYONE_BUT_GUARDIAN,
    "/api/protocol/versions/1": EVERYONE_BUT_GUARDIAN,
    "/api/protocol/sites": EVERYONE_BUT_GUARDIAN,
}

API_POST: dict[str, set[str]] = {}


def url_kwargs(name: str, records: dict[str, Any]) -> dict[str, Any] | None:
    if name in {"site_detail", "site_sign", "site_edit"}:
        return {"code": records["site_code"]}
    if name == "protocol_version":
        return {"number": 1}
    return None


def records(site: Any, built: dict[str, Any]) -> dict[str, Any]:
    return {"site_code": site.code}
