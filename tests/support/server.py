"""A real Lengkap server for tests: uvicorn on 127.0.0.1, a free port, a background thread.

Reusable by every engineer's tests:

    with running_server(db_url, data_dir) as server:      # db_url None: SQLite in data_dir
        httpx.get(f"{server.url}/health")
        device = server.enroll(area="31.74")               # added and enrolled for real

`postgres_database()` makes a throwaway PostgreSQL database on 127.0.0.1:5432 and drops it after;
the `postgres_url` fixture does that once per test session and skips, with a clear reason, when
PostgreSQL is not reachable (CI's KIOSK_NO_SKIPS turns such a skip into a failure).
Import the fixture into a conftest.py: `from tests.support.server import postgres_url  # noqa: F401`.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from sync.server import devices
from sync.server.app import create_app
from sync.server.settings import ServerSettings
from sync.server.state import ServerState
from sync.server.storage import utc_now

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_ADMIN = f"host={POSTGRES_HOST} port={POSTGRES_PORT} user=postgres dbname=test"
POSTGRES_UNREACHABLE = f"PostgreSQL not reachable at {POSTGRES_HOST}:{POSTGRES_PORT}"
ROOT = Path(__file__).resolve().parents[2]


def postgres_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


BACKENDS = ["sqlite", "postgresql"]


@contextmanager
def backend_database(backend: str, sqlite_file: Path) -> Iterator[str]:
    """A fresh database of `backend` for the duration: the SQLite file `sqlite_file`, or a new
    PostgreSQL database (the test skips, with the reason, when PostgreSQL is unreachable)."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_file}"
        return
    if not postgres_reachable():
        pytest.skip(POSTGRES_UNREACHABLE)
    with postgres_database() as url:
        yield url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for the duration; yields its SQLAlchemy URL."""
    import psycopg

    name = f"lengkap_test_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One throwaway PostgreSQL database per test session (dropped at the end)."""
    if not postgres_reachable():
        pytest.skip(POSTGRES_UNREACHABLE)
    with postgres_database() as url:
        yield url


@dataclass
class RunningServer:
    """A server answering at `url`; `state` reaches its database, store and gate in-process."""

    url: str
    settings: ServerSettings
    app: Any

    @property
    def state(self) -> ServerState:
        state: ServerState = self.app.state.lengkap
        return state

    def client(self, credential: str | None = None, **options: Any) -> httpx.Client:
        """An httpx client speaking the protocol, with the device's credential when given."""
        headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
        if credential:
            headers["Authorization"] = f"Bearer {credential}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **options)

    def enroll(self, name: str | None = None, area: str = "31.74") -> EnrolledDevice:
        """A new device, added and enrolled through the real endpoint."""
        name = name or f"device-{secrets.token_hex(4)}"
        ticket = devices.add_device(
            self.state.database, name, area, now=utc_now(), ttl=timedelta(hours=1)
        )
        with self.client() as client:
            answer = client.post("/v1/enroll", json={"protocol": 1, "code": ticket.display})
        answer.raise_for_status()
        body = answer.json()
        return EnrolledDevice(self, name, body["device_code"], body["credential"], body["area"])


@dataclass
class EnrolledDevice:
    server: RunningServer
    name: str
    device_code: str
    credential: str
    area: str

    def client(self, **options: Any) -> httpx.Client:
        return self.server.client(self.credential, **options)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(db_url: str | None, data_dir: Path, **settings: Any) -> Iterator[RunningServer]:
    """Start the real app under uvicorn in a background thread; stop it on exit.

    `settings` override ServerSettings fields (e.g. limits=Limits(...), ingest_concurrency=1).
    """
    resolved = ServerSettings.resolve(data_dir, db_url, **settings)
    app = create_app(resolved)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the socket is handed over bound: no port race
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="lengkap-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", resolved, app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@contextmanager
def server_process(db_url: str | None, data_dir: Path) -> Iterator[str]:
    """The server as a separate OS process (`python -m sync.server serve`); yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "sync.server", "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--log-level", "warning"]
    if db_url:
        command += ["--db", db_url]
    # A file, not a pipe, takes the server's output: a chatty server never blocks on it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, env=os.environ.copy()
        )
        try:
            yield _wait_for_health(process, f"http://127.0.0.1:{port}", log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_health(process: subprocess.Popen[bytes], url: str, log: Any) -> str:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server process exited: {log.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the server process did not start")
        time.sleep(0.1)
