"""The audit trail: one entry per write in the same transaction, append-only, hash-chained.

Rules: DESIGN.md "Audit"; 21 CFR 11.10(e) (secure, computer-generated, time-stamped audit trails
that record operator entries and actions, without obscuring previously recorded information).
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from celltrial.audit import triggers
from celltrial.audit.models import AuditEntry, StreamHead
from celltrial.audit.verify import verify
from celltrial.core.actor import Actor
from celltrial.core.errors import ConflictError, ValidationFailed
from celltrial.core.writes import UnauditedWriteError
from celltrial.study.models import Site
from celltrial.study.services import edit_site


def _raw(sql: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cur:
        cur.execute(sql, params)


@pytest.fixture
def tamperable(db):
    """Drop the append-only triggers, as an attacker with database access could; restore after."""
    for sql in triggers.statements(connection.vendor, drop=True):
        _raw(sql)
    yield
    for sql in triggers.statements(connection.vendor):
        _raw(sql)


@pytest.fixture
def history(site, users):
    """A site edited three times: a stream of four entries (create and three updates)."""
    actor = Actor(user=users["admin"], role="admin", site_code=site.code)
    for n in range(3):
        site = edit_site(actor, site, {"principal_investigator": f"PI {n}"}, expected_version=site.version,
                         reason=f"correction {n}").instance
    return site


def test_every_write_is_one_entry_with_field_changes(site, users):
    actor = Actor(user=users["admin"], role="admin", site_code=site.code)
    before = AuditEntry.objects.count()
    edit_site(actor, site, {"principal_investigator": "Prof. New"}, expected_version=site.version,
                 reason="PI changed per delegation log")
    entries = AuditEntry.objects.filter(id__gt=0).order_by("-id")
    assert AuditEntry.objects.count() == before + 1
    e = entries.first()
    assert e.action == "update"
    assert e.username == "admin" and e.role == "admin" and e.site_code == site.code
    assert e.changes == {"principal_investigator": [site.principal_investigator, "Prof. New"]}
    assert e.reason == "PI changed per delegation log"
    assert e.protocol_version == 1
    assert e.occurred_at.utcoffset().total_seconds() == 0


def test_reason_is_required_after_first_entry(site, users):
    actor = Actor(user=users["admin"], role="admin")
    with pytest.raises(ValidationFailed) as err:
        edit_site(actor, site, {"principal_investigator": "X"}, expected_version=site.version, reason="  ")
    assert "reason" in err.value.errors


def test_stale_version_is_a_conflict_showing_both_versions(site, users):
    actor = Actor(user=users["admin"], role="admin")
    stale_version = site.version
    edit_site(actor, site, {"principal_investigator": "First"}, expected_version=stale_version, reason="a")
    with pytest.raises(ConflictError) as err:
        edit_site(actor, site, {"principal_investigator": "Second"}, expected_version=stale_version, reason="b")
    assert err.value.current_values == {"principal_investigator": "First"}
    assert err.value.attempted_values == {"principal_investigator": "Second"}
    assert Site.objects.get(pk=site.pk).principal_investigator == "First"


def test_failed_validation_writes_nothing(site, users):
    actor = Actor(user=users["admin"], role="admin")
    count = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as err:
        edit_site(actor, site, {"code": ""}, expected_version=site.version, reason="oops")
    assert "code" in err.value.errors
    assert AuditEntry.objects.count() == count
    assert Site.objects.get(pk=site.pk).code == site.code


def test_direct_writes_bypassing_services_are_refused(site):
    site.principal_investigator = "sneaky"
    with pytest.raises(UnauditedWriteError):
        site.save()
    with pytest.raises(UnauditedWriteError):
        Site.objects.filter(pk=site.pk).update(principal_investigator="sneaky")
    with pytest.raises(UnauditedWriteError):
        Site.objects.bulk_create([Site(code="X1", name_en="x")])
    with pytest.raises(UnauditedWriteError):
        Site.objects.filter(pk=site.pk).delete()


@pytest.mark.parametrize("statement", ["UPDATE audit_auditentry SET reason = 'edited'", "DELETE FROM audit_auditentry"])
def test_database_triggers_refuse_update_and_delete(site, statement):
    assert AuditEntry.objects.exists()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(statement)


def test_verify_passes_on_an_untouched_trail(history):
    result = verify()
    assert result.ok, result.first_break
    assert result.entries == AuditEntry.objects.count()


def test_verify_catches_an_altered_entry(history, tamperable):
    victim = AuditEntry.objects.filter(action="update").order_by("id")[1]
    _raw("UPDATE audit_auditentry SET reason = %s WHERE id = %s", ["nothing to see", victim.id])
    result = verify()
    assert not result.ok
    assert result.first_break.entry_id == victim.id
    assert "altered" in result.first_break.problem


def test_verify_catches_altered_changes_json(history, tamperable):
    victim = AuditEntry.objects.filter(action="update").order_by("id").first()
    _raw("UPDATE audit_auditentry SET changes = %s WHERE id = %s",
         ['{"principal_investigator": ["PI 0", "Someone else"]}', victim.id])
    assert verify().first_break.entry_id == victim.id


def test_verify_catches_a_deleted_entry(history, tamperable):
    stream = history.audit_stream()
    victim = AuditEntry.objects.filter(stream=stream).order_by("seq")[1]
    _raw("DELETE FROM audit_auditentry WHERE id = %s", [victim.id])
    result = verify()
    assert not result.ok
    assert result.first_break.stream == stream
    assert result.first_break.seq == victim.seq + 1


def test_verify_catches_a_deleted_last_entry(history, tamperable):
    stream = history.audit_stream()
    last = AuditEntry.objects.filter(stream=stream).order_by("-seq").first()
    _raw("DELETE FROM audit_auditentry WHERE id = %s", [last.id])
    result = verify()
    assert not result.ok and result.first_break.stream == stream
    assert "removed" in result.first_break.problem


def test_verify_catches_reordered_entries(history, tamperable):
    stream = history.audit_stream()
    a, b = AuditEntry.objects.filter(stream=stream).order_by("seq")[1:3]
    # Swap their positions in the stream (seq), as someone rewriting history would.
    _raw("UPDATE audit_auditentry SET seq = 1000000 WHERE id = %s", [a.id])
    _raw("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [a.seq, b.id])
    _raw("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [b.seq, a.id])
    result = verify()
    assert not result.ok
    assert result.first_break.entry_id == b.id


def test_verify_catches_a_removed_whole_stream(history, tamperable):
    stream = history.audit_stream()
    _raw("DELETE FROM audit_auditentry WHERE stream = %s", [stream])
    result = verify()
    assert not result.ok and result.first_break.stream == stream


def test_streams_are_independent_chains(site, other_site, users):
    actor = Actor.system("test")
    edit_site(actor, site, {"principal_investigator": "A"}, expected_version=site.version, reason="r")
    edit_site(actor, other_site, {"principal_investigator": "B"}, expected_version=other_site.version, reason="r")
    heads = dict(StreamHead.objects.values_list("stream", "seq"))
    assert heads[site.audit_stream()] == 2  # create + update
    assert heads[other_site.audit_stream()] == 2
    assert verify().ok


def test_audit_verify_command(history, capsys):
    from celltrial.cli import main

    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.startswith("OK:")
