"""Migration 0004 on a database that already holds a register number twice: it does not fail, it
reports the number, keeps both records, and from then on the number is never routed to either."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from kiosk.domain.register_numbers import RegisterNumber
from sync.server import migrations
from sync.server.errors import AmbiguousNumber
from sync.server.staff.casework import find_case
from sync.server.storage import (
    attachment_owners,
    audit,
    device_codes,
    dumps,
    records,
    utc_now,
)
from tests.server.records import complaint_record, submission_record
from tests.support.old_schema import (
    OLD_DEVICES,
    OLD_RECORDS,
    empty_database,
    on_each_backend,
    upgrade_to,
)

database = on_each_backend(empty_database)


def _insert(connection, record, device_id, now):
    connection.execute(
        sa.insert(OLD_RECORDS).values(
            client_id=record.client_id,
            kind=record.kind,
            device_id=device_id,
            register_number=record.body["register_number"],
            program="kjp-plus",
            fingerprint=record.fingerprint,
            body=dumps(record.body),
            attachments="[]",
            state="synced",
            server_verdict=json.dumps({}),
            verdicts_agree=True,
            received_at=now,
            updated_at=now,
        )
    )


def test_an_old_database_with_a_shared_number_migrates_and_reports_it(database, caplog):
    upgrade_to(database, "0003")
    now = utc_now()
    owner = submission_record("ABC234", register_number=str(RegisterNumber("ABC234", 5)))
    squatted = complaint_record("ABC234", register_number=owner.body["register_number"])
    offline = submission_record("QRS789", register_number=str(RegisterNumber("QRS789", 1)))
    with database.write() as connection:
        for device_id, name, code in ((1, "tebet", "ABC234"), (2, "bogor", "XYZ567")):
            connection.execute(
                sa.insert(OLD_DEVICES).values(
                    id=device_id, name=name, device_code=code, area="317401", created_at=now
                )
            )
        _insert(connection, owner, 1, now)
        _insert(connection, squatted, 2, now)  # device 2 took device 1's number
        _insert(connection, offline, 2, now)  # device 2's own, saved before it enrolled
    with caplog.at_level(logging.WARNING, logger="lengkap.server.migrations"):
        migrations.upgrade(database)
    assert owner.body["register_number"] in caplog.text and "several records" in caplog.text
    assert "ABC234" in caplog.text.split("tied to none")[-1]
    with database.read() as connection:
        clashes = dict(
            connection.execute(sa.select(records.c.client_id, records.c.register_clash)).all()
        )
        learnt = dict(
            connection.execute(sa.select(device_codes.c.code, device_codes.c.device_id)).all()
        )
        with pytest.raises(AmbiguousNumber):
            find_case(connection, owner.body["register_number"], "submission", open_missing=False)
        alone = find_case(
            connection, offline.body["register_number"], "submission", open_missing=False
        )
    assert clashes == {owner.client_id: 0, squatted.client_id: 1, offline.client_id: 0}
    assert learnt == {"QRS789": 2}
    assert alone is not None and alone.client_id == offline.client_id
    again = submission_record("ABC234", register_number=owner.body["register_number"])
    with pytest.raises(IntegrityError), database.write() as connection:
        _insert(connection, again, 1, now)


def test_photos_already_on_the_server_belong_to_the_devices_that_sent_or_named_them(database):
    upgrade_to(database, "0004")
    now = utc_now()
    uploaded, named = "a" * 64, "b" * 64
    record = submission_record("ABC234")
    with database.write() as connection:
        for device_id, name, code in ((1, "tebet", "ABC234"), (2, "bogor", "XYZ567")):
            connection.execute(
                sa.insert(OLD_DEVICES).values(
                    id=device_id, name=name, device_code=code, area="317401", created_at=now
                )
            )
        connection.execute(
            sa.insert(audit).values(
                at=now, device_id=2, action="attachment", fingerprint=uploaded, outcome="stored"
            )
        )
        _insert(connection, record, 1, now)
        connection.execute(
            sa.update(records)
            .where(records.c.client_id == record.client_id)
            .values(attachments=json.dumps([named]))
        )
    migrations.upgrade(database)
    with database.read() as connection:
        owners = set(
            connection.execute(
                sa.select(attachment_owners.c.sha256, attachment_owners.c.device_id)
            ).all()
        )
    assert owners == {(uploaded, 2), (named, 1)}
