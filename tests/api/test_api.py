"""REST API: OpenAPI schema, token auth, protocol and audit reads."""

from __future__ import annotations

import pytest

from celltrial.accounts.services import issue_token
from celltrial.core.actor import Actor


@pytest.fixture
def auth(users):
    def header(role: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(Actor.system('test'), users[role], 't')}"}

    return header


def test_openapi_schema_is_published(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "celltrial API"
    assert "/api/protocol/current" in schema["paths"]
    assert "/api/audit/entries" in schema["paths"]


def test_current_protocol(client, protocol, auth):
    body = client.get("/api/protocol/current", **auth("coordinator")).json()
    assert body["number"] == 1
    assert body["content_hash"] == protocol.content_hash
    assert body["content"]["protocol"]["id"] == protocol.protocol_id


def test_audit_entries_filter(client, site, auth):
    body = client.get("/api/audit/entries", {"object_type": "study.site"}, **auth("auditor")).json()
    assert body and all(e["object_type"] == "study.site" for e in body)
    assert body[0]["entry_hash"]


def test_audit_verify_over_api(client, site, auth):
    body = client.get("/api/audit/verify", **auth("auditor")).json()
    assert body["ok"] is True and body["entries"] > 0


def test_revoked_or_bogus_token_refused(client, site, users):
    from celltrial.accounts.models import ApiToken
    from celltrial.accounts.services import revoke_token

    token = issue_token(Actor.system("test"), users["auditor"], "t")
    revoke_token(Actor.system("test"), ApiToken.objects.get(user=users["auditor"]), reason="left the trial")
    assert client.get("/api/protocol/current", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert client.get("/api/protocol/current", HTTP_AUTHORIZATION="Bearer ct_bogus").status_code == 401
