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
}
PUBLIC = {"login", "logout", "set_language"}

API = {
    "/api/protocol/versions": EVERYONE_BUT_GUARDIAN,
    "/api/protocol/current": EVERYONE_BUT_GUARDIAN,
    "/api/protocol/versions/1": EVERYONE_BUT_GUARDIAN,
    "/api/protocol/sites": EVERYONE_BUT_GUARDIAN,
    "/api/audit/entries": AUDIT_READERS,
    "/api/audit/verify": {"auditor", "data_manager", "qa", "admin"},
}


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
    assert routes == set(API)


def _url(name: str, site_code: str) -> str:
    if name in {"site_detail", "site_sign", "site_edit"}:
        return reverse(name, args=[site_code])
    if name == "protocol_version":
        return reverse(name, args=[1])
    return reverse(name)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_web_access_by_role(role, users, site, client):
    client.force_login(users[role])
    for name, (method, allowed) in WEB.items():
        response = getattr(client, method)(_url(name, site.code), {})
        if role in allowed:
            assert response.status_code in (200, 302, 400), f"{role} should reach {name}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{role} must be refused {name}: got {response.status_code}"


def test_anonymous_is_sent_to_login(site, client):
    for name, (method, _allowed) in WEB.items():
        response = getattr(client, method)(_url(name, site.code), {})
        assert response.status_code == 302 and reverse("login") in response.url, name


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_api_access_by_role(role, users, site, client):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    token = issue_token(Actor.system("test"), users[role], "t")
    for path, allowed in API.items():
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{role} {path}: {response.status_code}"


def test_api_without_token_is_refused(site, client):
    for path in API:
        assert client.get(path).status_code == 401


def test_other_sites_are_hidden(users, site, other_site, client, make_user):
    """A coordinator at one site sees neither the other site nor its audit entries."""
    client.force_login(users["coordinator"])
    assert client.get(reverse("site_detail", args=[other_site.code])).status_code == 404
    assert other_site.code not in client.get(reverse("sites")).content.decode()
    auditor = make_user("auditor2", "auditor")
    client.force_login(auditor)
    page = client.get(reverse("audit"), {"site": other_site.code}).content.decode()
    assert "No entries match" in page
