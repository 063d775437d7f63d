"""Access expectations of the capture room (visit forms, instruments, guardian links).

The guardian's questionnaire pages (``/capture/q/<token>/``) are public — the one-time link is the
permission — and unnamed, so they are not in this matrix; tests/capture/test_guardian.py walks them.

A stored file is read by the same readers as the forms: ``records()`` loads a protocol amendment whose vital
signs have a file field (the default protocol has none) and stores a source document in the screening
vital signs of the participants room's child (``visit``/``form`` of its records: SCR, vitals).
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
    "capture_file": ("get", CAPTURE_READERS),
}

API = {
    "/api/capture/forms": CAPTURE_READERS,
    "/api/capture/participants/{participant_id}/records": CAPTURE_READERS,
    "/api/capture/participants/{participant_id}/instruments": CAPTURE_READERS,
    "/api/capture/participants/{participant_id}/forms/{visit}/{form}/files/{file_field}": CAPTURE_READERS,
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


def records(site: Any, built: dict[str, Any]) -> dict[str, Any]:
    """The source document and signature in the child's screening vital signs. The child's dissent pauses
    entry, so they are written with the audit room's own writer (as the quality room's records are)."""
    from celltrial.audit.operations import tracked
    from celltrial.capture import files
    from celltrial.capture.models import FormRecord
    from celltrial.core.actor import Actor
    from tests.capture.records import PDF, SIGNATURE_FIELD, SOURCE_FIELD, load_file_protocol, png

    load_file_protocol()
    record = FormRecord.objects.get(participant_id=built["participant_id"], visit=built["visit"], form="vitals",
                                    repeat=1)
    with tracked(Actor.system("test"), record, reason="source document attached") as r:
        r.values = {**r.values, SOURCE_FIELD: files.store(SOURCE_FIELD, "worksheet.pdf", PDF),
                    SIGNATURE_FIELD: files.store(SIGNATURE_FIELD, "signature.png", png(), signature=True)}
    return {"file_field": SOURCE_FIELD}


def url_kwargs(name: str, records: dict[str, Any]) -> dict[str, Any] | None:
    if name == "capture_file":
        return {"pk": records["participant_id"], "visit": records["visit"], "form": "vitals", "repeat": 1,
                "field": records["file_field"]}
    if name not in _KWARGS:
        return None
    values = {"pk": records["participant_id"], "visit": "BL", "form": "abc", "repeat": 1}
    return {key: values[key] for key in _KWARGS[name]}
