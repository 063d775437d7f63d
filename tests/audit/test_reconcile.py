"""Reconciliation: every record of every audited model against the replay of its audit entries.

The everyday writes (users, roles, tokens, logins, lockouts, signatures, protocol amendments) must
reconcile without a single false alarm; a write that bypassed the entries must be reported, naming
the model and the primary key.
"""

from __future__ import annotations

import decimal
import shutil

import pytest
from django.db import models

from celltrial.accounts import services as accounts
from celltrial.accounts.models import ApiToken, User
from celltrial.accounts.signatures import sign
from celltrial.audit.reconcile import _Model
from celltrial.audit.verify import verify
from celltrial.core.actor import Actor
from celltrial.study.protocol import default_protocol_path
from celltrial.study.services import edit_site, load_protocol_file
from tests.audit.tamper import forge_entry, sql
from tests.conftest import PASSWORD

SYSTEM = Actor.system("test")


@pytest.fixture
def busy_trail(users, site):
    """A bit of everything the platform writes today."""
    admin = SYSTEM
    token = accounts.issue_token(admin, users["auditor"], "inspection laptop")
    assert accounts.user_for_token(token) == users["auditor"]  # bookkeeping write of last_used_at
    accounts.register_failed_password(users["coordinator"])
    accounts.register_successful_login(users["coordinator"])
    accounts.register_logout(users["coordinator"])
    accounts.register_unknown_login("nobody")
    accounts.set_password(admin, users["rater"], "another-horse-battery-7", validate=False)
    accounts.end_membership(admin, users["monitor"], site, "monitor", reason="left the trial")
    for _ in range(5):  # locks the account: lockout entry and token revocation
        accounts.register_failed_password(users["auditor"])
    sign(Actor(user=users["qa"], role="qa", site_code=site.code), site, password=PASSWORD, meaning="approved")
    edit_site(admin, site, {"principal_investigator": "Prof. New"}, expected_version=site.version,
              reason="new PI, which voids the signature")
    return users


def test_everyday_writes_reconcile(busy_trail):
    result = verify()
    assert result.ok, [str(p) for p in result.problems]
    assert result.records >= User.objects.count() + ApiToken.objects.count()


def test_protocol_versions_share_a_stream_and_each_reconciles(protocol, tmp_path):
    """Every version of one protocol is in the stream study.protocol:<id>; records are replayed by model
    and primary key, so each version is reconciled on its own."""
    dst = tmp_path / "protocol"
    shutil.copytree(default_protocol_path().parent, dst)
    text = (dst / "protocol.yaml").read_text()
    assert "    en: hBMMSC in paediatric ASD, Phase I (illustrative)\n" in text
    (dst / "protocol.yaml").write_text(text.replace("(illustrative)\n", "(illustrative, amended)\n", 1))
    second = load_protocol_file(SYSTEM, dst / "protocol.yaml", reason="Amendment 1").version
    assert second.number == 2 and second.audit_stream() == protocol.audit_stream()
    assert verify().ok

    sql("UPDATE study_protocolversion SET source_name = 'edited.yaml' WHERE id = %s", [protocol.pk])
    problems = verify().of_kind("record")
    assert [(p.object_type, p.object_id) for p in problems] == [("study.protocolversion", str(protocol.pk))]
    assert "source_name" in problems[0].message


def test_a_personal_field_reconciles_as_set_or_empty(users):
    """The trail never holds the e-mail address, so only its presence can be compared."""
    assert verify().ok
    assert users["coordinator"].email == ""
    sql("UPDATE accounts_user SET email = 'someone@example.org' WHERE id = %s", [users["coordinator"].pk])
    problems = verify().of_kind("record")
    assert [(p.object_type, p.object_id) for p in problems] == [("accounts.user", str(users["coordinator"].pk))]
    assert "email (personal or secret) is set in the record but empty in the trail" in problems[0].message
    assert "someone" not in problems[0].message


def test_a_secret_field_is_never_shown(users):
    sql("UPDATE accounts_user SET password = '' WHERE id = %s", [users["coordinator"].pk])
    (problem,) = verify().of_kind("record")
    assert "password (personal or secret) is empty" in problem.message
    assert users["coordinator"].password not in problem.message


def test_a_forged_entry_with_a_wrong_old_value_is_named(site):
    forge_entry(site.audit_stream(), changes={"principal_investigator": ["Somebody else", site.principal_investigator]})
    (problem,) = verify().of_kind("record")
    assert problem.entry_id is not None and problem.object_id == str(site.pk)
    assert "forged or altered" in problem.message


def test_a_forged_create_of_an_existing_record(site):
    forge_entry(site.audit_stream(), action="create", changes={"principal_investigator": [None, "X"]})
    messages = [p.message for p in verify().of_kind("record")]
    assert any("creates a record that already exists" in m for m in messages)


def test_every_problem_is_collected_with_its_kind(site, other_site):
    sql("UPDATE study_site SET principal_investigator = 'A' WHERE id = %s", [site.pk])
    sql("UPDATE study_site SET principal_investigator = 'B' WHERE id = %s", [other_site.pk])
    result = verify()
    assert sorted(p.object_id for p in result.of_kind("record")) == sorted([str(site.pk), str(other_site.pk)])
    assert result.counts()["record"] == 2 and result.counts()["chain"] == 0
    limited = verify(max_problems=1)
    assert len(limited.problems) == 1 and limited.omitted == 1


def test_values_compare_however_they_were_written():
    spec = _Model("x.y", None, {"dose": models.DecimalField(max_digits=8, decimal_places=3),  # type: ignore[arg-type]
                                "at": models.DateTimeField()}, frozenset())
    assert spec.norm("dose", "1.5") == spec.norm("dose", decimal.Decimal("1.500"))
    assert spec.norm("dose", "1.5") != spec.norm("dose", "1.6")
    assert spec.norm("at", "2026-01-02T03:04:05+08:00") == spec.norm("at", "2026-01-01T19:04:05+00:00")


def test_a_field_the_trail_never_mentioned_must_hold_its_default(site):
    """A field added by a later migration has no entry; its default is what the trail implies."""
    from celltrial.audit.models import AuditEntry

    create = AuditEntry.objects.get(stream=site.audit_stream(), seq=1)
    from tests.audit.tamper import drop_guards, rehash_stream

    drop_guards()
    changes = {k: v for k, v in create.changes.items() if k != "active"}
    AuditEntry.objects.filter(pk=create.pk).update(changes=changes)
    rehash_stream(site.audit_stream())
    assert not verify().of_kind("record")  # active is True, its default
    sql("UPDATE study_site SET active = %s WHERE id = %s", [False, site.pk])
    (problem,) = verify().of_kind("record")
    assert "active is false in the record but true in the trail" in problem.message


def test_bulk_paths_outside_a_service_are_refused_before_reconciliation_is_needed(site):
    """The base manager is the audited manager too: the bypasses above need the service scope."""
    from celltrial.core.writes import UnauditedWriteError
    from celltrial.study.models import Site

    with pytest.raises(UnauditedWriteError):
        Site._base_manager.filter(pk=site.pk).update(principal_investigator="Dr Bulk")
    site.principal_investigator = "Dr Direct"
    with pytest.raises(UnauditedWriteError):
        site.save_base()
    assert verify().ok
