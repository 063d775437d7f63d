"""Database triggers that make the audit table append-only, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditentry"

SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: UPDATE refused'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: DELETE refused'); END;""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_entry_no_update;", "DROP TRIGGER IF EXISTS audit_entry_no_delete;"]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION celltrial_audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION USING MESSAGE = 'audit entries are append-only: ' || TG_OP || ' refused'; END;
       $$ LANGUAGE plpgsql;""",
    f"DROP TRIGGER IF EXISTS audit_entry_no_change ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_entry_no_truncate ON {TABLE};",
    f"""CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION celltrial_audit_append_only();""",
    f"""CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION celltrial_audit_append_only();""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS audit_entry_no_change ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_entry_no_truncate ON {TABLE};",
    "DROP FUNCTION IF EXISTS celltrial_audit_append_only();",
]


def statements(vendor: str, drop: bool = False) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_DROP if drop else SQLITE
    if vendor == "postgresql":
        return POSTGRES_DROP if drop else POSTGRES
    raise RuntimeError(f"append-only audit triggers are not implemented for {vendor}")


def install(schema_editor: Any) -> None:
    for sql in statements(schema_editor.connection.vendor, drop=False):
        schema_editor.execute(sql)


def remove(schema_editor: Any) -> None:
    for sql in statements(schema_editor.connection.vendor, drop=True):
        schema_editor.execute(sql)


def ensure_installed(sender: Any = None, using: str = "default", **kwargs: Any) -> None:
    """post_migrate hook: (re)install the triggers idempotently, e.g. after a test database flush."""
    from django.db import connections

    connection = connections[using]
    if TABLE not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor):
            cursor.execute(sql)
