"""A server database held at an old migration, for tests that migrate rows already there.

Lightweight tables as revision 0002 has them (storage.py describes the current columns), a fixture
giving an empty database on each backend, and a step up to a chosen revision.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from sync.server import migrations
from sync.server.storage import Database
from tests.support.server import BACKENDS, backend_database

on_each_backend = pytest.fixture(params=BACKENDS)

OLD_DEVICES = sa.table(
    "devices",
    *(sa.column(n) for n in ("id", "name", "device_code", "area", "created_at")),
)
OLD_RECORDS = sa.table(
    "records",
    *(
        sa.column(n)
        for n in (
            "client_id",
            "kind",
            "device_id",
            "register_number",
            "program",
            "fingerprint",
            "body",
            "attachments",
            "state",
            "server_verdict",
            "verdicts_agree",
            "received_at",
            "updated_at",
        )
    ),
)


def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database on each backend; the test upgrades it as far as it needs.

    A test module makes it its fixture with `database = on_each_backend(empty_database)`.
    """
    with backend_database(request.param, tmp_path / "old.sqlite") as url:
        found = Database(url)
        yield found
        found.close()


def upgrade_to(database: Database, revision: str) -> None:
    config = migrations._config()
    with database.write() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
