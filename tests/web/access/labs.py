"""Access expectations of the labs room (DESIGN.md's role table): a site's lab data is read by its clinical
team, the pharmacist, monitors, the medical monitor and auditors; the site team (investigator, coordinator)
enters and corrects results and infusion-day vitals. Reference-range uploads are a POST on the ranges page
(tested in tests/labs/test_pages.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

ORDER = 30

LAB_READERS = {"investigator", "coordinator", "pharmacist", "data_manager", "monitor", "medical_monitor", "auditor"}
LAB_ENTRY = {"investigator", "coordinator"}

WEB = {
    "labs": ("get", LAB_READERS),
    "labs_participant": ("get", LAB_READERS),
    "labs_enter": ("get", LAB_ENTRY),
    "labs_vitals": ("get", LAB_READERS),
    "labs_correct": ("get", LAB_ENTRY),
    "labs_vitals_correct": ("get", LAB_ENTRY),
    "labs_ranges": ("get", LAB_READERS),
    "labs_range_set": ("get", LAB_READERS),
}

API = {
    "/api/labs/participants/{participant_id}/results": LAB_READERS,
    "/api/labs/participants/{participant_id}/vitals": LAB_READERS,
    "/api/labs/ranges": LAB_READERS,
}

API_POST: dict[str, set[str]] = {
    "/api/labs/participants/{participant_id}/panels": LAB_ENTRY,
    "/api/labs/participants/{participant_id}/vitals": LAB_ENTRY,
    "/api/labs/results/{lab_result_id}/correct": LAB_ENTRY,
}


def records(site: Any, built: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    from celltrial.core.actor import Actor
    from celltrial.labs import services
    from celltrial.labs.demo import RANGES_FILE

    system = Actor.system("test")
    ranges = services.load_reference_ranges(system, site_code=site.code, content=RANGES_FILE.read_bytes(),
                                            name=RANGES_FILE.name)
    from tests.labs.records import dosed_child

    # The participants room's child has a dissent open (procedures paused: entry refused), so the lab records
    # are entered for a child of this room's own; the grid pages use the participants room's child.
    child = dosed_child(site, sequence=981, dose=False)
    now = timezone.now()
    result = services.enter_panel(system, child, visit="SCR", collected_at=now - dt.timedelta(hours=2),
                                  values={"ALT": ("24", "U/L")})[0]
    start = now - dt.timedelta(hours=5)
    vitals = services.record_infusion_vitals(system, child, time_point="pre", infusion_started_at=start,
                                             measured_at=start - dt.timedelta(minutes=10), values={
                                                 "temperature_c": "36.6", "heart_rate": "90", "systolic_bp": "100",
                                                 "diastolic_bp": "62", "resp_rate": "20", "spo2": "99"})
    return {"lab_result_id": result.pk, "lab_vitals_id": vitals.pk, "lab_range_set_id": ranges.pk,
            "lab_visit": "SCR"}


URL_KWARGS = {
    "labs_participant": (("participant_id", "participant_id"),),
    "labs_enter": (("participant_id", "participant_id"), ("visit", "lab_visit")),
    "labs_vitals": (("participant_id", "participant_id"),),
    "labs_correct": (("result_id", "lab_result_id"),),
    "labs_vitals_correct": (("vitals_id", "lab_vitals_id"),),
    "labs_range_set": (("set_id", "lab_range_set_id"),),
}


def url_kwargs(name: str, records: dict[str, Any]) -> dict[str, Any] | None:
    if name not in URL_KWARGS:
        return None
    return {keyword: records[key] for keyword, key in URL_KWARGS[name]}
