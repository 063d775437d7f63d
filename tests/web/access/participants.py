"""Access expectations of the participants room."""

from __future__ import annotations

from typing import Any

from tests.web.access._roles import EVERYONE_BUT_GUARDIAN, PARTICIPANT_READERS, SITE_TEAM

ORDER = 10

WEB = {
    "participant_list": ("get", PARTICIPANT_READERS),
    "participant_detail": ("get", PARTICIPANT_READERS),
    "participant_screening": ("get", PARTICIPANT_READERS),
    "participant_identity": ("get", set()),
    "participant_screen": ("get", SITE_TEAM),
    "prescreening_log": ("get", SITE_TEAM),
    "prescreening_add": ("post", SITE_TEAM),
    "participant_form_save": ("post", SITE_TEAM | {"rater"}),
    "eligibility_sign": ("post", {"investigator"}),
    "consent_record": ("post", set()),  # names the guardian from the vault: the PII grant is needed
    "consent_sign": ("post", SITE_TEAM),
    "consent_scan": ("get", set()),
    "consent_scan_upload": ("post", set()),  # a scan of a signed form is personal data
    "dissent_record": ("post", SITE_TEAM | {"rater", "pharmacist"}),
    "dissent_resolve": ("post", {"investigator"}),
    "participant_withdraw": ("post", SITE_TEAM),
    "participant_enrol": ("post", SITE_TEAM),
    "participant_dosing_day": ("post", SITE_TEAM),
    "participant_dosed": ("post", {"investigator", "pharmacist"}),
    "participant_rescreen": ("post", SITE_TEAM),
    "visit_record": ("post", SITE_TEAM),
    "visits_due": ("get", PARTICIPANT_READERS),
    "funnel": ("get", EVERYONE_BUT_GUARDIAN),
    "funnel_figure": ("get", EVERYONE_BUT_GUARDIAN),
    "consent_documents": ("get", PARTICIPANT_READERS),
    "consent_document_add": ("post", SITE_TEAM | {"data_manager"}),
    "consent_document_file": ("get", PARTICIPANT_READERS),
}

API = {
    "/api/participants/": PARTICIPANT_READERS,
    "/api/participants/prescreening": SITE_TEAM,
    "/api/participants/visits/due": PARTICIPANT_READERS,
    "/api/participants/funnel": EVERYONE_BUT_GUARDIAN,
    "/api/participants/consent-documents": PARTICIPANT_READERS,
    "/api/participants/{participant_id}": PARTICIPANT_READERS,
    "/api/participants/{participant_id}/identity": set(),
    "/api/participants/{participant_id}/forms": PARTICIPANT_READERS,
    "/api/participants/{participant_id}/eligibility": PARTICIPANT_READERS,
    "/api/participants/{participant_id}/consents": PARTICIPANT_READERS,
    "/api/participants/{participant_id}/visits": PARTICIPANT_READERS,
}

API_POST = {
    "/api/participants/prescreening": SITE_TEAM,
    "/api/participants/screen": SITE_TEAM,
    "/api/participants/consent-documents": SITE_TEAM | {"data_manager"},
    "/api/participants/{participant_id}/identity": SITE_TEAM,
    "/api/participants/{participant_id}/forms/{visit}/{form}": SITE_TEAM | {"rater"},
    "/api/participants/{participant_id}/eligibility/sign": {"investigator"},
    "/api/participants/{participant_id}/consents": SITE_TEAM,
    "/api/participants/consents/{consent_id}/sign": SITE_TEAM,
    "/api/participants/consents/{consent_id}/scan": SITE_TEAM,
    "/api/participants/{participant_id}/dissents": SITE_TEAM | {"rater", "pharmacist"},
    "/api/participants/dissents/{dissent_id}/resolve": {"investigator"},
    "/api/participants/{participant_id}/withdrawal": SITE_TEAM,
    "/api/participants/{participant_id}/enrol": SITE_TEAM,
    "/api/participants/{participant_id}/dosing-day": SITE_TEAM,
    "/api/participants/{participant_id}/dosed": {"investigator", "pharmacist"},
    "/api/participants/{participant_id}/rescreen": SITE_TEAM,
    "/api/participants/visits/{visit_id}": SITE_TEAM,
}


def records(site: Any, built: dict[str, Any]) -> dict[str, Any]:
    from tests.participants.records import build_access_records

    return build_access_records(site)


def url_kwargs(name: str, records: dict[str, Any]) -> dict[str, Any] | None:
    from tests.participants.records import url_kwargs as participant_kwargs

    return participant_kwargs(name, records)
