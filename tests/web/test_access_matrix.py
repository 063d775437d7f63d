"""Deny by default: every URL and API route, for every role, against the access the design grants.

The expectations are written out per room in tests/web/access/ (see its README) from DESIGN.md's role
table, not derived from the code's permission map, so that a change to either is caught. A new URL
without an expectation fails.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from celltrial.accounts.roles import Role
from tests.web import access


def _rooms() -> list[ModuleType]:
    """The expectation modules of tests/web/access/ (one per room; see its README), in records order."""
    modules = [importlib.import_module(f"{access.__name__}.{info.name}")
               for info in pkgutil.iter_modules(access.__path__) if not info.name.startswith("_")]
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))


def _merged(attribute: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for module in _rooms():
        entries = getattr(module, attribute, {})
        clash = set(merged) & set(entries)
        assert not clash, f"{module.__name__} repeats {attribute} expectations of another room: {sorted(clash)}"
        merged.update(entries)
    return merged


# url name -> (method, roles allowed); everything else must be refused (403) or sent to login.
WEB = _merged("WEB")
PUBLIC = {"login", "logout", "set_language"}
API = _merged("API")
# Write routes: a role without the permission is refused (403) before its body is read; a role with it
# reaches the handler (an empty body is then a 422 naming the missing fields).
API_POST = _merged("API_POST")


@pytest.fixture
def records(site) -> dict[str, Any]:
    """One of each record every room's URLs need, built room by room (a room may reuse an earlier one's)."""
    built: dict[str, Any] = {}
    for module in _rooms():
        build = getattr(module, "records", None)
        if build is None:
            continue
        made = build(site, dict(built))
        clash = set(made) & set(built)
        assert not clash, f"{module.__name__} returns record keys another room returns: {sorted(clash)}"
        built.update(made)
    return built


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


def _url(name: str, records: dict[str, Any]) -> str:
    for module in _rooms():
        kwargs = getattr(module, "url_kwargs", lambda _name, _records: None)(name, records)
        if kwargs is not None:
            return reverse(name, kwargs=kwargs)
    return reverse(name)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_web_access_by_role(role, users, site, client, records):
    client.force_login(users[role])
    for name, (method, allowed) in WEB.items():
        response = getattr(client, method)(_url(name, records), {})
        if role in allowed:
            assert response.status_code in (200, 302, 400), f"{role} should reach {name}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{role} must be refused {name}: got {response.status_code}"


def test_anonymous_is_sent_to_login(site, client, records):
    for name, (method, _allowed) in WEB.items():
        response = getattr(client, method)(_url(name, records), {})
        assert response.status_code == 302 and reverse("login") in response.url, name


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_api_access_by_role(role, users, site, client, records):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    token = issue_token(Actor.system("test"), users[role], "t")
    for path, allowed in API.items():
        response = client.get(path.format(**records), HTTP_AUTHORIZATION=f"Bearer {token}")
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{role} {path}: {response.status_code}"
    for path, allowed in API_POST.items():
        response = client.post(path.format(**records), {}, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}")
        if role in allowed:
            assert response.status_code in (200, 404, 409, 422), f"{role} should reach POST {path}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{role} must be refused POST {path}: {response.status_code}"


def test_api_without_token_is_refused(site, client, records):
    for path in API:
        assert client.get(path.format(**records)).status_code == 401
    for path in API_POST:
        assert client.post(path.format(**records), {}, content_type="application/json").status_code == 401


def test_other_sites_are_hidden(users, site, other_site, client, make_user):
    """A coordinator at one site sees neither the other site nor its audit entries."""
    client.force_login(users["coordinator"])
    assert client.get(reverse("site_detail", args=[other_site.code])).status_code == 404
    assert other_site.code not in client.get(reverse("sites")).content.decode()
    auditor = make_user("auditor2", "auditor")
    client.force_login(auditor)
    page = client.get(reverse("audit"), {"site": other_site.code}).content.decode()
    assert "No entries match" in page
