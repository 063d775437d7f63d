"""PostgreSQL: the platform serves as a runtime role that cannot touch the audit trail (docs/audit.md).

Migrations run as the owner; the runtime role may SELECT and INSERT audit entries and nothing more,
owns nothing (so it cannot ALTER TABLE or DISABLE TRIGGER) and is no superuser (so it cannot
SET session_replication_role = replica). Roles are cluster-wide: each test worker makes its own and
drops it afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

from celltrial.audit.models import AuditEntry
from celltrial.audit.roles import RoleSetupError, configure_runtime_role, drop_runtime_role
from celltrial.audit.seal import seal
from celltrial.audit.verify import verify
from celltrial.core.actor import Actor
from celltrial.study.models import Site
from celltrial.study.services import edit_site

pytestmark = [
    pytest.mark.skipif("os.environ.get('DATABASE_URL', '').split(':')[0] not in ('postgres', 'postgresql')",
                       reason="the runtime role is a PostgreSQL deployment; SQLite has no roles"),
]


def _role_name(what: str) -> str:
    return f"celltrial_{what}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


# The role's own connections see only committed rows: these tests commit, and purge the trail after.
SERVED = pytest.mark.django_db(transaction=True)


@pytest.fixture
def runtime_role(audit_purge_on_teardown, site):
    name = _role_name("runtime")
    with transaction.atomic():
        done = configure_runtime_role(connection, name)
    assert any("created" in line for line in done)
    yield name
    drop_runtime_role(connection, name)


def _connect_as(role: str):
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(host=s["HOST"] or "127.0.0.1", port=int(s["PORT"] or 5432), dbname=s["NAME"],
                           user=role, autocommit=True)


FORBIDDEN = [
    ("UPDATE audit_auditentry SET reason = 'rewritten'", "permission denied"),
    ("DELETE FROM audit_auditentry", "permission denied"),
    ("TRUNCATE audit_auditentry", "permission denied"),
    ("DELETE FROM audit_streamhead", "permission denied"),
    ("TRUNCATE audit_streamhead", "permission denied"),
    ("UPDATE audit_streamhead SET seq = 0", "only move forward"),
    ("ALTER TABLE audit_auditentry DISABLE TRIGGER USER", "must be owner"),
    ("ALTER TABLE audit_streamhead DISABLE TRIGGER ALL", "must be owner"),
    ("DROP TRIGGER audit_entry_no_change ON audit_auditentry", "must be owner"),
    ("CREATE OR REPLACE FUNCTION celltrial_audit_append_only() RETURNS trigger AS $$ BEGIN RETURN OLD; END; $$ "
     "LANGUAGE plpgsql", "permission denied|must be owner"),
    ("CREATE TRIGGER sneaky BEFORE DELETE ON audit_auditentry FOR EACH ROW EXECUTE FUNCTION suppress_redundant_"
     "updates_trigger()", "permission denied"),
    ("SET session_replication_role = replica", "permission denied"),
    ("ALTER ROLE CURRENT_USER SUPERUSER", "must be superuser"),
]


@SERVED
@pytest.mark.parametrize(("statement", "refusal"), FORBIDDEN, ids=[s.split(" ON ")[0][:50] for s, _r in FORBIDDEN])
def test_the_runtime_role_cannot_touch_the_trail(runtime_role, statement, refusal):
    import psycopg

    before = AuditEntry.objects.count()
    assert before > 0
    with _connect_as(runtime_role) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == runtime_role
        with pytest.raises(psycopg.Error, match=refusal):
            conn.execute(statement)
        assert conn.execute("SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles "
                            "WHERE rolname = current_user").fetchone() == (False, False, False)
    assert AuditEntry.objects.count() == before
    assert not any(verify().problems)


@SERVED
def test_the_runtime_role_writes_through_the_services(runtime_role, site):
    """Serve as the runtime role: an audited edit, verify and seal all work; the owner warning is gone."""
    before = AuditEntry.objects.count()
    original = connection.settings_dict["USER"]
    connection.close()
    connection.settings_dict["USER"] = runtime_role
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == runtime_role
        current = Site.objects.get(pk=site.pk)
        edit_site(Actor.system("test"), current, {"principal_investigator": "Prof. Runtime"},
                  expected_version=current.version, reason="edited by the runtime role")
        assert AuditEntry.objects.count() == before + 1
        assert seal().refused == []
        result = verify()
        assert result.ok, [str(p) for p in result.problems]
        assert not any("owns the audit tables" in w for w in result.warnings)
    finally:
        connection.close()
        connection.settings_dict["USER"] = original
    assert any("owns the audit tables" in w for w in verify().warnings)  # the owner is warned about


@SERVED
def test_setup_is_idempotent_and_refuses_a_role_that_owns_tables(runtime_role):
    with transaction.atomic():
        again = configure_runtime_role(connection, runtime_role)
    assert not any("created" in line for line in again)
    with pytest.raises(RoleSetupError, match="same role"), transaction.atomic():
        configure_runtime_role(connection, connection.settings_dict["USER"])
    owner_like = _role_name("ownerlike")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'CREATE ROLE "{owner_like}" LOGIN')
            cursor.execute(f'CREATE TABLE owned_by_it (id int); ALTER TABLE owned_by_it OWNER TO "{owner_like}"')
        with pytest.raises(RoleSetupError, match="must own nothing"), transaction.atomic():
            configure_runtime_role(connection, owner_like)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS owned_by_it")
        drop_runtime_role(connection, owner_like)


@pytest.fixture
def scratch_database():
    """A database of its own, for `celltrial init` run as a command (it migrates from nothing)."""
    import psycopg

    name = _role_name("initdb")
    s = connection.settings_dict
    admin = dict(host=s["HOST"] or "127.0.0.1", port=int(s["PORT"] or 5432), user=s["USER"], autocommit=True)
    with psycopg.connect(dbname="postgres", **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name, admin
    with psycopg.connect(dbname="postgres", **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{name}_rt"')


def test_celltrial_init_migrates_as_the_owner_and_sets_up_the_runtime_role(scratch_database, tmp_path):
    import psycopg

    database, admin = scratch_database
    runtime = f"{database}_rt"
    base = f"postgres://{{user}}@{admin['host']}:{admin['port']}/{database}"
    env = {**os.environ, "CELLTRIAL_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": base.format(user=runtime)}
    cli = [sys.executable, "-m", "celltrial.cli"]
    init = subprocess.run([*cli, "init"], env={**env, "CELLTRIAL_OWNER_DATABASE_URL": base.format(user=admin["user"])},
                          capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stderr
    assert f"created the runtime role {runtime}" in init.stdout
    assert Path(tmp_path / "data" / "audit-seal.key").stat().st_mode & 0o777 == 0o600
    again = subprocess.run([*cli, "init"], env={**env, "CELLTRIAL_OWNER_DATABASE_URL": base.format(user=admin["user"])},
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    # Serving as the runtime role: sealing and verifying work, without the owner warning.
    assert subprocess.run([*cli, "audit", "seal"], env=env, capture_output=True, timeout=120).returncode == 0
    checked = subprocess.run([*cli, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0 and checked.stdout.startswith("OK:"), checked.stdout + checked.stderr
    assert "owns the audit tables" not in checked.stderr
    with psycopg.connect(host=admin["host"], port=admin["port"], dbname=database, user=runtime,
                         autocommit=True) as conn, pytest.raises(psycopg.Error, match="permission denied"):
        conn.execute("DELETE FROM audit_auditentry")
