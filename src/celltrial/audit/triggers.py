"""Database guards that make the audit trail append-only, on SQLite and PostgreSQL.

Entries (``audit_auditentry``):

- no UPDATE, DELETE or TRUNCATE;
- an INSERT must follow its stream head: ``seq`` is the head's ``seq + 1`` and ``prev_hash`` the head's
  hash, and no entry with that (stream, seq) or id exists. On SQLite this also turns every conflict
  path into a refusal (``INSERT OR REPLACE``, ``REPLACE INTO``, ``UPSERT … DO UPDATE``), which would
  otherwise delete the old row without firing a DELETE trigger; the connection also sets
  ``PRAGMA recursive_triggers=ON`` (settings) so that REPLACE fires the DELETE triggers.

Stream heads (``audit_streamhead``):

- a head is born at seq 0 with the genesis hash (an INSERT for a stream that has a head is ignored,
  so ``INSERT OR IGNORE`` / ``ON CONFLICT DO NOTHING`` keep working and ``INSERT OR REPLACE`` cannot
  reset one);
- an UPDATE moves it forward by exactly one, onto an entry that exists with that hash;
- no DELETE or TRUNCATE.

These guards stop the platform's own database role (and, on PostgreSQL, a runtime role that does not
own the tables cannot drop them). An owner of the database can still drop them: that is what sealing
(:mod:`celltrial.audit.seal`) and ``audit verify`` are for, and verify reports a guard that is missing,
disabled or altered (:func:`problems`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from celltrial.audit.chain import GENESIS

log = logging.getLogger(__name__)

TABLE = "audit_auditentry"
HEADS = "audit_streamhead"

_APPEND_ONLY = "audit entries are append-only"
_HEAD_ONLY_FORWARD = "audit stream heads only move forward"

# name -> CREATE statement (SQLite keeps the statement text, which verify compares).
SQLITE: dict[str, str] = {
    "audit_entry_no_update": f"""CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}: UPDATE refused'); END""",
    "audit_entry_no_delete": f"""CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}: DELETE refused'); END""",
    "audit_entry_follows_head": f"""CREATE TRIGGER audit_entry_follows_head BEFORE INSERT ON {TABLE}
        WHEN NOT EXISTS (SELECT 1 FROM {HEADS} h WHERE h.stream = NEW.stream AND h.seq + 1 = NEW.seq
                         AND h.entry_hash = NEW.prev_hash)
          OR EXISTS (SELECT 1 FROM {TABLE} e WHERE e.stream = NEW.stream AND e.seq = NEW.seq)
          OR EXISTS (SELECT 1 FROM {TABLE} e WHERE e.id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}: an entry must follow the head of its stream'); END""",
    "audit_head_born_at_genesis": f"""CREATE TRIGGER audit_head_born_at_genesis BEFORE INSERT ON {HEADS}
        BEGIN SELECT CASE
          WHEN NEW.seq != 0 OR NEW.entry_hash != '{GENESIS}'
            THEN RAISE(ABORT, '{_HEAD_ONLY_FORWARD}: a new head starts at seq 0')
          WHEN EXISTS (SELECT 1 FROM {HEADS} h WHERE h.stream = NEW.stream) THEN RAISE(IGNORE)
        END; END""",
    "audit_head_forward_only": f"""CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON {HEADS}
        WHEN NEW.stream != OLD.stream OR NEW.seq != OLD.seq + 1
          OR NOT EXISTS (SELECT 1 FROM {TABLE} e WHERE e.stream = NEW.stream AND e.seq = NEW.seq
                         AND e.entry_hash = NEW.entry_hash)
        BEGIN SELECT RAISE(ABORT, '{_HEAD_ONLY_FORWARD}: UPDATE refused'); END""",
    "audit_head_no_delete": f"""CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON {HEADS}
        BEGIN SELECT RAISE(ABORT, '{_HEAD_ONLY_FORWARD}: DELETE refused'); END""",
}

# PostgreSQL: function name -> body (verify compares pg_proc.prosrc), then the triggers.
PG_FUNCTIONS: dict[str, str] = {
    "celltrial_audit_append_only": f"""
BEGIN
  RAISE EXCEPTION USING MESSAGE = '{_APPEND_ONLY}: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused';
END;
""",
    "celltrial_audit_entry_follows_head": f"""
BEGIN
  IF NOT EXISTS (SELECT 1 FROM {HEADS} h WHERE h.stream = NEW.stream AND h.seq + 1 = NEW.seq
                 AND h.entry_hash = NEW.prev_hash) THEN
    RAISE EXCEPTION USING MESSAGE = '{_APPEND_ONLY}: an entry must follow the head of its stream';
  END IF;
  RETURN NEW;
END;
""",
    "celltrial_audit_head_born_at_genesis": f"""
BEGIN
  IF NEW.seq <> 0 OR NEW.entry_hash <> '{GENESIS}' THEN
    RAISE EXCEPTION USING MESSAGE = '{_HEAD_ONLY_FORWARD}: a new head starts at seq 0';
  END IF;
  RETURN NEW;
END;
""",
    "celltrial_audit_head_forward_only": f"""
BEGIN
  IF NEW.stream <> OLD.stream OR NEW.seq <> OLD.seq + 1 OR NOT EXISTS (
      SELECT 1 FROM {TABLE} e WHERE e.stream = NEW.stream AND e.seq = NEW.seq
      AND e.entry_hash = NEW.entry_hash) THEN
    RAISE EXCEPTION USING MESSAGE = '{_HEAD_ONLY_FORWARD}: UPDATE refused';
  END IF;
  RETURN NEW;
END;
""",
}

# trigger name -> (table, timing and events, FOR EACH, function)
PG_TRIGGERS: dict[str, tuple[str, str, str, str]] = {
    "audit_entry_no_change": (TABLE, "BEFORE UPDATE OR DELETE", "ROW", "celltrial_audit_append_only"),
    "audit_entry_no_truncate": (TABLE, "BEFORE TRUNCATE", "STATEMENT", "celltrial_audit_append_only"),
    "audit_entry_follows_head": (TABLE, "BEFORE INSERT", "ROW", "celltrial_audit_entry_follows_head"),
    "audit_head_born_at_genesis": (HEADS, "BEFORE INSERT", "ROW", "celltrial_audit_head_born_at_genesis"),
    "audit_head_forward_only": (HEADS, "BEFORE UPDATE", "ROW", "celltrial_audit_head_forward_only"),
    "audit_head_no_delete": (HEADS, "BEFORE DELETE", "ROW", "celltrial_audit_append_only"),
    "audit_head_no_truncate": (HEADS, "BEFORE TRUNCATE", "STATEMENT", "celltrial_audit_append_only"),
}

# Triggers of earlier releases, dropped on install so that a migrated database has exactly the set above.
_SQLITE_OLD: tuple[str, ...] = ()
_PG_OLD: tuple[str, ...] = ()


def _sqlite_install() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name};" for name in (*SQLITE, *_SQLITE_OLD)] + [
        f"{sql};" for sql in SQLITE.values()]


def _sqlite_drop() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name};" for name in (*SQLITE, *_SQLITE_OLD)]


def _pg_install() -> list[str]:
    functions = [f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$" + body + "$$ LANGUAGE plpgsql;"
                 for name, body in PG_FUNCTIONS.items()]
    drops = [f"DROP TRIGGER IF EXISTS {name} ON {table};"
             for name, (table, *_rest) in PG_TRIGGERS.items()]
    creates = [f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {each} EXECUTE FUNCTION {fn}();"
               for name, (table, when, each, fn) in PG_TRIGGERS.items()]
    return functions + drops + creates


def _pg_drop() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name} ON {table};" for name, (table, *_rest) in PG_TRIGGERS.items()] + [
        f"DROP FUNCTION IF EXISTS {name}();" for name in PG_FUNCTIONS]


def statements(vendor: str, drop: bool = False) -> list[str]:
    """The SQL that installs (idempotently: drop, then create) or drops every guard."""
    if vendor == "sqlite":
        return _sqlite_drop() if drop else _sqlite_install()
    if vendor == "postgresql":
        return _pg_drop() if drop else _pg_install()
    raise RuntimeError(f"append-only audit triggers are not implemented for {vendor}")


def install(schema_editor: Any) -> None:
    for sql in statements(schema_editor.connection.vendor, drop=False):
        schema_editor.execute(sql)


def remove(schema_editor: Any) -> None:
    for sql in statements(schema_editor.connection.vendor, drop=True):
        schema_editor.execute(sql)


def _normal(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().rstrip(";").strip()


def missing(connection: Any) -> list[str]:
    """The guards that are absent, disabled or altered on ``connection`` (empty: all in place)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            found = {name: sql or "" for name, sql in cursor.fetchall()}
            return [name for name, sql in SQLITE.items()
                    if name not in found or _normal(found[name]) != _normal(sql)]
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname, t.tgenabled, p.proname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE NOT t.tgisinternal AND c.relname IN (%s, %s) "
                "AND c.relnamespace = to_regnamespace(current_schema())::oid", [TABLE, HEADS])
            # 'O' fires in the normal (origin) mode, 'A' always; 'D' is disabled, 'R' fires only on replicas.
            triggers = {name: (table, enabled, fn) for name, table, enabled, fn in cursor.fetchall()}
            cursor.execute("SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s) "
                           "AND pronamespace = to_regnamespace(current_schema())::oid", [list(PG_FUNCTIONS)])
            bodies = dict(cursor.fetchall())
            problems = [f"{name}()" for name, body in PG_FUNCTIONS.items()
                        if _normal(bodies.get(name, "")) != _normal(body)]
            for name, (table, _when, _each, fn) in PG_TRIGGERS.items():
                table_found, enabled, fn_found = triggers.get(name, (None, None, None))
                if table_found != table or fn_found != fn or enabled not in ("O", "A"):
                    problems.append(name)
            return problems
    return []


def ensure_installed(sender: Any = None, using: str = "default", **kwargs: Any) -> None:
    """post_migrate hook: install the guards where any is missing (e.g. after a test database flush).

    A role that may not create them (the runtime role on PostgreSQL) logs a warning instead of failing
    the command; ``audit verify`` reports the missing guard as a failure.
    """
    from django.db import DatabaseError, connections, transaction

    connection = connections[using]
    tables = connection.introspection.table_names()
    if TABLE not in tables or HEADS not in tables or not missing(connection):
        return
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            for sql in statements(connection.vendor):
                cursor.execute(sql)
    except DatabaseError as exc:
        log.warning("the audit-trail guards are missing and this database role cannot install them: %s", exc)
