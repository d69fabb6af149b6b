"""`kiosk scan`: one line per code, per file without a code, per unreadable file; exit 0 or 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.i18n import text
from kiosk.services.scanning import payloads_in_photo
from tests.scan.code_images import code, encoded, page

NIK = "3174015203100001"  # structurally valid: day 52 = a woman born on the 12th


@pytest.fixture
def run(data_dir):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["scan", *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {
        "two": page(
            (code("qr", "https://verifikasi.dukcapil.kemendagri.go.id/kk?sig=Ab12", 4), (30, 40)),
            (code("code128", NIK, 2), (300, 120)),
            size=(720, 400),
        ),
        "none": page(size=(320, 200)),
    }
    paths = {}
    for name, image in made.items():
        paths[name] = tmp_path / f"{name}.png"
        paths[name].write_bytes(encoded(image))
    paths["broken"] = tmp_path / "broken.jpg"
    paths["broken"].write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return paths


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_json_gives_one_line_per_code_with_kind_fields_position_backend_and_time(run, files):
    result = run(str(files["two"]), "--json")
    assert result.exit_code == 0, result.output
    lines = {line["format"]: line for line in _lines(result.output)}
    assert set(lines) == {"qr", "code128"}
    link, number = lines["qr"], lines["code128"]
    for line in (link, number):
        assert line["file"] == str(files["two"])
        assert line["status"] == "found"
        assert {"text", "kind", "fields", "position", "backend", "ms"} <= set(line)
        assert len(line["position"]) == 4 and line["backend"] == "zxing-cpp" and line["ms"] > 0
    assert link["kind"] == "dukcapil_link"
    assert link["fields"] == {"url": "https://verifikasi.dukcapil.kemendagri.go.id/kk?sig=Ab12"}
    assert number["text"] == NIK
    assert number["kind"] == "nik"


def test_a_file_without_a_code_gets_its_own_line_and_exit_0(run, files):
    result = run(str(files["none"]), "--json")
    assert result.exit_code == 0
    [line] = _lines(result.output)
    assert line["status"] == "none"
    assert line["file"] == str(files["none"])
    assert line["reason"]["code"] == "scan.none"


def test_an_unreadable_file_gets_its_reason_the_batch_goes_on_and_the_exit_is_1(run, files):
    result = run(str(files["broken"]), str(files["none"]), str(files["two"]), "--json")
    assert result.exit_code == 1
    lines = _lines(result.output)
    assert [line["status"] for line in lines] == ["unreadable", "none", "found", "found"]
    reason = lines[0]["reason"]
    assert reason["code"] == "scan.image.damaged"  # a JPEG header, then nothing usable
    assert reason["message"]["id"] and reason["message"]["en"]


def test_plain_output_is_indonesian_by_default_with_the_nik_masked(run, files):
    result = run(str(files["two"]), str(files["none"]))
    assert result.exit_code == 0
    assert "tidak ada kode yang ditemukan" in result.output
    assert text("payload.kind.dukcapil_link", "id") in result.output
    assert "3174********0001" in result.output
    assert NIK not in result.output
    assert "2 berkas: 2 kode ditemukan, 0 tidak dapat dibaca" in result.output


def test_plain_output_in_english_names_the_unreadable_file(run, files):
    result = run(str(files["broken"]), "--lang", "en")
    assert result.exit_code == 1
    assert f"{files['broken']}: cannot be read:" in result.output


def test_binary_payloads_are_reported_as_binary(run, tmp_path):
    path = tmp_path / "biner.png"
    path.write_bytes(encoded(page((code("qr", b"\x00\xff\xfe\x80data", 4), (20, 20)))))
    [line] = _lines(run(str(path), "--json").output)
    assert line["text"] is None
    assert line["kind"] == "binary"
    assert line["raw_hex"] == b"\x00\xff\xfe\x80data".hex()
    plain = run(str(path), "--lang", "en").output
    assert "binary data, 8 bytes" in plain


def test_backends_are_listed_with_their_state(run):
    result = run("--backends", "--json")
    assert result.exit_code == 0
    states = {line["backend"]: line for line in _lines(result.output)}
    assert states["zxing-cpp"]["active"] is True
    assert "pyzbar" in states
    plain = run("--backends").output
    assert "zxing-cpp" in plain and "aktif" in plain


def test_no_image_is_misuse(run):
    result = CliRunner().invoke(cli, ["scan"])
    assert result.exit_code == 2


# --- what each code's findings say -------------------------------------------------------------

DUKCAPIL_LINK = "https://verifikasi.dukcapil.kemendagri.go.id/kk?sig=Ab12"
BAD_INVITATION = "PKH-2026-T1-000777"  # PKH's pattern wants PKH-<year>-<stage>-<region>-<number>


def _single_code_file(tmp_path: Path, fmt: str, payload: str | bytes) -> Path:
    path = tmp_path / f"{fmt}.png"
    path.write_bytes(encoded(page((code(fmt, payload, 3), (30, 30)), size=(720, 400))))
    return path


def test_an_invalid_invitation_is_marked_not_valid_with_its_first_error(run, tmp_path):
    path = _single_code_file(tmp_path, "code128", BAD_INVITATION)
    plain = run(str(path), "--lang", "en").output
    bad_shape = text("payload.invitation.bad_shape", "en", example="PKH-2026-2-3174-000981")
    assert f"(Program invitation letter, NOT VALID: {bad_shape})" in plain
    assert "(Program invitation letter)" not in plain
    [line] = _lines(run(str(path), "--json", "--lang", "en").output)
    assert line["valid"] is False
    [finding] = line["findings"]
    assert finding["code"] == "payload.invitation.bad_shape"
    assert finding["severity"] == "error"
    assert finding["message"] == bad_shape


def test_json_findings_follow_the_chosen_language(run, files):
    by_language = {}
    for lang in ("id", "en"):
        lines = _lines(run(str(files["two"]), "--json", "--lang", lang).output)
        [link] = [line for line in lines if line["kind"] == "dukcapil_link"]
        by_language[lang] = link["findings"]
    codes = [finding["code"] for finding in by_language["en"]]
    assert codes == ["payload.dukcapil.verify_in_ikd", "payload.dukcapil.type_numbers"]
    for lang, findings in by_language.items():
        assert findings[0]["message"] == text("payload.dukcapil.verify_in_ikd", lang)


def test_plain_output_gives_the_dukcapil_ikd_step_and_the_not_recognised_sentence(run, tmp_path):
    link = _single_code_file(tmp_path, "qr", DUKCAPIL_LINK)
    other = tmp_path / "other.png"
    other.write_bytes(encoded(page((code("qr", "halo dunia, apa kabar", 3), (30, 30)))))
    plain = run(str(link), str(other)).output
    assert text("payload.dukcapil.verify_in_ikd", "id") in plain
    assert text("payload.unrecognised", "id") in plain
    assert "TIDAK VALID" not in plain  # a link and an unknown text fail no check


def test_the_app_and_the_cli_classify_control_bytes_alike_as_binary(run, kiosk, tmp_path):
    """UTF-8 with a stray control byte is binary for the decoder; the app once re-read it as text."""
    payload = b"ID\x01 3174015203100001"
    path = _single_code_file(tmp_path, "qr", payload)
    [line] = _lines(run(str(path), "--json").output)
    [in_app] = payloads_in_photo(kiosk, path.read_bytes())
    assert line["kind"] == in_app.kind.value == "binary"
    assert in_app.text is None and in_app.raw == payload
