"""Migration 0003 on a server that already holds records: every record gets its case row."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command

from sync.server import migrations
from sync.server.storage import case_missing_documents, cases, dumps, utc_now
from tests.server.records import complaint_record, submission_record
from tests.support.old_schema import (
    OLD_DEVICES,
    OLD_RECORDS,
    empty_database,
    on_each_backend,
    upgrade_to,
)

database = on_each_backend(empty_database)


def test_records_already_on_the_server_get_their_case_rows(database):
    upgrade_to(database, "0002")
    now = utc_now()
    submission = submission_record("ABC234")
    complaint = complaint_record("ABC234")
    verdicts = {
        submission.client_id: {"completeness": "incomplete", "missing_documents": ["sptjm", "kk"]},
        complaint.client_id: {
            "first_response_due": "2025-07-17T09:30:00+00:00",
            "resolution_due": "2025-07-19T09:30:00+00:00",
        },
    }
    with database.write() as connection:
        connection.execute(
            sa.insert(OLD_DEVICES).values(
                id=1, name="tebet", device_code="ABC234", area="317401", created_at=now
            )
        )
        for record in (submission, complaint):
            connection.execute(
                sa.insert(OLD_RECORDS).values(
                    client_id=record.client_id,
                    kind=record.kind,
                    device_id=1,
                    register_number=record.body["register_number"],
                    program="kjp-plus",
                    fingerprint=record.fingerprint,
                    body=dumps(record.body),
                    attachments="[]",
                    state="synced",
                    server_verdict=json.dumps(verdicts[record.client_id]),
                    verdicts_agree=True,
                    received_at=now,
                    updated_at=now,
                )
            )
    migrations.upgrade(database)
    with database.read() as connection:
        rows = {
            row.kind: row
            for row in connection.execute(sa.select(cases).order_by(cases.c.record_id))
        }
        missing = (
            connection.execute(
                sa.select(case_missing_documents.c.document).order_by(
                    case_missing_documents.c.document
                )
            )
            .scalars()
            .all()
        )
        versions = connection.execute(sa.text("SELECT version FROM records")).scalars().all()
    assert set(rows) == {"submission", "complaint"}
    sub = rows["submission"]
    assert (sub.area, sub.stage, sub.complete, sub.first_visit, sub.not_registered) == (
        "317401",
        2,
        False,
        True,
        True,
    )
    assert sub.received_day == now.date()
    assert missing == ["kk", "sptjm"]
    assert rows["complaint"].due_at.isoformat() == "2025-07-19T09:30:00+00:00"
    assert rows["complaint"].category == "late_disbursement"
    assert versions == [1, 1]


def test_downgrade_then_upgrade_again_is_clean(database):
    migrations.upgrade(database)
    upgrade_to(database, "0003")
    config = migrations._config()
    with database.write() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    migrations.upgrade(database)
    assert migrations.current_revision(database) == migrations.head_revision()
