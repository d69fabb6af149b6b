"""PostgreSQL roles that keep the audit trail append-only even against the server itself.

The owner role owns the schema and runs the migrations; the app role, which `kiosk-server serve`
connects as, may read and write rows but owns nothing: it cannot ALTER TABLE ... DISABLE
TRIGGER, DROP TRIGGER or TRUNCATE, and on the audit trail it may only INSERT and SELECT. Neither
role is a superuser (a superuser can do anything, so the server must never run as one).
"""

from __future__ import annotations

import re

from sync.server.errors import AdminError

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_APPEND_ONLY = ("audit",)
_ROW_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


def role_statements(owner: str, app: str, schema: str = "public") -> list[str]:
    """The SQL, to run once as a superuser on a migrated database (running it again is harmless)."""
    for name in (owner, app, schema):
        if not _NAME.fullmatch(name):
            raise AdminError("bad_role_name", "role or schema name", name=name)
    if owner == app:
        raise AdminError("same_roles", "owner is app", name=owner)
    statements = [_create_role(owner), _create_role(app)]
    statements += [
        f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {owner}",
        # Everything in the schema passes to the owner (sequences follow their tables).
        "DO $$ DECLARE item record; BEGIN "
        f"FOR item IN SELECT tablename FROM pg_tables WHERE schemaname = '{schema}' LOOP "
        f"EXECUTE format('ALTER TABLE {schema}.%I OWNER TO {owner}', item.tablename); "
        "END LOOP; "
        f"IF to_regprocedure('{schema}.audit_append_only()') IS NOT NULL THEN "
        f"ALTER FUNCTION {schema}.audit_append_only() OWNER TO {owner}; END IF; END $$",
        f"REVOKE ALL ON SCHEMA {schema} FROM {app}",
        f"GRANT USAGE ON SCHEMA {schema} TO {app}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {app}",
        f"GRANT {_ROW_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
        # Tables later migrations create: rows to the app, still owned by the owner.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        f"GRANT {_ROW_PRIVILEGES} ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
    for table in _APPEND_ONLY:
        statements.append(f"REVOKE UPDATE, DELETE ON {schema}.{table} FROM {app}")
    return statements


def _create_role(name: str) -> str:
    # No password here: set it with \password in psql, so it never sits in a shell history.
    return (
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN "
        f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS; "
        "END IF; END $$"
    )
