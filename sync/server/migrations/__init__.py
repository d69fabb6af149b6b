"""Schema migrations (Alembic), run from code: `kiosk-server migrate`, and on every `serve`.

No alembic.ini is needed: the script folder is this package. One schema serves SQLite and
PostgreSQL; concurrent starts of several server processes take a lock, so one migrates and the
others find the work done.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sync.server.storage import Database

SCRIPT_LOCATION = Path(__file__).resolve().parent
MIGRATION_LOCK = 0x4C4B504D  # "LKPM": an arbitrary advisory lock id for PostgreSQL


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    with database.read() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(database: Database) -> str | None:
    """Bring the schema to the newest revision; returns it. Safe to run any number of times."""
    config = _config()
    with database.write() as connection:
        database.lock(connection, MIGRATION_LOCK)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return head_revision()
