"""The PostgreSQL runtime role: what the platform serves as, and what it may do to the audit trail.

Migrations run as the owner of the tables (``CELLTRIAL_OWNER_DATABASE_URL``, given to ``celltrial init``
alone). The platform connects as a separate login role (``DATABASE_URL``) that:

- reads and writes the trial tables (SELECT, INSERT, UPDATE, DELETE; the auditing services and the
  reconciliation in ``audit verify`` keep those writes honest);
- may only SELECT and INSERT audit entries: no UPDATE, DELETE or TRUNCATE;
- may SELECT, INSERT and UPDATE stream heads (a writer moves its stream's head), where a trigger lets a
  head move forward by exactly one onto an existing entry; no DELETE or TRUNCATE;
- owns nothing, so it cannot ALTER TABLE, DISABLE TRIGGER or replace a trigger function;
- is no superuser, has no REPLICATION and no BYPASSRLS, so ``SET session_replication_role`` is refused.

:func:`configure_runtime_role` is idempotent; it runs on every ``celltrial init`` and re-grants, so
tables added by later migrations are covered (and ALTER DEFAULT PRIVILEGES covers tables the owner
creates in between).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from celltrial.audit.triggers import HEADS, TABLE
from celltrial.core.errors import InputError

# Tables the runtime role may read but not write (beyond the audit trail itself).
READ_ONLY = ("django_migrations",)


class RoleSetupError(InputError):
    """The runtime role cannot be set up as required; the message says why."""


def configure_runtime_role(owner: Any, runtime_user: str, password: str | None = None) -> list[str]:
    """Create (if needed) and restrict ``runtime_user``, connected as the tables' owner; return what was done."""
    if owner.vendor != "postgresql":
        return []
    q = owner.ops.quote_name
    role = q(runtime_user)
    done: list[str] = []
    with owner.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database(), current_schema()")
        owner_user, database, schema = cursor.fetchone()
        if runtime_user == owner_user:
            raise RoleSetupError(_("DATABASE_URL and CELLTRIAL_OWNER_DATABASE_URL name the same role (%(role)s); "
                                   "the platform must serve as a role that does not own the tables.") % {
                "role": runtime_user})
        cursor.execute("SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = %s",
                       [runtime_user])
        found = cursor.fetchone()
        if found is None:
            sql = f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            cursor.execute(sql + (" PASSWORD %s" if password else ""), [password] if password else None)
            done.append(_("created the runtime role %(role)s") % {"role": runtime_user})
        elif any(found):
            try:
                cursor.execute(f"ALTER ROLE {role} NOSUPERUSER NOREPLICATION NOBYPASSRLS")
            except Exception as exc:
                raise RoleSetupError(_("The runtime role %(role)s is a superuser or has REPLICATION or BYPASSRLS, "
                                       "and %(owner)s may not take that away: %(error)s") % {
                    "role": runtime_user, "owner": owner_user, "error": exc}) from exc
            done.append(_("took superuser, replication and bypassrls away from %(role)s") % {"role": runtime_user})
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = to_regnamespace(current_schema())::oid "
            "AND pg_has_role(%s, c.relowner, 'USAGE') LIMIT 5", [runtime_user])
        owned = [name for (name,) in cursor.fetchall()]
        if owned:
            raise RoleSetupError(_("The runtime role %(role)s owns (or is a member of the owner of) %(tables)s; "
                                   "it must own nothing. Reassign them to the owner role "
                                   "(REASSIGN OWNED BY … TO …) or revoke the membership.") % {
                "role": runtime_user, "tables": ", ".join(owned)})
        s = q(schema)
        for sql in (
            f"GRANT CONNECT ON DATABASE {q(database)} TO {role}",
            f"GRANT USAGE ON SCHEMA {s} TO {role}",
            f"REVOKE CREATE ON SCHEMA {s} FROM {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {role}",
            f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {s} FROM {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {role}",
            f"REVOKE UPDATE, DELETE ON {q(TABLE)} FROM {role}",
            f"REVOKE DELETE ON {q(HEADS)} FROM {role}",
            *(f"REVOKE INSERT, UPDATE, DELETE ON {q(t)} FROM {role}" for t in READ_ONLY),
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(owner_user)} IN SCHEMA {s} "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(owner_user)} IN SCHEMA {s} "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        ):
            cursor.execute(sql)
    done.append(_("granted %(role)s what the platform needs; audit entries: SELECT and INSERT only") % {
        "role": runtime_user})
    return done


def drop_runtime_role(owner: Any, runtime_user: str) -> None:
    """Remove a runtime role's grants in this database and the role (tests, decommissioning)."""
    with owner.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [runtime_user])
        if cursor.fetchone() is None:
            return
        cursor.execute(f"DROP OWNED BY {owner.ops.quote_name(runtime_user)}")
        cursor.execute(f"DROP ROLE {owner.ops.quote_name(runtime_user)}")
