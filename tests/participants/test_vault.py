"""The identity vault: encrypted at rest with the key outside the database; a planted name, ID-card
number and phone never appear in an audit value, a signature snapshot, a log line, an error page, an
API answer without the PII grant, nor in clear in the SQLite file or a pg_dump; rotation keeps every
record readable (issue #8 §2; DESIGN.md "Personal data")."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from celltrial.accounts.models import Signature
from celltrial.accounts.services import issue_token
from celltrial.audit.models import AuditEntry
from celltrial.core.actor import Actor
from celltrial.participants import services, vault
from celltrial.participants.models import ConsentRecord, Identity
from celltrial.participants.permissions import CONSENT_RECORD, ELIGIBILITY_SIGN, ENROL, IDENTITY_EDIT
from tests.conftest import PASSWORD
from tests.participants import helpers as h

NAME = h.PLANTED_NAME
PHONE = h.PLANTED_PHONE
NEW_PHONE = "13887654321"
DOB = dt.date(2016, 9, 3)
ID_NUMBER = h.identity(DOB)["id_number"]
WITNESS = "司马见证人"
PLANTED = (NAME, ID_NUMBER, PHONE, NEW_PHONE, WITNESS, "欧阳测试母")


def _absent(text: str, where: str) -> None:
    for secret in PLANTED:
        assert secret not in text, f"{secret!r} found in {where}"


def _raw_column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_key_file_is_created_0600_and_outside_the_database(settings, tmp_path):
    path = tmp_path / "keys" / "vault.keys"
    vault.ensure_vault_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    payload = json.loads(path.read_text())
    Fernet(payload["keys"][0]["key"].encode())  # a real Fernet key
    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "missing.keys")
    with pytest.raises(vault.VaultKeyError, match="celltrial init"):  # from the environment: never made on the fly
        vault.keyring()


@pytest.mark.django_db
def test_vault_columns_hold_fernet_tokens_not_the_values(team, site):
    child = h.screen(team["coordinator"], site, dob=DOB)
    token = _raw_column("participants_identity", "full_name", child.identity_id)
    assert token.startswith("gAAAAA") and NAME not in token
    assert vault.decrypt_text(token) == NAME
    assert repr(Identity.objects.get(pk=child.identity_id).full_name) == "'‹personal data›'"
    with pytest.raises(Exception, match="encrypted"):
        Identity.objects.filter(full_name=NAME).exists()


def _scan_with_the_name() -> bytes:
    return b"%PDF-1.4\n% signed by " + NAME.encode() + b" " + PHONE.encode() + b"\n%%EOF\n"


@pytest.mark.django_db(transaction=True)
def test_planted_personal_data_never_leaks(audit_purge_on_teardown, team, site, docs, client, caplog, tmp_path,
                                           make_user):
    caplog.set_level(logging.DEBUG)
    outsider = make_user("nopii", "coordinator")  # same site and role, no PII grant
    executed: list[str] = []

    def record(execute, sql, params, many, context):
        executed.append(f"{sql} {params!r}")
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection), connection.execute_wrapper(record):
        child = h.screen(team["coordinator"], site, dob=DOB)
        a = h.actor(team["investigator"], CONSENT_RECORD, site)
        services.record_consent(a, child, services.ConsentInput(
            kind="guardian", document_id=docs["guardian"].pk, obtained_at=timezone.now(), guardian_slot=1),
            password=PASSWORD)
        services.record_consent(a, child, services.ConsentInput(
            kind="assent", document_id=docs["assent"].pk, obtained_at=timezone.now(), method="pictorial",
            witness_name=WITNESS), scan=_scan_with_the_name())
        h.enter(team["coordinator"], child, h.eligible_values())
        services.sign_eligibility(h.actor(team["investigator"], ELIGIBILITY_SIGN, site), child, password=PASSWORD)
        identity = Identity.objects.get(pk=child.identity_id)
        services.edit_identity(h.actor(team["coordinator"], IDENTITY_EDIT, site), child,
                               {"guardian1_phone": NEW_PHONE}, expected_version=identity.version,
                               reason="guardian changed number")
        services.enrol(h.actor(team["coordinator"], ENROL, site), child,
                       day0=timezone.localdate() + dt.timedelta(days=7))
        services.rotate_vault_key(Actor.system("test"))

        # Pages and API answers for someone without the PII grant.
        client.force_login(outsider)
        pages = [client.get(reverse(name, args=args)).content.decode() for name, args in [
            ("participant_list", []), ("participant_detail", [child.pk]), ("participant_screening", [child.pk]),
            ("funnel", []), ("visits_due", [])]]
        assert client.get(reverse("participant_identity", args=[child.pk])).status_code == 403
        assert client.get(reverse("consent_scan", args=[ConsentRecord.objects.get(kind="assent").pk])).status_code == 403
        token = issue_token(Actor.system("test"), outsider, "t")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        answers = [client.get(f"/api/participants/{path}", **auth) for path in (
            "", f"{child.pk}", f"{child.pk}/eligibility", f"{child.pk}/consents", f"{child.pk}/forms",
            f"{child.pk}/visits", "visits/due", "funnel")]
        assert all(r.status_code == 200 for r in answers), [r.status_code for r in answers]
        assert client.get(f"/api/participants/{child.pk}/identity", **auth).status_code == 403

        # An error page, raised while the vault record is loaded for a PII holder.
        client.force_login(team["coordinator"])
        client.raise_request_exception = False
        from unittest import mock

        with mock.patch("celltrial.participants.views._consent_view", side_effect=RuntimeError("page failed")):
            failed = client.get(reverse("participant_detail", args=[child.pk]))
        assert failed.status_code == 500
        bad = client.post(reverse("participant_identity", args=[child.pk]), {"version": "x"})
        assert bad.status_code == 400

    # The positive control: the PII holder does see them, so the checks below can fail.
    shown = client.get(reverse("participant_detail", args=[child.pk])).content.decode()
    assert NAME in shown and NEW_PHONE in shown

    for n, page in enumerate(pages):
        _absent(page, f"page {n} without the PII grant")
    for response in answers:
        _absent(response.content.decode(), f"API answer {response.request['PATH_INFO']}")
    _absent(failed.content.decode(), "the 500 page")
    # The SQL really carries the vault's writes (as tokens) and the log the failed page, so the checks can fail.
    sql = "\n".join(executed)
    assert "participants_identity" in sql and "gAAAAA" in sql and "page failed" in caplog.text
    _absent(caplog.text, "the log")
    _absent(sql, "the SQL sent to the database")
    entries = list(AuditEntry.objects.all())
    assert len(entries) > 20
    for entry in entries:
        _absent(json.dumps([entry.changes, entry.object_repr, entry.reason], ensure_ascii=False), f"audit entry {entry.pk}")
    changed = AuditEntry.objects.filter(object_type="participants.identity", action="update",
                                        changes__has_key="guardian1_phone").get()
    assert changed.changes["guardian1_phone"] == ["‹personal data›", "‹personal data›"]
    for signature in Signature.objects.all():
        _absent(json.dumps([signature.content_snapshot, signature.object_repr], ensure_ascii=False), "a signature")
    for folder in ("scans", "documents"):
        for path in (tmp_path / "participants" / folder).iterdir():
            _absent(path.read_bytes().decode("latin-1"), f"file {path}")  # bytes: any UTF-8 sequence would show
            for secret in PLANTED:
                assert secret.encode() not in path.read_bytes()

    if connection.vendor == "sqlite":
        copy = tmp_path / "copy.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(copy)])
        data = copy.read_bytes()
        assert b"participants_identity" in data  # the file really holds the vault table
    else:
        data = _pg_dump()
        assert b"participants_identity" in data
    for secret in PLANTED:
        assert secret.encode() not in data, f"{secret!r} in clear in the database file"


def _pg_dump() -> bytes:
    db = connection.settings_dict
    dump = shutil.which("pg_dump") or "/usr/bin/pg_dump"
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = [dump, "--no-owner", "-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432),
               "-U", db.get("USER") or "postgres", db["NAME"]]
    return subprocess.run(command, check=True, capture_output=True, env=env, timeout=120).stdout


@pytest.mark.django_db
def test_pg_dump_part_runs_on_postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump reads a PostgreSQL database; on SQLite the file itself is searched "
                    "(test_planted_personal_data_never_leaks copies it with VACUUM INTO)")
    assert b"PostgreSQL database dump" in _pg_dump()


@pytest.mark.django_db
def test_rotation_keeps_every_record_readable_throughout(team, site, docs, tmp_path,
                                                        django_capture_on_commit_callbacks):
    children = [h.screen(team["coordinator"], site, dob=DOB + dt.timedelta(days=i), name=f"{NAME}{i}")
                for i in range(3)]
    a = h.actor(team["investigator"], CONSENT_RECORD, site)
    record = services.record_consent(a, children[0], services.ConsentInput(
        kind="assent", document_id=docs["assent"].pk, obtained_at=timezone.now(), method="verbal",
        witness_name=WITNESS), scan=_scan_with_the_name())
    old = vault.keyring()
    before = {c.identity_id: _raw_column("participants_identity", "full_name", c.identity_id) for c in children}
    seen_midway = []

    def watch(items, total):
        for n, item in enumerate(items):
            if n == 1:  # halfway: a fresh reader (another worker) reads rotated and unrotated rows alike
                vault._cache.clear()
                seen_midway.extend(str(Identity.objects.get(pk=c.identity_id).full_name) for c in children)
            yield item

    old_scan = record.scan_file
    with django_capture_on_commit_callbacks(execute=True):
        result = services.rotate_vault_key(Actor.system("test"), progress=watch, batch_size=1)
    assert seen_midway == [f"{NAME}{i}" for i in range(3)]
    ring = vault.keyring()
    assert result.old_primary == old.primary_id != ring.primary_id and ring.ids[1] == old.primary_id
    assert (result.identities, result.consent_records, result.scans) == (3, 1, 1)
    assert result.remaining == {"identities": 0, "consent_records": 0}
    for i, child in enumerate(children):
        identity = Identity.objects.get(pk=child.identity_id)
        assert identity.full_name == f"{NAME}{i}" and identity.key_id == ring.primary_id
        token = _raw_column("participants_identity", "full_name", child.identity_id)
        assert token != before[child.identity_id]
        with pytest.raises(InvalidToken):  # really under the new key: the old one alone cannot read it
            Fernet(old.keys[0]).decrypt(token.encode())
    record.refresh_from_db()
    assert record.witness_name == WITNESS
    assert services.scan_content(a, record) == _scan_with_the_name()
    assert record.scan_file != old_scan and not (vault.storage_dir("scans") / old_scan).exists()
    # The trail: each row's re-encryption changed only its key id; one summary event; no personal value.
    rekeyed = AuditEntry.objects.filter(object_type="participants.identity", action="update")
    assert rekeyed.count() == 3 and all(set(e.changes) == {"key_id"} for e in rekeyed)
    summary = AuditEntry.objects.get(stream="participants.vault:keys")
    assert summary.changes["primary_key"] == [old.primary_id, ring.primary_id]
    # The old key is no longer used, so it can be retired, and everything still reads.
    assert vault.retire_keys(set(services.key_usage())) == [old.primary_id]
    vault._cache.clear()
    assert [str(Identity.objects.get(pk=c.identity_id).full_name) for c in children] == [f"{NAME}{i}" for i in range(3)]


@pytest.mark.django_db
def test_the_keys_command(team, site, capsys):
    from celltrial.cli import main

    h.screen(team["coordinator"], site)
    assert main(["keys", "status"]) == 0
    first = vault.keyring().primary_id
    assert f"{first}        1 rows" in capsys.readouterr().out
    assert main(["keys", "rotate"]) == 0
    out = capsys.readouterr().out
    assert f"vault key {first} -> " in out and "re-encrypted 1 identities" in out
    assert main(["keys", "retire"]) == 0
    assert first in capsys.readouterr().out
    assert vault.keyring().ids == [vault.keyring().primary_id]


def test_revealed_values_hide_in_a_repr():
    secret = vault.Revealed(NAME)
    assert secret == NAME and f"{secret}" == NAME and NAME not in repr(secret) and NAME not in repr([secret])


def test_data_dir_is_not_the_database(settings):
    # The key file sits beside the database (embedded install) or anywhere the environment says; never in it.
    path, from_env = vault.key_file_path()
    assert from_env and Path(path).name == "vault.keys"
