"""Access expectations of the capture room (visit forms, instruments, guardian links).

The guardian's questionnaire pages (``/capture/q/<token>/``) are public — the one-time link is the
permission — and unnamed, so they are not in this matrix; tests/capture/test_guardian.py walks them.
"""

from __future__ import annotations

from typing import Any

from tests.web.access._roles import SITE_TEAM

ORDER = 30

CAPTURE_READERS = {"investigator", "coordinator", "rater", "data_manager", "monitor", "medical_monitor", "auditor"}
ENTERERS = SITE_TEAM | {"rater"}

WEB = {
    "capture": ("get", CAPTURE_READERS),
    "capture_participant": ("get", CAPTURE_READERS),
    "capture_form": ("get", CAPTURE_READERS),
    "capture_evaluate": ("post", CAPTURE_READERS),
    "capture_guardian_link": ("post", SITE_TEAM),
}

API = {
    "/api/capture/forms": CAPTURE_READERS,
    "/api/capture/participants/{participant_id}/records": CAPTURE_READERS,
    "/api/capture/participants/{participant_id}/instruments": CAPTURE_READERS,
}

API_POST = {
    "/api/capture/participants/{participant_id}/forms/{visit}/{form}": ENTERERS,
    "/api/capture/participants/{participant_id}/forms/{visit}/{form}/guardian-link": SITE_TEAM,
}

_KWARGS = {
    "capture_participant": ("pk",),
    "capture_form": ("pk", "visit", "form", "repeat"),
    "capture_evaluate": ("pk", "visit", "form", "repeat"),
    "capture_guardian_link": ("pk", "visit", "form"),
}


def url_kwargs(name: str, records: dict[str, Any]) -> dict[str, Any] | None:
    if name not in _KWARGS:
        return None
    values = {"pk": records["participant_id"], "visit": "BL", "form": "abc", "repeat": 1}
    return {key: values[key] for key in _KWARGS[name]}
