"""Deny by default: every URL and API route, for every role, against the access the design grants.

The expectations are written out here from DESIGN.md's role table, not derived from the code's
permission map, so that a change to either is caught. A new URL without an expectation fails.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from celltrial.accounts.roles import Role

EVERYONE_BUT_GUARDIAN = {r.value for r in Role} - {"guardian"}
AUDIT_READERS = {"auditor", "data_manager", "monitor", "qa", "admin", "investigator"}
SIGNERS = {"qa", "investigator"}
EDITORS = {"admin", "data_manager"}
PRODUCT_READERS = {"qa", "pharmacist", "investigator", "monitor", "auditor", "data_manager", "medical_monitor"}
BEDSIDE = {"pharmacist", "investigator"}
# participants room: a site's children are read by its clinical team, monitors and auditors; the users here
# hold no PII grant, so the identity vault and consent scans are refused to every role (the grant itself is
# tested in tests/participants/test_vault.py).
PARTICIPANT_READERS = {"investigator", "coordinator", "rater", "pharmacist", "data_manager", "monitor",
                       "medical_monitor", "auditor"}
SITE_TEAM = {"investigator", "coordinator"}

# url name -> (method, roles allowed); everything else must be refused (403) or sent to login.
WEB = {
    "home": ("get", {r.value for r in Role}),
    "protocol": ("get", EVERYONE_BUT_GUARDIAN),
    "protocol_version": ("get", EVERYONE_BUT_GUARDIAN),
    "sites": ("get", EVERYONE_BUT_GUARDIAN),
    "site_detail": ("get", EVERYONE_BUT_GUARDIAN),
    "site_sign": ("post", SIGNERS),
    "site_edit": ("post", EDITORS),
    "audit": ("get", AUDIT_READERS),
    # product room: these users hold their roles at the site; manufacturing writes need a trial-wide grant
    # (so no site role may make them: tests/product/test_product_pages.py checks trial-wide QA does).
    "product": ("get", PRODUCT_READERS),
    "product_donors": ("get", {"qa"}),
    "product_donor": ("get", PRODUCT_READERS),
    "product_donor_marker": ("post", set()),
    "product_collection_new": ("post", set()),
    "product_batch_new": ("post", set()),
    "product_batch": ("get", PRODUCT_READERS),
    "product_batch_record": ("post", set()),
    "product_lot": ("get", PRODUCT_READERS),
    "product_qc_result": ("post", set()),
    "product_qc_correct": ("get", {"qa"}),
    "product_release": ("post", set()),
    "product_coa": ("get", PRODUCT_READERS),
    "product_fill": ("post", set()),
    "product_ship": ("post", set()),
    "product_shipment": ("get", PRODUCT_READERS),
    "product_temperature": ("post", {"pharmacist"}),
    "product_unit": ("get", PRODUCT_READERS),
    "product_custody": ("post", {"pharmacist"}),
    "product_allocate": ("post", {"pharmacist"}),
    "product_label": ("get", {"qa", "pharmacist"}),
    "product_chain": ("get", PRODUCT_READERS),
    "product_chain_pdf": ("get", PRODUCT_READERS),
    "product_bedside": ("get", BEDSIDE),
    "product_bedside_check": ("get", BEDSIDE),
    "product_close_investigation": ("post", set()),
    "product_recalls": ("get", {"qa"}),
    "product_notifications": ("get", {"qa", "pharmacist", "investigator", "medical_monitor"}),
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
PUBLIC = {"login", "logout", "set_language"}

API = {
    "/api/protocol/versions": EVERYONE_BUT_GUARDIAN,
    "/api/protocol/current": EVERYONE_BUT_GUARDIAN,
    "/api/protocol/versions/1": EVERYONE_BUT_GUARDIAN,
    "/api/protocol/sites": EVERYONE_BUT_GUARDIAN,
    "/api/audit/entries": AUDIT_READERS,
    "/api/audit/verify": {"auditor", "data_manager", "qa", "admin"},
    "/api/product/lots": PRODUCT_READERS,
    "/api/product/lots/{lot_id}": PRODUCT_READERS,
    "/api/product/units": PRODUCT_READERS,
    "/api/product/units/{unit_id}": PRODUCT_READERS,
    "/api/product/units/{unit_id}/chain": PRODUCT_READERS,
    "/api/product/units/{unit_id}/custody": PRODUCT_READERS,
    "/api/product/units/{unit_id}/bedside-checks": BEDSIDE,
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
# Write routes: a role without the permission is refused (403) before its body is read; a role with it
# reaches the handler (an empty body is then a 422 naming the missing fields).
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


@pytest.fixture
def product_records(site):
    from tests.product.records import build_access_records

    return build_access_records(site)


@pytest.fixture
def participant_records(site):
    from tests.participants.records import build_access_records

    return build_access_records(site)


def _names(resolver: URLResolver, prefix: str = "") -> set[str]:
    names = set()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "api":
                continue
            names |= _names(p)
        elif isinstance(p, URLPattern) and p.name:
            names.add(p.name)
    return names


def test_every_web_url_has_an_expectation():
    assert _names(get_resolver()) - PUBLIC == set(WEB)


def test_every_api_route_has_an_expectation():
    from celltrial.api.router import api

    schema = api.get_openapi_schema()
    routes = {path.replace("{number}", "1") for path in schema["paths"]}
    assert routes == set(API) | set(API_POST)


def _url(name: str, site_code: str, records: dict | None = None, participants: dict | None = None) -> str:
    from tests.participants.records import url_kwargs as participant_kwargs
    from tests.product.records import url_kwargs

    if records is not None and (kwargs := url_kwargs(name, records)) is not None:
        return reverse(name, kwargs=kwargs)
    if participants is not None and (kwargs := participant_kwargs(name, participants)) is not None:
        return reverse(name, kwargs=kwargs)
    if name in {"site_detail", "site_sign", "site_edit"}:
        return reverse(name, args=[site_code])
    if name == "protocol_version":
        return reverse(name, args=[1])
    return reverse(name)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_web_access_by_role(role, users, site, client, product_records, participant_records):
    client.force_login(users[role])
    for name, (method, allowed) in WEB.items():
        response = getattr(client, method)(_url(name, site.code, product_records, participant_records), {})
        if role in allowed:
            assert response.status_code in (200, 302, 400), f"{role} should reach {name}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{role} must be refused {name}: got {response.status_code}"


def test_anonymous_is_sent_to_login(site, client, product_records, participant_records):
    for name, (method, _allowed) in WEB.items():
        response = getattr(client, method)(_url(name, site.code, product_records, participant_records), {})
        assert response.status_code == 302 and reverse("login") in response.url, name


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_api_access_by_role(role, users, site, client, product_records, participant_records):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    token = issue_token(Actor.system("test"), users[role], "t")
    for path, allowed in API.items():
        response = client.get(path.format(**product_records, **participant_records), HTTP_AUTHORIZATION=f"Bearer {token}")
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{role} {path}: {response.status_code}"
    for path, allowed in API_POST.items():
        response = client.post(path.format(**participant_records), {}, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}")
        if role in allowed:
            assert response.status_code in (200, 404, 409, 422), f"{role} should reach POST {path}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{role} must be refused POST {path}: {response.status_code}"


def test_api_without_token_is_refused(site, client, product_records, participant_records):
    for path in API:
        assert client.get(path.format(**product_records, **participant_records)).status_code == 401
    for path in API_POST:
        assert client.post(path.format(**participant_records), {}, content_type="application/json").status_code == 401


def test_other_sites_are_hidden(users, site, other_site, client, make_user):
    """A coordinator at one site sees neither the other site nor its audit entries."""
    client.force_login(users["coordinator"])
    assert client.get(reverse("site_detail", args=[other_site.code])).status_code == 404
    assert other_site.code not in client.get(reverse("sites")).content.decode()
    auditor = make_user("auditor2", "auditor")
    client.force_login(auditor)
    page = client.get(reverse("audit"), {"site": other_site.code}).content.decode()
    assert "No entries match" in page
