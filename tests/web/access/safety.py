"""Access expectations of the safety room (DESIGN.md's role table): the site's clinical team, the medical
monitor, monitors, data managers, the SRC and auditors read safety data; the coordinator and the investigator
enter AEs and follow-up; only the investigator assesses (grade, seriousness, causality) and decides the DLT;
the medical monitor (sponsor PV) records the sponsor's assessment, regulatory submissions, the RSI and other
safety risk information, and confirms the DLT. The site → sponsor notice is recorded by the site team or the
medical monitor."""

from __future__ import annotations

from typing import Any

ORDER = 40

READERS = {"investigator", "coordinator", "medical_monitor", "monitor", "data_manager", "src_member", "auditor"}
ENTRY = {"investigator", "coordinator"}
SITE_NOTICE = {"investigator", "coordinator", "medical_monitor"}

WEB = {
    "safety": ("get", READERS),
    "safety_swimmer": ("get", READERS),
    "safety_participant": ("get", READERS),
    "safety_ae_new": ("get", ENTRY),
    "safety_suggest": ("get", ENTRY),
    "safety_dlt_decide": ("post", {"investigator"}),
    "safety_dlt_confirm": ("post", {"medical_monitor"}),
    "safety_ae": ("get", READERS),
    "safety_ae_assess": ("post", {"investigator"}),
    "safety_ae_sponsor": ("post", {"medical_monitor"}),
    "safety_ae_follow_up": ("get", ENTRY),
    "safety_ae_cioms": ("get", READERS),
    "safety_ae_e2b": ("get", READERS),
    "safety_submission": ("post", SITE_NOTICE),
    "safety_notices": ("get", {"investigator", "medical_monitor"}),
    "safety_other_risk": ("get", {"medical_monitor"}),
    "safety_rsi": ("get", {"medical_monitor"}),
}

API = {
    "/api/safety/aes": READERS,
    "/api/safety/aes/{ae_id}": READERS,
    "/api/safety/aes/{ae_id}/e2b": READERS,
    "/api/safety/participants/{participant_id}/dlt": READERS,
    "/api/safety/obligations": READERS,
}

API_POST: dict[str, set[str]] = {
    "/api/safety/participants/{participant_id}/aes": ENTRY,
    "/api/safety/obligations/{safety_obligation_id}/submissions": SITE_NOTICE,
}


def records(site: Any, built: dict[str, Any]) -> dict[str, Any]:
    """A serious AE of the participants room's child, so that its site → sponsor obligation exists."""
    from django.apps import apps
    from django.utils import timezone

    from celltrial.core.actor import Actor
    from celltrial.safety import services
    from celltrial.safety.models import Obligation

    child = apps.get_model("participants", "Participant").objects.get(pk=built["participant_id"])
    ae = services.report_ae(Actor.system("test"), child, verbatim="Pneumonia", onset=timezone.localdate().isoformat(),
                            grade=3, seriousness=["hospitalisation"])
    notice = Obligation.objects.get(ae=ae, kind="site_notice")
    return {"ae_id": ae.pk, "safety_obligation_id": notice.pk}


URL_KWARGS = {
    "safety_participant": {"participant_id": "participant_id"},
    "safety_ae_new": {"participant_id": "participant_id"},
    "safety_suggest": {"participant_id": "participant_id"},
    "safety_dlt_decide": {"participant_id": "participant_id"},
    "safety_dlt_confirm": {"participant_id": "participant_id"},
    "safety_ae": {"pk": "ae_id"},
    "safety_ae_assess": {"pk": "ae_id"},
    "safety_ae_sponsor": {"pk": "ae_id"},
    "safety_ae_follow_up": {"pk": "ae_id"},
    "safety_ae_e2b": {"pk": "ae_id"},
    "safety_submission": {"pk": "safety_obligation_id"},
}


def url_kwargs(name: str, records: dict[str, Any]) -> dict[str, Any] | None:
    if name == "safety_ae_cioms":
        return {"pk": records["ae_id"], "language": "en"}
    if name not in URL_KWARGS:
        return None
    return {keyword: records[key] for keyword, key in URL_KWARGS[name].items()}
