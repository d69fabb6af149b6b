"""`kiosk demo`: a local central server, this kiosk enrolled to it, the loop, then the app."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx
import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from tests.support.server import free_port

pytestmark = pytest.mark.slow


def _server_url(output: str) -> str:
    found = re.search(r"kiosk-server serve --host 127\.0\.0\.1 --port (\d+)", output)
    assert found, output
    return f"http://127.0.0.1:{found.group(1)}"


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return False
    return True


def test_the_demo_runs_the_whole_loop_through_a_local_server_and_stops_it(tmp_path):
    folder, server_port = tmp_path / "demo", free_port()
    result = CliRunner().invoke(
        cli,
        ["demo", "--no-app", "--server-port", str(server_port), "--data-dir", str(folder)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    output = result.output
    assert _server_url(output) == f"http://127.0.0.1:{server_port}"
    for fragment in (
        "kiosk-server roster publish",
        # The bad row of the sample roster, said to be there on purpose, then reported by line.
        "Daftar penerima contoh sengaja berisi satu baris rusak",
        "baris 9",
        "Jenis kelamin: perempuan",  # the sample student, Siti Rahmawati
        "kiosk-server device add demo-kiosk",
        "kiosk enroll --server http://127.0.0.1:",
        "Perangkat terdaftar sebagai demo-kiosk",
        "7 perubahan dari server diterapkan",  # the roster came from the server
        "Tebet",
        "Muhammad Abdul Rahman",  # found by a misspelt name in the roster the server sent
        "Nomor registrasi:",
        "Pengaduan tersimpan",
        "Jawaban paling lambat",
        "Terkirim 2 catatan",
        "Semua data sudah ada di server.",
        "kiosk-server record set-state",
        "Pengajuan ditolak. Lihat catatan petugas untuk alasannya.",  # the decision came back
        "Catatan petugas: Dokumen belum lengkap. Bawa ke kantor ini: Surat permohonan KJP Plus;",
        "Petugas Demo ditambahkan.",
        "kiosk-server user add verifikator --role verifier",
        "/console. Masuk sebagai verifikator",
        "kiosk-server user totp",  # how a supervisor or admin would sign in
    ):
        assert fragment in output, fragment
    # Seven documents are asked for and only the KK was brought: nobody may call that verified.
    assert "dinyatakan benar" not in output
    final_status = output[output.rindex("$ kiosk status") :]
    assert "  - Formulir kelengkapan data" in final_status
    assert not _answers(_server_url(output) + "/health"), "the demo left its server running"
    assert (folder / "server").is_dir()
    exported = CliRunner().invoke(cli, ["export", "--data-dir", str(folder)]).output.splitlines()
    assert sorted(json.loads(line)["kind"] for line in exported) == ["complaint", "submission"]
    # The printed staff password signs in to the console the demo points at.
    from sync.server.staff.accounts import sign_in
    from sync.server.storage import Database

    database = Database(f"sqlite:///{folder / 'server' / 'server.sqlite'}")
    try:
        signed = sign_in(database, "verifikator", "demo-lengkap-2468", now=datetime.now(UTC))
    finally:
        database.close()
    # A role that needs no code app: the printed password alone signs in.
    assert signed.ok and signed.user is not None and signed.user.role == "verifier"


def test_the_demo_numbers_its_steps_one_by_one_from_one(tmp_path):
    # --lang wins over $KIOSK_LANG, for the kiosk's commands and the server's alike.
    result = CliRunner().invoke(
        cli,
        ["demo", "--no-app", "--lang", "en", "--data-dir", str(tmp_path / "demo")],
        env={"KIOSK_LANG": "id"},
    )
    assert result.exit_code == 0, result.output
    assert "Roster of kjp-plus: 7 published" in result.output
    # Headings are "N. " and a sentence; the roster search's own "1. 3174..." lines are not.
    numbers = [int(n) for n in re.findall(r"^(\d+)\. (?!3174)", result.output, re.MULTILINE)]
    assert numbers == list(range(1, 12))
    assert "The sample roster holds one bad row on purpose" in result.output
    assert "Sex: female" in result.output  # the commands it runs speak the demo's language
    assert "Documents are missing. Bring them to this office:" in result.output


@pytest.mark.parametrize("option", ["--app-port", "--server-port"])
def test_a_taken_port_stops_the_demo_in_one_line_before_anything_runs(tmp_path, option):
    folder = tmp_path / "demo"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["demo", option, str(port), "--data-dir", str(folder)])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"kiosk: Port {port} di 127.0.0.1 sudah dipakai program lain. "
        f"Hentikan program itu atau pilih port lain dengan {option}."
    ]
    assert not folder.exists(), "the demo started before checking its ports"


def test_ctrl_c_stops_the_demo_app_and_its_server(tmp_path):
    folder, port = tmp_path / "demo", free_port()
    log = (tmp_path / "demo.log").open("wb")
    command = [sys.executable, "-m", "kiosk", "demo", "--no-browser", "--app-port", str(port)]
    process = subprocess.Popen(
        [*command, "--data-dir", str(folder)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while not _answers(f"http://127.0.0.1:{port}"):
            assert process.poll() is None, (tmp_path / "demo.log").read_text()
            assert time.monotonic() < deadline, "the demo's app did not start"
            time.sleep(0.2)
        server = _server_url((tmp_path / "demo.log").read_text())
        assert _answers(server + "/health")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    output = (tmp_path / "demo.log").read_text()
    assert "Masuk sebagai Demo dengan PIN 2468" in output
    assert not _answers(server + "/health"), "Ctrl-C left the demo's server running"
    assert not _answers(f"http://127.0.0.1:{port}")
