"""Bad input to the API (DESIGN.md "Bad input"): every parameter is validated, and a refusal is a 422
that names the field; nothing is clamped silently and nothing answers 500."""

from __future__ import annotations

import pytest

from celltrial.accounts.services import issue_token
from celltrial.core.actor import Actor

ENTRIES = "/api/audit/entries"


@pytest.fixture
def auditor(users, client):
    token = issue_token(Actor.system("test"), users["auditor"], "t")

    def get(path: str, params: dict | None = None):
        return client.get(path, params or {}, HTTP_AUTHORIZATION=f"Bearer {token}")

    return get


def _refused_fields(response) -> set[str]:
    assert response.status_code == 422, (response.status_code, response.content[:300])
    return {str(error["loc"][-1]) for error in response.json()["detail"]}


@pytest.mark.parametrize(("field", "value"), [
    ("limit", "0"), ("limit", "-5"), ("limit", "1001"),
    ("offset", "-1"), ("offset", "1000000000000000000"), ("offset", "1000001"),
])
def test_out_of_range_paging_is_refused_naming_the_field(auditor, field, value):
    assert _refused_fields(auditor(ENTRIES, {field: value})) == {field}


def test_paging_at_its_bounds_is_accepted(auditor):
    assert len(auditor(ENTRIES, {"limit": "1"}).json()) == 1
    assert auditor(ENTRIES, {"limit": "1000", "offset": "1000000"}).json() == []
    everything = auditor(ENTRIES, {"limit": "1000"}).json()
    assert auditor(ENTRIES, {"limit": "2", "offset": "1"}).json() == everything[1:3]


@pytest.mark.parametrize("field", ["username", "object_type", "object_id", "site"])
@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "tab\there", "bell\x07", "del\x7f"])
def test_control_characters_in_text_filters_are_refused(auditor, field, bad):
    response = auditor(ENTRIES, {field: bad})
    assert _refused_fields(response) == {field}
    assert "control character" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(("field", "length"), [("username", 151), ("object_type", 101), ("object_id", 65),
                                                ("site", 33)])
def test_over_long_text_filters_are_refused(auditor, field, length):
    assert _refused_fields(auditor(ENTRIES, {field: "x" * length})) == {field}
    assert auditor(ENTRIES, {field: "x" * (length - 1)}).status_code == 200


def test_unknown_action_is_refused_and_a_known_one_filters(auditor):
    assert _refused_fields(auditor(ENTRIES, {"action": "explode"})) == {"action"}
    body = auditor(ENTRIES, {"action": "create"}).json()
    assert body and {e["action"] for e in body} == {"create"}


@pytest.mark.parametrize("field", ["since", "until"])
def test_a_time_without_offset_is_refused(auditor, field):
    response = auditor(ENTRIES, {field: "2025-01-01T00:00:00"})
    assert _refused_fields(response) == {field}
    assert "time zone offset" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "not a time",
                                   "1700000000", "2025-02-30T00:00:00Z", "1899-12-31T23:59:59Z"])
def test_impossible_times_are_refused(auditor, value):
    assert _refused_fields(auditor(ENTRIES, {"since": value})) == {"since"}


def test_times_with_an_offset_filter_in_utc(auditor):
    everything = auditor(ENTRIES, {"limit": "1000"}).json()
    newest = everything[0]["occurred_at"]
    assert auditor(ENTRIES, {"since": "2000-01-01T08:00:00+08:00", "limit": "1000"}).json() == everything
    assert auditor(ENTRIES, {"until": "2000-01-01T00:00:00Z"}).json() == []
    assert auditor(ENTRIES, {"since": newest}).json()[0]["occurred_at"] == newest


@pytest.mark.parametrize("number", ["99999999999999999999", "2147483648", "0", "-1", "%00", "1.5"])
def test_protocol_version_numbers_out_of_range(auditor, protocol, number):
    response = auditor(f"/api/protocol/versions/{number}")
    assert response.status_code in (404, 422), response.status_code
    if response.status_code == 422:
        assert _refused_fields(response) == {"number"}


def test_an_unknown_protocol_version_is_404(auditor, protocol):
    assert auditor("/api/protocol/versions/2147483647").status_code == 404
    assert auditor("/api/protocol/versions/1").json()["number"] == 1


def test_every_operation_documents_its_refusals(client, db):
    """The schema says what a caller can get back: 401, 403 and 422 everywhere, 404 where a record is looked up."""
    schema = client.get("/api/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"200", "401", "403", "422"} <= codes, (method, path, codes)
            if "{" in path or path.endswith("/current"):
                assert "404" in codes, (method, path)


def test_shared_date_type_states_and_keeps_its_range():
    """``core.fields.Day`` (for a room's date fields): the schema says the years, validation keeps them."""
    import re

    from pydantic import TypeAdapter, ValidationError

    from celltrial.core.fields import Day

    adapter = TypeAdapter(Day)
    pattern = adapter.json_schema()["pattern"]
    assert adapter.validate_python("2025-03-01").isoformat() == "2025-03-01"
    for bad in ("2200-01-01", "1899-12-31", "20250301", "1700000000", "2025-03-01T00:00:00"):
        assert not re.match(pattern, bad), bad
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)
    with pytest.raises(ValidationError):
        adapter.validate_python("2025-02-30")  # matches the pattern; no such day


def test_an_unknown_query_parameter_is_refused_naming_it(client, users):
    """A misspelt filter must not silently return every entry."""
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    token = issue_token(Actor.system("test"), users["auditor"], "t")
    response = client.get("/api/audit/entries", {"usernmae": "x"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "usernmae"]
    assert client.get("/api/audit/entries", {"username": "x"}, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
