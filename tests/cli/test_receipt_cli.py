"""`kiosk receipt`: writes real PDF and PNG files; misuse and failures say what went wrong."""

from __future__ import annotations

import json

import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from kiosk.bootstrap import open_kiosk
from kiosk.cli import cli
from kiosk.domain.receipts import verify_receipt_code
from kiosk.domain.register_numbers import RegisterNumber
from kiosk.services.submissions import record_submission
from kiosk.store.keys import receipt_key
from tests.support.requests import STUDENT_NIK, kjp_request


@pytest.fixture
def number(data_dir) -> str:
    kiosk = open_kiosk(data_dir)
    try:
        return str(record_submission(kiosk, kjp_request()).submission.register_number)
    finally:
        kiosk.close()


def run(*args: str):
    return CliRunner().invoke(cli, ["receipt", *args], catch_exceptions=False)


def test_a_pdf_receipt_is_written(number, tmp_path):
    out = tmp_path / "receipt.pdf"
    result = run(number, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert str(out) in result.output
    assert result.output.startswith("Tanda terima ditulis ke")


def test_a_58mm_png_receipt_scans_back_to_a_code_this_device_signed(number, data_dir, tmp_path):
    out = tmp_path / "receipt.png"
    result = run(number, "--out", str(out), "--width", "58mm", "--lang", "en")
    assert result.exit_code == 0, result.output
    image = Image.open(out)
    assert image.width == 384
    [scanned] = zxingcpp.read_barcodes(image)
    kiosk = open_kiosk(data_dir)
    try:
        assert str(verify_receipt_code(scanned.text, receipt_key(kiosk.db))) == number
    finally:
        kiosk.close()


def test_json_output_names_the_file_and_masks_the_nik(number, tmp_path):
    out = tmp_path / "r.png"
    result = run(number, "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True
    assert data["register_number"] == number
    assert data["format"] == "png"
    assert data["width"] == "a6"
    assert data["nik"] == "3174********0003"
    assert STUDENT_NIK not in result.output


def test_another_extension_is_misuse(number, tmp_path):
    result = run(number, "--out", str(tmp_path / "receipt.jpg"))
    assert result.exit_code == 2
    assert ".pdf or .png" in result.output


def test_an_unknown_width_is_misuse(number, tmp_path):
    result = run(number, "--out", str(tmp_path / "r.pdf"), "--width", "80mm")
    assert result.exit_code == 2


def test_an_unknown_register_number_is_a_handled_error(data_dir, tmp_path):
    unknown = str(RegisterNumber("ABCDEF", 77))
    result = run(unknown, "--out", str(tmp_path / "r.pdf"), "--lang", "en")
    assert result.exit_code == 1
    assert f"Number {unknown} is not on this device." in result.output
    assert not (tmp_path / "r.pdf").exists()


def test_an_unwritable_path_is_a_handled_error(number, tmp_path):
    out = tmp_path / "no-such-folder" / "r.pdf"
    result = run(number, "--out", str(out), "--lang", "en")
    assert result.exit_code == 1
    assert "The receipt cannot be written" in result.output
    assert str(out) in result.output
