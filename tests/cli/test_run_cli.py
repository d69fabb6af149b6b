"""`kiosk run`: says in one line where the app is served (both modes), and refuses a taken port."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

import kiosk.app
from kiosk.cli import cli
from tests.support.server import free_port


@pytest.fixture
def served(monkeypatch):
    """Records what `serve` was asked for instead of serving; no desktop window here."""
    calls = []
    monkeypatch.setattr(kiosk.app, "serve", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(kiosk.app, "desktop_available", lambda: False)
    return calls


@pytest.mark.parametrize(
    ("mode", "language", "line"),
    [
        ([], "id", "Aplikasi petugas disajikan di http://127.0.0.1:{port}."),
        (["--selfcheck"], "id", "Layar cek mandiri disajikan di http://127.0.0.1:{port}."),
        (["--selfcheck"], "en", "The self-check screen is served at http://127.0.0.1:{port}."),
    ],
)
def test_run_prints_the_address_it_serves_on(served, data_dir, mode, language, line):
    port = free_port()
    args = ["run", *mode, "--no-browser", "--port", str(port), "--lang", language]
    result = CliRunner().invoke(cli, [*args, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    first, *rest = result.stdout.splitlines()
    assert first.startswith(line.format(port=port))
    assert rest == []
    assert served[0]["port"] == port and served[0]["selfcheck"] == ("--selfcheck" in mode)


def test_run_on_a_taken_port_says_so_in_one_line_and_serves_nothing(served, data_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["run", "--selfcheck", "--port", str(port), "--data-dir", str(data_dir)]
        )
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"Port {port} di 127.0.0.1 sudah dipakai program lain" in result.stderr
    assert "--port" in result.stderr
    assert served == []
