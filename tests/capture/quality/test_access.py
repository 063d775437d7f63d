"""This app's access expectations (tests/web/access/quality.py) walked on their own, for every role: the
shared matrix runs them with every room's; this keeps them checked while other rooms' records are built."""

from __future__ import annotations

import pytest
from django.urls import reverse

from celltrial.accounts.roles import Role
from tests.web.access import quality as expectations

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(site, protocol):
    from tests.participants.records import build_access_records

    built = build_access_records(site)
    return built | expectations.records(site, built)


def _url(name, records):
    kwargs = expectations.url_kwargs(name, records)
    return reverse(name, kwargs=kwargs) if kwargs is not None else reverse(name)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_pages_and_api_by_role(role, users, client, records, settings, tmp_path):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    client.force_login(users[role])
    for name, (method, allowed) in expectations.WEB.items():
        response = getattr(client, method)(_url(name, records), {})
        if role in allowed:
            assert response.status_code in (200, 302), f"{role} should reach {name}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{role} must be refused {name}: {response.status_code}"
    token = issue_token(Actor.system("test"), users[role], "t")
    for path, allowed in expectations.API.items():
        response = client.get(path.format(**records), HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == (200 if role in allowed else 403), f"{role} {path}: {response.status_code}"
    for path, allowed in expectations.API_POST.items():
        response = client.post(path.format(**records), {}, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}")
        if role in allowed:
            assert response.status_code in (200, 404, 409, 422), f"{role} POST {path}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{role} must be refused POST {path}: {response.status_code}"


def test_every_route_has_an_expectation():
    from celltrial.capture.quality import urls
    from celltrial.capture.quality.api import router

    assert {p.name for p in urls.urlpatterns} == set(expectations.WEB)
    routes = {("/api/quality" + path, method) for path, view in router.path_operations.items()
              for op in view.operations for method in op.methods}
    assert {p for p, m in routes if m == "GET"} == set(expectations.API)
    assert {p for p, m in routes if m == "POST"} == set(expectations.API_POST)
