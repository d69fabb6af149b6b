"""`kiosk enroll` and `kiosk sync`: one line per outcome, exit 0 only when everything is on the server."""

from __future__ import annotations

import json

import httpx
import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.store.records import device_code
from sync.protocol import ErrorCode
from tests.sync.fake_server import BASE_URL, FakeServer, cut


@pytest.fixture
def network(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    """The CLI's real httpx client, but on the in-memory server instead of the outside network."""
    monkeypatch.setattr("kiosk.services.sync.build_http_client", server.http)
    return server


def kiosk_cli(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _enroll(*extra: str):
    return kiosk_cli("enroll", "--server", BASE_URL, "--code", "ENROLL-1234", *extra)


def test_enrolling_stores_the_server_code_for_new_numbers_and_never_prints_the_secret(
    kiosk, network
):
    result = _enroll("--lang", "en")
    assert result.exit_code == 0, result.output
    assert "K7Q2ZB" in result.output and "Kantor Kelurahan Tebet Barat" in result.output
    assert network.credential not in result.output
    assert device_code(kiosk.db) == "K7Q2ZB"
    network.codes.add("ENROLL-5678")
    as_json = kiosk_cli(
        "enroll", "--server", BASE_URL, "--code", "ENROLL-5678", "--force", "--json"
    )
    assert json.loads(as_json.output)["device_code"] == "K7Q2ZB"
    assert network.credential not in as_json.output


def test_enrolling_twice_is_refused_without_force(kiosk, network):
    assert _enroll().exit_code == 0
    network.codes.add("ENROLL-1234")
    again = _enroll("--lang", "en")
    assert again.exit_code == 1
    assert "already enrolled" in again.output and "--force" in again.output


def test_a_wrong_enrollment_code_is_one_line_saying_what_to_do(kiosk, network):
    result = kiosk_cli("enroll", "--server", BASE_URL, "--code", "WRONG-CODE")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Minta kode baru" in result.output


def test_a_server_address_that_is_not_a_url_is_refused(kiosk, network):
    result = kiosk_cli("enroll", "--server", "lengkap.go.id", "--code", "ENROLL-1234")
    assert result.exit_code == 1 and "tidak valid" in result.output


def test_sync_once_exits_0_when_everything_is_on_the_server(kiosk, network, submit):
    assert _enroll().exit_code == 0
    submit(photos=1)
    result = kiosk_cli("sync", "--once", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Sent 1 records" in result.output and "Everything is on the server." in result.output
    report = json.loads(kiosk_cli("sync", "--json").output)
    assert report["complete"] is True and report["sent"] == 0


def test_sync_once_exits_1_naming_the_quarantined_codes(kiosk, network, submit):
    _enroll()
    submit(applicant={"nik": "3174015708800002", "name": "Ditolak Server"})
    submit()
    network.reject = lambda body: body["applicant"]["name"] == "Ditolak Server"
    result = kiosk_cli("sync", "--once", "--lang", "en")
    assert result.exit_code == 1
    last_line = result.output.strip().splitlines()[-1]
    assert last_line.startswith("kiosk: 1 records quarantined") and "invalid_record" in last_line


def test_sync_once_says_when_the_server_cannot_be_reached(kiosk, network, submit):
    _enroll()
    submit()
    network.before.append(cut(times=100))
    result = kiosk_cli("sync", "--once")
    assert result.exit_code == 1
    assert "tidak dapat dihubungi" in result.output.strip().splitlines()[-1]


def test_a_revoked_device_is_told_so_and_keeps_its_records(kiosk, network, submit):
    _enroll()
    submit()
    network.revoked = True
    result = kiosk_cli("sync", "--lang", "en")
    assert result.exit_code == 1 and "revoked" in result.output
    status = json.loads(kiosk_cli("sync", "--status", "--json").output)
    assert status["pending"] == 1 and status["last_error"]["code"] == "sync.revoked_device"


def test_sync_before_enrolling_says_how_to_enroll(kiosk, network):
    result = kiosk_cli("sync", "--once", "--lang", "en")
    assert result.exit_code == 1 and "kiosk enroll --server" in result.output


def test_sync_status_shows_what_waits_what_was_set_aside_and_why(kiosk, network, submit):
    _enroll()
    submit(applicant={"nik": "3174015708800002", "name": "Ditolak Server"})
    network.reject = lambda body: body["applicant"]["name"] == "Ditolak Server"
    kiosk_cli("sync")
    submit()
    result = kiosk_cli("sync", "--status", "--lang", "en")
    assert result.exit_code == 0
    assert "Waiting to be sent: 1" in result.output
    assert "Quarantined: 1" in result.output
    assert "invalid_record: applicant.nik: The NIK is not valid." in result.output
    assert "Last successful sync: " in result.output
    as_json = json.loads(kiosk_cli("sync", "--status", "--json").output)
    assert as_json["quarantined"][0]["reason"]["id"] == "applicant.nik: NIK tidak valid."
    assert network.credential not in result.output + json.dumps(as_json)


def test_sync_status_says_the_last_error_in_words(kiosk, network, submit):
    _enroll()
    network.before.append(cut(times=100))
    kiosk_cli("sync")
    result = kiosk_cli("sync", "--status", "--lang", "en")
    assert "Last error: The server lengkap.test cannot be reached" in result.output
    assert "Never synced successfully yet." in result.output


def test_sync_modes_are_exclusive(kiosk, network):
    result = CliRunner().invoke(cli, ["sync", "--once", "--watch"])
    assert result.exit_code == 2


def test_sync_watch_prints_progress_until_ctrl_c(kiosk, network, submit):
    _enroll()
    submit(photos=1)

    def ctrl_c_after_the_first_pull(request: httpx.Request, response: httpx.Response):
        if request.url.path == "/v1/pull":
            raise KeyboardInterrupt
        return response

    network.after.append(ctrl_c_after_the_first_pull)
    result = kiosk_cli("sync", "--watch", "--lang", "en")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Syncing continuously (Ctrl-C to stop)."
    assert any(line.startswith("Photos: ") for line in lines)
    assert "Records: 1 of 1" in lines
    assert lines[-1] == "Sync stopped."
    assert network.records  # the record went before the interrupt


def test_the_enrollment_code_error_code_is_stable(kiosk, network):
    network.codes.clear()
    result = kiosk_cli("enroll", "--server", BASE_URL, "--code", "ENROLL-1234", "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["error"]["code"] == "sync.enrollment_refused"
    assert ErrorCode.INVALID_ENROLLMENT_CODE.value == "invalid_enrollment_code"


def _submission_state(kiosk, number: str) -> tuple[str, str | None]:
    row = kiosk.db.execute(
        "SELECT state, status_note FROM submissions WHERE register_number = ?", [number]
    ).fetchone()
    return row[0], row[1]


def _register_number(kiosk, client_id: str) -> str:
    query = "SELECT register_number FROM submissions WHERE client_id = ?"
    return str(kiosk.db.execute(query, [client_id]).fetchone()[0])


def test_a_quarantined_record_is_queued_again_and_sent_once_the_server_takes_it(
    kiosk, network, submit
):
    _enroll()
    refused = _register_number(
        kiosk, submit(applicant={"nik": "3174015708800002", "name": "Ditolak Server"})
    )
    network.reject = lambda body: body["applicant"]["name"] == "Ditolak Server"
    assert kiosk_cli("sync", "--once").exit_code == 1
    assert _submission_state(kiosk, refused)[0] == "rejected"

    # A number that is not quarantined is named, and nothing is requeued.
    unknown = kiosk_cli(
        "sync", "--requeue", refused, "--requeue", "AAAAAA-000009-X", "--lang", "en"
    )
    assert unknown.exit_code == 1
    assert "AAAAAA-000009-X" in unknown.output and refused not in unknown.output
    assert _submission_state(kiosk, refused)[0] == "rejected"

    requeued = kiosk_cli("sync", "--requeue", refused, "--json")
    assert requeued.exit_code == 0, requeued.output
    assert json.loads(requeued.output) == {"ok": True, "requeued": 1}
    assert _submission_state(kiosk, refused) == ("queued", None)

    network.reject = lambda body: False  # the centre fixed what refused it
    result = kiosk_cli("sync", "--once", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Sent 1 records" in result.output
    assert kiosk_cli("sync", "--requeue", "all", "--lang", "en").output.startswith("0 records")
