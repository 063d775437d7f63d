"""Access expectations of the inspection room (the audit trail viewer)."""

from __future__ import annotations

from tests.web.access._roles import AUDIT_READERS

ORDER = 0

WEB = {
    "audit": ("get", AUDIT_READERS),
}

API = {
    "/api/audit/entries": AUDIT_READERS,
    "/api/audit/verify": {"auditor", "data_manager", "qa", "admin"},
}

API_POST: dict[str, set[str]] = {}
