"""Faults on the server's side of the line: a device that goes away, a bug of ours."""

from __future__ import annotations

import hashlib
import logging
import socket
import time

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.server.records import push_body, submission_record


def test_a_device_that_goes_away_mid_body_costs_one_info_line_not_a_traceback(
    live_server, device, caplog
):
    caplog.set_level(logging.INFO)
    host, port = live_server.url.removeprefix("http://").split(":")
    head = (
        "POST /v1/push HTTP/1.1\r\n"
        f"Host: {host}\r\nLengkap-Protocol: 1\r\nAuthorization: Bearer {device.credential}\r\n"
        "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
    )
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(head.encode() + b'{"protocol": 1, "records": [')
        time.sleep(0.3)  # the server is reading the body now
    deadline = time.monotonic() + 10
    while "client went away" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    gone = [r for r in caplog.records if "client went away" in r.getMessage()]
    assert len(gone) == 1 and gone[0].levelno == logging.INFO
    assert gone[0].getMessage() == "client went away while sending POST /v1/push"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


class _BrokenRules:
    def snapshot(self):
        raise RuntimeError("a bug in the server")


def test_an_unexpected_fault_answers_500_in_the_protocols_error_shape(
    live_server, device, monkeypatch, caplog
):
    monkeypatch.setattr(live_server.state, "rulebook", _BrokenRules())
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(submission_record(device.device_code)))
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert error["code"] == "internal_error"
    assert "gangguan" in error["message"]["id"] and "fault" in error["message"]["en"]


# SQLite has no server connections to cut: this test runs on PostgreSQL only.
@pytest.mark.parametrize("server_db_url", ["postgresql"], indirect=True)
def test_postgresql_connections_cut_under_the_server_cost_at_most_one_answer(live_server, device):
    """Without pool_pre_ping a dead pooled connection fails the one request that drew it, which a
    device retries; SQLAlchemy then drops the pool's older connections, so the next succeed."""
    database = live_server.state.database
    assert database.dialect == "postgresql"
    query = {"sha256s": [hashlib.sha256(b"cut").hexdigest()]}
    with device.client() as client:
        for _ in range(3):  # connections back in the pool, idle
            assert client.post("/v1/attachments/query", json=query).status_code == 200
        killer = create_engine(database.url, poolclass=NullPool)
        try:
            with killer.connect() as connection:
                killed = connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
        finally:
            killer.dispose()
        assert killed >= 1
    # A connection per request: a failed request's connection is not reused by the next.
    with device.client(limits=httpx.Limits(max_keepalive_connections=0)) as client:
        try:
            first = client.post("/v1/attachments/query", json=query).status_code
        except httpx.TransportError:
            first = None  # a fault in the credential check: the connection is dropped
        statuses = [client.post("/v1/attachments/query", json=query).status_code for _ in range(3)]
    # The one request that drew a dead connection fails in a way a device retries (503
    # unavailable, or a dropped connection); every later one finds fresh connections.
    assert first in (200, 503, None)
    assert statuses == [200, 200, 200]
