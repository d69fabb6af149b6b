"""`kiosk nik` and `kiosk kk`: exit codes 0/1/2, Indonesian by default, English on request, JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kiosk.cli import cli

AS_OF = ["--as-of", "2025-06-01"]


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_a_valid_nik_exits_0_and_describes_the_person_in_indonesian(run):
    result = run("nik", "3171015203100001", *AS_OF)
    assert result.exit_code == 0, result.output
    assert "sah" in result.output
    assert "perempuan" in result.output
    assert "12-03-2010" in result.output
    assert "Gambir" in result.output
    assert "3171015203100001" not in result.output  # echoed masked


def test_english_is_available_with_lang_en(run):
    result = run("nik", "3171015203100001", "--lang", "en", *AS_OF)
    assert result.exit_code == 0
    assert "valid" in result.output
    assert "female" in result.output


def test_a_nik_typed_in_groups_is_read_as_one_number(run):
    assert run("nik", "3171", "0152", "0310", "0001", *AS_OF).exit_code == 0


def test_an_invalid_nik_exits_1_and_prints_the_reason(run):
    result = run("nik", "317101520310001", *AS_OF)
    assert result.exit_code == 1
    assert "tidak sah" in result.output
    assert "15 digit" in result.output


def test_a_student_role_warns_about_an_adult_nik(run):
    result = run("nik", "3171015203800001", "--role", "student", *AS_OF)
    assert result.exit_code == 0
    assert "45 tahun" in result.output


def test_a_pre_split_papua_nik_is_valid_and_explained(run):
    result = run("nik", "9101015203100001", "--lang", "en", *AS_OF)
    assert result.exit_code == 0
    assert "Kabupaten Merauke" in result.output
    assert "2022 Papua splits" in result.output


def test_json_output_has_the_structured_result_and_messages_in_both_languages(run):
    result = run("nik", "3171015203100001", "--json", "--role", "student", *AS_OF)
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["valid"] is True
    assert data["gender"] == "P"
    assert data["birth_date"] == "2010-03-12"
    assert data["region"]["district"] == "Gambir"


def test_json_output_of_an_invalid_nik_carries_bilingual_messages_and_exits_1(run):
    result = run("nik", "3171013502100001", "--json", *AS_OF)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["valid"] is False
    [problem] = data["errors"]
    assert problem["code"] == "nik.day_out_of_range"
    assert "35" in problem["message"]["id"]
    assert "35" in problem["message"]["en"]


def test_a_missing_number_is_misuse_with_exit_2(run):
    result = run("nik")
    assert result.exit_code == 2


def test_an_unknown_role_is_misuse_with_exit_2(run):
    assert run("nik", "3171015203100001", "--role", "teacher").exit_code == 2


def test_a_valid_kk_exits_0_with_its_recording_date(run):
    result = run("kk", "3171012003150003", *AS_OF)
    assert result.exit_code == 0
    assert "20-03-2015" in result.output


def test_a_womans_nik_typed_as_a_kk_exits_1_with_the_hint(run):
    result = run("kk", "3171015203100001", "--lang", "en", *AS_OF)
    assert result.exit_code == 1
    assert "woman's NIK" in result.output


def test_kk_json_output_is_structured(run):
    result = run("kk", "3171012003150003", "--json", *AS_OF)
    assert result.exit_code == 0
    assert json.loads(result.output)["issue_date"] == "2015-03-20"


def test_every_identity_command_has_help_text_in_indonesian_then_english(run):
    for command in ("nik", "kk"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert "16 angka" in result.output
        result = run(command, "--help", "--lang", "en")
        assert result.exit_code == 0
        assert "16 digits" in result.output
