"""Slow-loris on the ingest gate: one credential trickling bodies cannot keep other devices out.

A real `kiosk-server serve` process on 127.0.0.1, tuned through its environment to a short body
deadline. Forty connections with a valid credential send a push's headers, then one byte now and
then; meanwhile another device pushes. Everything here talks to loopback only, and every wait has
a deadline, so the test ends by itself.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from sync.server import devices, migrations
from sync.server.storage import Database, utc_now
from tests.server.records import push_body, submission_record
from tests.support.server import server_process

SLOW_CONNECTIONS = 40
PER_DEVICE = 3
BODY_SECONDS = 6.0
GRACE_SECONDS = 2.0
MIN_RATE = 64  # bytes a second; the slow senders manage two
TRICKLE_EVERY = 0.5  # seconds between the slow senders' bytes


@dataclass
class SlowSender:
    """One connection that sends a push's headers, then a byte every TRICKLE_EVERY seconds."""

    sock: socket.socket
    opened: float
    answer: bytes = b""
    answered_after: float | None = None
    sent: int = 0

    @property
    def status(self) -> int | None:
        if not self.answer.startswith(b"HTTP/1.1 "):
            return None
        return int(self.answer.split(b" ", 2)[1])


@dataclass
class Trickle:
    """Runs the slow senders in one thread until each is answered or the deadline passes."""

    senders: list[SlowSender]
    deadline: float
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        next_byte = time.monotonic()
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            waiting = {s.sock: s for s in self.senders if s.answered_after is None}
            if not waiting:
                return
            readable, _, _ = select.select(list(waiting), [], [], 0.05)
            for sock in readable:
                sender = waiting[sock]
                try:
                    data = sock.recv(4096)
                except OSError:
                    data = b""
                sender.answer += data
                if _whole_answer(sender.answer) or not data:
                    sender.answered_after = time.monotonic() - sender.opened
            if time.monotonic() >= next_byte:
                next_byte += TRICKLE_EVERY
                for sender in self.senders:
                    if sender.answered_after is None:
                        try:
                            sender.sock.sendall(b"{")
                            sender.sent += 1
                        except OSError:
                            sender.answered_after = time.monotonic() - sender.opened


def _whole_answer(answer: bytes) -> bool:
    head, separator, body = answer.partition(b"\r\n\r\n")
    if not separator:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return True


def _enrolled(url: str, database: Database, name: str) -> tuple[str, str]:
    """A device enrolled through the real endpoint: (credential, device code)."""
    ticket = devices.add_device(database, name, "31.74", now=utc_now(), ttl=timedelta(hours=1))
    answer = httpx.post(
        f"{url}/v1/enroll",
        json={"protocol": 1, "code": ticket.display},
        headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)},
        timeout=10,
    )
    answer.raise_for_status()
    body = answer.json()
    return body["credential"], body["device_code"]


def _open_slow_push(port: int, credential: str) -> SlowSender:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    head = (
        "POST /v1/push HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {credential}\r\n"
        f"{PROTOCOL_HEADER}: {PROTOCOL_VERSION}\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: 50000\r\n\r\n"
    )
    sock.sendall(head.encode())
    return SlowSender(sock, time.monotonic())


@pytest.fixture
def tuned_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KIOSK_SERVER_BODY_SECONDS", str(BODY_SECONDS))
    monkeypatch.setenv("KIOSK_SERVER_BODY_GRACE_SECONDS", str(GRACE_SECONDS))
    monkeypatch.setenv("KIOSK_SERVER_BODY_MIN_RATE", str(MIN_RATE))
    monkeypatch.setenv("KIOSK_SERVER_DEVICE_CONCURRENCY", str(PER_DEVICE))
    db_url = f"sqlite:///{tmp_path / 'server.sqlite'}"
    database = Database(db_url)
    migrations.upgrade(database)
    try:
        with server_process(db_url, tmp_path / "data") as url:
            yield url, database
    finally:
        database.close()


def test_slow_senders_with_one_credential_never_keep_another_device_from_pushing(tuned_server):
    url, database = tuned_server
    port = int(url.rsplit(":", 1)[1])
    slow_credential, _ = _enrolled(url, database, "slow-device")
    credential, device_code = _enrolled(url, database, "busy-device")
    senders = [_open_slow_push(port, slow_credential) for _ in range(SLOW_CONNECTIONS)]
    trickle = Trickle(senders, deadline=time.monotonic() + BODY_SECONDS + 20)
    thread = threading.Thread(target=trickle.run, name="slow-loris", daemon=True)
    thread.start()
    pushes: list[tuple[int, float]] = []
    try:
        time.sleep(1.0)  # every slow sender is connected and trickling
        headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION), "Authorization": f"Bearer {credential}"}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
            for _ in range(5):
                started = time.monotonic()
                answer = client.post("/v1/push", json=push_body(submission_record(device_code)))
                pushes.append((answer.status_code, time.monotonic() - started))
                time.sleep(0.3)
        thread.join(timeout=BODY_SECONDS + 25)
    finally:
        trickle.stop.set()
        thread.join(timeout=5)
        for sender in senders:
            sender.sock.close()

    # The other device's pushes all went through, promptly, while the slow senders trickled.
    assert [status for status, _ in pushes] == [200] * 5, pushes
    assert max(seconds for _, seconds in pushes) < 5.0, pushes
    statuses = [sender.status for sender in senders]
    # Beyond its few turns, the slow device is told "later" at once, before any body is read...
    refused = [s for s in senders if s.status == 429]
    assert len(refused) == SLOW_CONNECTIONS - PER_DEVICE, statuses
    assert all(b'"code":"too_many_requests"' in s.answer for s in refused), refused[0].answer
    assert all(b"retry-after: " in s.answer.lower() for s in refused), refused[0].answer
    assert all(s.answered_after is not None and s.answered_after < 3.0 for s in refused)
    # ... and the few it is given are cut off as too slow, 408 in the protocol's error shape,
    # long before the body would have arrived at this pace.
    cut = [s for s in senders if s.status == 408]
    assert len(cut) == PER_DEVICE, statuses
    assert all(b'"code":"request_timeout"' in s.answer for s in cut)
    assert all(s.answered_after is not None and s.answered_after < BODY_SECONDS + 3 for s in cut)
    assert all(s.sent < 50000 for s in cut)
