"""The kiosk-server command: devices, states, rules, rosters and exports, with the kiosk's exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from sync.server.cli import cli
from tests.server.records import complaint_record, push_body, submission_record
from tests.support.server import ROOT

DEMO_RULES = Path(__file__).resolve().parents[1] / "assets" / "rules"


@pytest.fixture
def run(server_db_url, server_data_dir):
    def invoke(*args: str):
        return CliRunner().invoke(
            cli, [*args, "--db", server_db_url, "--data-dir", str(server_data_dir)]
        )

    return invoke


def _code(output: str) -> str:
    found = re.search(r"([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", output)
    assert found, output
    return found.group(1)


def test_device_add_prints_a_one_time_code_with_a_qr_and_an_expiry(live_server, run):
    result = run("device", "add", "kelurahan-cipete", "--area", "31.74.06", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Enrolment code for kelurahan-cipete" in result.output
    assert "valid until" in result.output and "█" in result.output  # the QR, drawn in text
    code = _code(result.output)
    answer = httpx.post(f"{live_server.url}/v1/enroll", json={"code": code})
    assert answer.status_code == 200 and answer.json()["area"] == "31740" + "6"
    listed = run("device", "list", "--json")
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert {"name": "kelurahan-cipete", "status": "enrolled"}.items() <= next(
        r for r in rows if r["name"] == "kelurahan-cipete"
    ).items()


def test_device_revoke_is_one_line_and_a_second_add_fails_with_exit_1(live_server, run):
    device = live_server.enroll()
    revoked = run("device", "revoke", device.name)
    assert revoked.exit_code == 0 and device.name in revoked.output
    with device.client() as client:
        assert client.get("/v1/pull").status_code == 403
    again = run("device", "add", device.name, "--area", "31.74")
    assert again.exit_code == 1
    assert again.output.count("\n") == 1 and again.output.startswith("kiosk-server: ")
    missing = run("device", "revoke", "no-such-device")
    assert missing.exit_code == 1 and "no-such-device" in missing.output


def test_misuse_exits_2(run):
    assert run("device", "add", "tablet-without-area").exit_code == 2
    assert run("export", "photos").exit_code == 2


def test_record_set_state_flows_back_to_the_device(live_server, device, run):
    record = submission_record(device.device_code)
    with device.client() as client:
        client.post("/v1/push", json=push_body(record))
        cursor = client.get("/v1/pull").json()["next_cursor"]
        number = record.body["register_number"]
        result = run("record", "set-state", number.lower(), "verified", "--note", "Dokumen cocok")
        assert result.exit_code == 0, result.output
        assert f"Status {number} sekarang Terverifikasi (verified)" in result.output
        changes = client.get("/v1/pull", params={"cursor": cursor}).json()["changes"]
    assert [(c["data"]["register_number"], c["data"]["state"]) for c in changes] == [
        (number, "verified")
    ]
    forbidden = run("record", "set-state", number, "queued", "--lang", "en")
    assert forbidden.exit_code == 1 and "cannot change from verified" in forbidden.output
    unknown = run("record", "set-state", "7KQ2ZB-000123-M", "verified")
    assert unknown.exit_code == 1


def test_rules_publish_validates_the_file_first(run):
    bad = run("rules", "publish", str(DEMO_RULES / "unknown-document.toml"), "--lang", "en")
    assert bad.exit_code == 1
    assert "unknown-document.toml:" in bad.output and bad.output.count("\n") == 1
    good = run("rules", "publish", str(DEMO_RULES / "valid-demo.toml"), "--lang", "en")
    assert good.exit_code == 0
    assert "demo" in good.output


def test_roster_publish_reports_refused_lines(run, tmp_path):
    csv_file = tmp_path / "roster.csv"
    csv_file.write_text(
        "nik,nama,kode_wilayah\n3174011405090003,Siti Rahmawati,31.74.01\n123,Salah,31.74.01\n"
    )
    result = run("roster", "publish", str(csv_file), "--program", "kjp-plus", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "1 refused out of 2 rows" in result.output and "line 3, column nik" in result.output
    unknown = run("roster", "publish", str(csv_file), "--program", "bansos-x")
    assert unknown.exit_code == 1


def test_export_prints_json_lines_keyed_by_register_number_and_client_id(live_server, device, run):
    submission, complaint = (
        submission_record(device.device_code),
        complaint_record(device.device_code),
    )
    with device.client() as client:
        client.post("/v1/push", json=push_body(submission, complaint))
    for kind, record in (("submissions", submission), ("complaints", complaint)):
        result = run("export", kind, "--since", "2000-01-01")
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.output.splitlines()]
        [mine] = [line for line in lines if line["client_id"] == record.client_id]
        assert mine["register_number"] == record.body["register_number"]
        assert mine["device_code"] == device.device_code
        assert mine["record"] == record.body
        assert {line["kind"] for line in lines} == {kind.rstrip("s")}
    future = run("export", "submissions", "--since", "2999-01-01")
    assert future.exit_code == 0 and future.output == ""
    assert run("export", "submissions", "--since", "yesterday").exit_code == 1


def test_the_console_script_runs_as_a_module_and_has_help_for_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "sync.server", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    for command in ("serve", "migrate", "export", "device", "record", "rules", "roster"):
        assert command in result.stdout
    runner = CliRunner()
    for path in (
        ["serve"],
        ["migrate"],
        ["export"],
        ["device", "add"],
        ["device", "code"],
        ["device", "revoke"],
        ["device", "list"],
        ["record", "set-state"],
        ["rules", "publish"],
        ["roster", "publish"],
    ):
        helped = runner.invoke(cli, [*path, "--help"])
        assert helped.exit_code == 0 and "Penggunaan:" in helped.output, path
