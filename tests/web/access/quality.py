"""Access expectations of data quality (capture/quality): DESIGN.md's role table — data managers and monitors
raise and close queries, the site team answers, monitors verify source data, data managers freeze and lock,
the investigator signs the casebook; the site team, raters, reviewers, the medical monitor and auditors read."""

from __future__ import annotations

from typing import Any

READERS = {"investigator", "coordinator", "rater", "data_manager", "monitor", "medical_monitor", "auditor"}
REVIEWERS = {"data_manager", "monitor"}
SITE_TEAM = {"coordinator", "investigator"}

ORDER = 60

WEB = {
    "quality_queries": ("get", READERS),
    "quality_query": ("get", READERS),
    "quality_query_raise": ("post", REVIEWERS),
    "quality_query_answer": ("post", SITE_TEAM),
    "quality_query_close": ("post", REVIEWERS),
    "quality_query_reopen": ("post", REVIEWERS),
    "quality_participant": ("get", READERS),
    "quality_sdv": ("post", {"monitor"}),
    "quality_casebook_sign": ("post", {"investigator"}),
    "quality_locks": ("get", {"data_manager"}),
    "quality_lock_place": ("post", {"data_manager"}),
    "quality_lock_release": ("post", {"data_manager"}),
    "quality_missing": ("get", READERS),
    "quality_checks_run": ("post", {"data_manager"}),
}

API = {
    "/api/quality/queries": READERS,
    "/api/quality/queries/{quality_query_id}": READERS,
    "/api/quality/locks": {"data_manager"},
    "/api/quality/missing": READERS,
}

API_POST = {
    "/api/quality/queries": REVIEWERS,
    "/api/quality/queries/{quality_query_id}/answer": SITE_TEAM,
    "/api/quality/queries/{quality_query_id}/close": REVIEWERS,
    "/api/quality/queries/{quality_query_id}/reopen": REVIEWERS,
    "/api/quality/sdv": {"monitor"},
    "/api/quality/locks": {"data_manager"},
    "/api/quality/locks/{quality_lock_id}/release": {"data_manager"},
    "/api/quality/casebooks/{participant_id}/sign": {"investigator"},
    "/api/quality/checks/run": {"data_manager"},
}


def records(site: Any, built: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    from celltrial.audit.operations import insert
    from celltrial.capture.quality.models import Lock, Query
    from celltrial.capture.quality.records import participant
    from celltrial.core.actor import Actor

    system = Actor.system("test")
    child = participant(built["participant_id"])
    query = insert(system, Query(site=site, participant_pk=child.pk, subject=str(child), visit="BL", form="vitals",
                                 field="weight_kg", origin="manual", text="Please check.", raised_at=timezone.now()))
    from celltrial.accounts.services import create_user
    from tests.conftest import PASSWORD

    dm = create_user(system, username="dm_records", password=PASSWORD, full_name="Records DM",
                     memberships=[(site, "data_manager", False)])
    hold = insert(system, Lock(site=site, level="form", kind="freeze", scope_key=f"form:{child.pk}:W52:abc",
                               participant_pk=child.pk, subject=str(child), visit="W52", form="abc", placed_by=dm,
                               placed_at=timezone.now(), placed_reason="access matrix"))
    return {"quality_query_id": query.pk, "quality_lock_id": hold.pk}


URL_KWARGS = {
    "quality_query": (("pk", "quality_query_id"),), "quality_query_answer": (("pk", "quality_query_id"),),
    "quality_query_close": (("pk", "quality_query_id"),), "quality_query_reopen": (("pk", "quality_query_id"),),
    "quality_participant": (("pk", "participant_id"),), "quality_sdv": (("pk", "participant_id"),),
    "quality_casebook_sign": (("pk", "participant_id"),), "quality_lock_release": (("pk", "quality_lock_id"),),
}


def url_kwargs(name: str, records: dict[str, Any]) -> dict[str, Any] | None:
    if name not in URL_KWARGS:
        return None
    return {keyword: records[key] for keyword, key in URL_KWARGS[name]}
