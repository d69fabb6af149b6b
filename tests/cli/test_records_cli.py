"""`kiosk submit`, `status`, `complaint` and `export` as a user runs them: exit codes, text, JSON."""

import json

import pytest
from click.testing import CliRunner

from kiosk.bootstrap import open_kiosk
from kiosk.cli import cli
from tests.support.images import document_photo
from tests.support.requests import MOTHER_NIK, kjp_request


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def submission_file(tmp_path):
    (tmp_path / "kk.jpg").write_bytes(document_photo())
    path = tmp_path / "sub.json"
    path.write_text(json.dumps(kjp_request(documents=[{"type": "kk", "photo": "kk.jpg"}])))
    return path


def test_submit_prints_the_register_number_and_what_is_missing(data_dir, submission_file):
    result = _invoke("submit", submission_file)
    assert result.exit_code == 0, result.output
    assert "Nomor registrasi:" in result.output
    assert "SPTJM" in result.output


def test_submit_json_then_status_json_round_trip(data_dir, submission_file):
    saved = json.loads(_invoke("submit", submission_file, "--json").output)
    assert saved["state"] == "queued" and saved["completeness"] == "incomplete"
    status = _invoke("status", saved["register_number"], "--json")
    assert status.exit_code == 0
    report = json.loads(status.output)
    assert report["register_number"] == saved["register_number"]
    assert report["nik"].count("*") == 8
    assert {d["document"] for d in report["missing_documents"]} >= {"sptjm"}
    assert report["next_step"]["en"].startswith("Next step: bring")


def test_status_in_english(data_dir, submission_file):
    number = json.loads(_invoke("submit", submission_file, "--json").output)["register_number"]
    result = _invoke("status", number, "--lang", "en")
    assert "waiting to be sent" in result.output


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{ not json", "sub.json:1:3"),
        (b"\xff\xfe\x00garbage", "sub.json: byte"),
        (b"[1, 2]", "sub.json"),
    ],
)
def test_a_malformed_file_is_one_line_naming_where_and_exit_1(
    data_dir, tmp_path, content, fragment
):
    path = tmp_path / "sub.json"
    path.write_bytes(content)
    result = _invoke("submit", path)
    assert result.exit_code == 1
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_file_is_a_handled_error(data_dir, tmp_path):
    result = _invoke("submit", tmp_path / "nope.json")
    assert result.exit_code == 1
    assert "nope.json" in result.stderr


def test_status_of_a_mistyped_number_says_so(data_dir, submission_file):
    number = json.loads(_invoke("submit", submission_file, "--json").output)["register_number"]
    wrong_check = number[:-1] + ("1" if number[-1] != "1" else "2")
    result = _invoke("status", wrong_check)
    assert result.exit_code == 1
    assert "salah ketik" in result.stderr


def test_misuse_exits_2(data_dir):
    assert _invoke("status").exit_code == 2
    assert _invoke("complaint", "file", "--category", "nonsense").exit_code == 2


def test_complaint_file_and_show(data_dir):
    filed = _invoke(
        "complaint",
        "file",
        "--category",
        "wrong_data",
        "--description",
        "Nomor rekening salah",
        "--name",
        "Aminah",
        "--nik",
        MOTHER_NIK,
        "--json",
    )
    assert filed.exit_code == 0, filed.output
    record = json.loads(filed.output)
    shown = _invoke("complaint", "show", record["register_number"])
    assert "Data salah" in shown.output
    assert record["resolution_due"][:10] in shown.output


def test_complaint_show_refuses_a_submission_number(data_dir, submission_file):
    number = json.loads(_invoke("submit", submission_file, "--json").output)["register_number"]
    result = _invoke("complaint", "show", number)
    assert result.exit_code == 1


def test_export_prints_one_json_line_per_record_with_number_and_client_id(
    data_dir, submission_file
):
    _invoke("submit", submission_file)
    _invoke("complaint", "file", "--category", "other", "--description", "x", "--name", "A")
    lines = _invoke("export").output.strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert sorted(r["kind"] for r in records) == ["complaint", "submission"]
    assert all(r["register_number"] and r["client_id"] for r in records)
    assert _invoke("export", "--since", "2999-01-01").output == ""
    bad = _invoke("export", "--since", "yesterday")
    assert bad.exit_code == 1 and "yesterday" in bad.stderr


def test_status_shows_the_staff_note_in_the_language_asked_for(data_dir, submission_file):
    number = json.loads(_invoke("submit", submission_file, "--json").output)["register_number"]
    kiosk = open_kiosk(data_dir)
    try:
        kiosk.db.execute(
            "UPDATE submissions SET state = 'verified', status_note = ?, status_note_en = ?",
            [
                "Dokumen dan data Anda sudah diverifikasi.",
                "Your documents and data have been verified.",
            ],
        )
    finally:
        kiosk.close()
    assert (
        "Your documents and data have been verified."
        in _invoke("status", number, "--lang", "en").output
    )
    assert "Dokumen dan data Anda sudah diverifikasi." in _invoke("status", number).output
    report = json.loads(_invoke("status", number, "--json").output)
    assert report["status_note_en"] == "Your documents and data have been verified."
