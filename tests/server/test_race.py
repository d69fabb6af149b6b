"""Two server processes, two client processes, the same record at the same instant: one row."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import func, select

from sync.server.storage import records
from tests.server.race_worker import push_at_barrier
from tests.server.records import push_body, submission_record
from tests.support.server import server_process

ROUNDS = 12


@pytest.mark.slow
def test_the_same_record_pushed_by_two_processes_at_once_is_stored_once(
    live_server, server_db_url, server_data_dir
):
    device = live_server.enroll()
    batches = [[submission_record(device.device_code) for _ in range(3)] for _ in range(ROUNDS)]
    bodies = [push_body(*batch) for batch in batches]
    # Twins send the same records in opposite order: the server must not deadlock either.
    reversed_bodies = [push_body(*reversed(batch)) for batch in batches]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    with server_process(server_db_url, server_data_dir) as second_url:
        workers = [
            context.Process(
                target=push_at_barrier, args=(url, device.credential, payload, barrier, results)
            )
            for url, payload in ((live_server.url, bodies), (second_url, reversed_bodies))
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [worker.exitcode for worker in workers] == [0, 0]
    outcomes: dict[str, list[str]] = {}
    for _ in range(2 * 3 * ROUNDS):
        client_id, status = results.get(timeout=10)
        outcomes.setdefault(client_id, []).append(status)
    assert all(sorted(seen) == ["accepted", "duplicate"] for seen in outcomes.values()), outcomes
    ids = [record.client_id for batch in batches for record in batch]
    with live_server.state.database.read() as connection:
        rows = connection.execute(
            select(records.c.client_id, func.count())
            .where(records.c.client_id.in_(ids))
            .group_by(records.c.client_id)
        ).all()
    assert sorted(rows) == sorted((client_id, 1) for client_id in ids)
