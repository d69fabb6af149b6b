"""Every SQLite connection the device opens runs with the settings that make a saved record stay saved.

`PRAGMA synchronous=FULL` is what keeps a submission acknowledged to a person through a power cut;
WAL lets the background sync read while the counter writes. A connection opened some other way
(a new command calling sqlite3 itself, a thread opening its own file) would silently lose that, so
the test goes through the real entry points - the CLI commands, the app's start and its
background sync, `kiosk sync --watch` - with sqlite3.connect watched, and reads the settings on
every connection made on the device's data folder.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from kiosk.cli import cli
from tests.scan.code_images import code, encoded, page
from tests.support.requests import kjp_request
from tests.sync.fake_server import BASE_URL, FakeServer

ROOT = Path(__file__).resolve().parents[2]
# What kiosk/store/database.py sets on every connection, as SQLite reports it back.
INTENDED = {"synchronous": 2, "journal_mode": "wal", "foreign_keys": 1}  # 2 is FULL


def read_settings(connection: sqlite3.Connection) -> dict[str, Any]:
    return {name: connection.execute(f"PRAGMA {name}").fetchone()[0] for name in sorted(INTENDED)}


class WatchedConnection(sqlite3.Connection):
    """A connection that reads its own settings just before it closes."""

    settings_at_close: dict[str, Any] | None = None

    def close(self) -> None:
        if self.settings_at_close is None:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed already
                self.settings_at_close = read_settings(self)
        super().close()


@dataclass
class Opened:
    database: str
    connection: sqlite3.Connection
    thread: str


@dataclass
class ConnectionWatch:
    """Every sqlite3.connect call made while installed, on files under `folder`."""

    folder: Path
    opened: list[Opened] = field(default_factory=list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        connect = sqlite3.connect

        def watched_connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
            kwargs.setdefault("factory", WatchedConnection)
            connection = connect(database, *args, **kwargs)
            self.opened.append(Opened(str(database), connection, threading.current_thread().name))
            return connection

        monkeypatch.setattr(sqlite3, "connect", watched_connect)

    def on_device(self, start: int = 0) -> list[Opened]:
        """Connections to a file in the data folder, from the `start`th one watched."""
        return [o for o in self.opened[start:] if Path(o.database).is_relative_to(self.folder)]

    def settings(self, opened: Opened) -> dict[str, Any]:
        """The settings the connection had when it closed, or has now if it is still open."""
        connection = opened.connection
        if isinstance(connection, WatchedConnection) and connection.settings_at_close is not None:
            return connection.settings_at_close
        try:
            return read_settings(connection)
        except sqlite3.ProgrammingError:
            pytest.fail(f"a connection to {opened.database} was closed without being watched")


@pytest.fixture
def watch(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectionWatch]:
    watcher = ConnectionWatch(data_dir.resolve())
    watcher.install(monkeypatch)
    yield watcher
    # Whatever the test did, no connection on the device may have other settings.
    for opened in watcher.on_device():
        assert watcher.settings(opened) == INTENDED, (opened.database, opened.thread)


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    """The CLI's real sync client, talking to an in-memory server instead of the network."""
    server = FakeServer()
    monkeypatch.setattr("kiosk.services.sync.build_http_client", server.http)
    return server


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def cli_commands(group: click.Group = cli, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            names |= cli_commands(command, f"{full} ")
        else:
            names.add(full)
    return names


# Commands that only compute from their arguments and the shipped rules.
WITHOUT_DATABASE = {"check", "rules list", "rules validate", "rules install", "nik", "kk"}
# Checked by their own tests below, or made only of the commands checked here.
ELSEWHERE = {
    "run": "test_the_app_its_first_session_and_its_background_sync_open_durable_connections",
    "demo": "runs the other commands in child processes, each checked here",
}


def command_steps(tmp_path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Each command the device runs, with arguments that make it reach its database."""
    request = tmp_path / "submission.json"
    request.write_text(json.dumps(kjp_request()), encoding="utf-8")
    picture = tmp_path / "undangan.png"
    picture.write_bytes(encoded(page((code("qr", "PKH-2026-T1-000777", 4), (40, 40)))))
    roster = str(ROOT / "assets" / "samples" / "roster-kjp-plus.csv")
    enroll = ("--server", BASE_URL, "--code", "ENROLL-1234")
    return [
        ("enroll", ("enroll", *enroll)),
        ("submit", ("submit", str(request), "--json")),
        ("status", ("status", "{number}")),
        ("receipt", ("receipt", "{number}", "--out", str(tmp_path / "tanda-terima.pdf"))),
        ("complaint file", ("complaint", "file", "--category", "other", "--description",
                            "Kartu belum diterima.", "--name", "Nama Contoh")),
        ("complaint show", ("complaint", "show", "{number}")),
        ("export", ("export",)),
        ("roster import", ("roster", "import", roster, "--program", "kjp-plus")),
        ("roster find", ("roster", "find", "--name", "Siti Rahmawati")),
        ("scan", ("scan", str(picture))),
        ("officer add", ("officer", "add", "Budi", "--pin", "482915")),
        ("sync", ("sync",)),
        ("sync", ("sync", "--status")),
        ("sync", ("sync", "--requeue", "all")),
    ]  # fmt: skip


def test_every_connection_the_cli_commands_open_is_durable(
    watch: ConnectionWatch, network: FakeServer, tmp_path: Path
):
    number = ""
    for command, args in command_steps(tmp_path):
        start = len(watch.opened)
        result = invoke(*(arg.format(number=number) for arg in args))
        if command == "submit":
            number = json.loads(result.output)["register_number"]
        opened = watch.on_device(start)
        assert opened, f"`kiosk {' '.join(args)}` opened no database (exit {result.exit_code})"
        for each in opened:
            assert watch.settings(each) == INTENDED, f"kiosk {' '.join(args)}"
    assert network.records, "the sync command pushed the submission"


def test_every_cli_command_is_checked_here_or_said_not_to_need_the_database(tmp_path: Path):
    checked = {command for command, _ in command_steps(tmp_path)}
    assert cli_commands() == checked | WITHOUT_DATABASE | set(ELSEWHERE)


def test_the_app_its_first_session_and_its_background_sync_open_durable_connections(
    watch: ConnectionWatch, network: FakeServer, monkeypatch: pytest.MonkeyPatch
):
    assert invoke("enroll", "--server", BASE_URL, "--code", "ENROLL-1234").exit_code == 0
    served: list[Any] = []

    def fake_flet_run(main: Callable[..., Any], **options: Any) -> None:
        app = main.__self__  # the KioskApp whose sessions would be served
        served.append(app)
        assert app.kiosk.db is not None  # what the first session opens
        app.sync.settings = replace(app.sync.settings, http_factory=network.http)
        app.sync.sync_now()  # the officer's "sync now", on the supervisor's own connection
        before = len(watch.on_device())
        app.sync.start()  # the background thread opens one more
        for _ in range(200):
            if len(watch.on_device()) > before:
                break
            threading.Event().wait(0.05)
        app.sync.stop()

    monkeypatch.setattr("kiosk.app.ft.run", fake_flet_run)
    start = len(watch.opened)
    result = invoke("run", "--web", "--no-browser", "--port", "0")
    assert result.exit_code == 0, result.output
    assert served, "the app was started"
    threads = {opened.thread for opened in watch.on_device(start)}
    assert "lengkap-background-sync" in threads
    assert len(watch.on_device(start)) >= 4  # serve's cleanup, the session, sync now, background


def test_the_watching_sync_opens_a_durable_connection(
    watch: ConnectionWatch, network: FakeServer, data_dir: Path
):
    from kiosk.services.sync import watch as watch_sync

    assert invoke("enroll", "--server", BASE_URL, "--code", "ENROLL-1234").exit_code == 0
    start = len(watch.opened)
    stop = threading.Event()
    watch_sync(data_dir, stop, http_factory=network.http, on_report=lambda _: stop.set())
    assert watch.on_device(start)


def test_no_device_module_opens_sqlite_except_the_store_s_one_place():
    # The runtime checks above see the paths that exist; this keeps new ones from appearing.
    opener = re.compile(r"sqlite3\.connect\(|sqlite_utils\.Database\(|\bDatabase\(")
    allowed = {ROOT / "kiosk" / "store" / "database.py"}
    device_code = [*(ROOT / "kiosk").rglob("*.py"), *(ROOT / "sync").glob("*.py")]
    offenders = [
        str(path.relative_to(ROOT))
        for path in device_code
        if path not in allowed and opener.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
