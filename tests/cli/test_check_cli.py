"""`kiosk check` and `kiosk rules`: exit codes, languages, JSON, one-line errors with file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.store.rules import override_rules_dir, shipped_rules_dir

RULES = Path(__file__).parent.parent / "assets" / "rules"


@pytest.fixture
def run(data_dir: Path):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


# --- kiosk check --------------------------------------------------------------------------------


def test_an_incomplete_check_exits_0_and_says_what_is_missing_and_why(run):
    result = run(
        "check",
        "--program",
        "kjp-plus",
        "--stage",
        "2",
        "--fact",
        "level=sma",
        "--fact",
        "recipient=new",
        "--fact",
        "collector=guardian",
        "--have",
        "kk,ktp_wali",
    )
    assert result.exit_code == 0
    assert "Belum lengkap: 9 dokumen kurang." in result.stdout
    assert "Surat keterangan sekolah yang menyebut nama wali [surat_sekolah_wali]" in result.stdout
    assert "Kartu pelajar atau KTP siswa [kartu_pelajar]" in result.stdout
    assert "Mengapa perlu: Karena yang mengambil kartu bukan orang tua" in result.stdout
    assert "Fotokopi Kartu Keluarga (KK) [kk]" in result.stdout


def test_a_complete_check_says_so_in_english_on_request(run):
    have = "permohonan,pernyataan_ketaatan,ktp_wali,kk,sptjm,formulir_data"
    result = run(
        "check",
        "--program",
        "kjp-plus",
        "--stage",
        "1",
        "--fact",
        "recipient=continuing",
        "--have",
        have,
        "--lang",
        "en",
    )
    assert result.exit_code == 0
    assert "Complete. Every document needed is here." in result.stdout
    assert "Stage I (January to June)" in result.stdout


def test_unanswered_questions_are_shown_with_their_choices(run):
    result = run("check", "--program", "kjp-plus", "--stage", "2", "--fact", "level=smk")
    assert result.exit_code == 0
    assert "Pertanyaan yang perlu dijawab:" in result.stdout
    assert "--fact recipient=new|continuing" in result.stdout
    assert "tergantung jawaban: recipient" in result.stdout


def test_yes_no_answers_are_understood_in_indonesian(run):
    result = run(
        "check",
        "--program",
        "pkh",
        "--stage",
        "4",
        "--json",
        "--fact",
        "pakai_kks=tidak",
        "--fact",
        "LANSIA=Ya",
        "--have",
        "KK",
        "--have",
        "kks",
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert "surat_lansia" in data["missing"]
    assert "kks" not in [item["document"] for item in data["items"]]
    assert [doc["document"] for doc in data["not_needed"]] == ["kks"]
    assert "ibu_hamil" in data["missing_facts"]


def test_json_output_carries_both_languages(run):
    result = run("check", "--program", "pkh", "--stage", "1", "--json")
    data = json.loads(result.stdout)
    assert data["complete"] is False
    assert set(data["items"][0]["why"]) == {"id", "en"}
    assert data["questions"][0]["kind"] == "boolean"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--program", "kjp-plus", "--stage", "3"), "stage: Program kjp-plus tidak punya tahap 3"),
        (("--program", "bpnt", "--stage", "1"), 'Program "bpnt" tidak dikenal'),
        (
            ("--program", "kjp-plus", "--stage", "1", "--fact", "level=smu"),
            "Yang boleh: sd, smp, sma, smk, pkbm.",
        ),
        (("--program", "pkh", "--stage", "1", "--fact", "lansia=mungkin"), "ya, tidak"),
        (("--program", "pkh", "--stage", "1", "--have", "kartu"), 'tidak punya dokumen "kartu"'),
    ],
)
def test_bad_input_exits_1_with_one_line(run, args: tuple[str, ...], expected: str):
    result = run("check", *args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert expected in result.stderr


def test_a_missing_option_is_misuse_and_exits_2(run):
    assert run("check", "--stage", "1").exit_code == 2


def test_a_fact_without_a_value_is_misuse_and_exits_2_naming_the_option(run):
    result = run("check", "--program", "kjp-plus", "--stage", "1", "--fact", "level")
    assert result.exit_code == 2
    assert "--fact" in result.stderr
    assert "nama=nilai" in result.stderr


def test_a_json_error_goes_to_stderr_as_json(run):
    result = run("check", "--program", "kjp-plus", "--stage", "9", "--json")
    assert result.exit_code == 1
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "requirements.unknown_stage"
    assert set(error["message"]) == {"id", "en"}


# --- kiosk rules --------------------------------------------------------------------------------


def test_rules_list_shows_each_program_and_where_its_rules_come_from(run):
    result = run("rules", "list", "--lang", "en")
    assert result.exit_code == 0
    assert "kjp-plus" in result.stdout and "pkh" in result.stdout
    assert f"shipped rules: {shipped_rules_dir() / 'pkh.toml'}" in result.stdout


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("syntax-error.toml", 29),
        ("unknown-document.toml", 39),
        ("bad-condition.toml", 41),
        ("missing-translation.toml", 36),
        ("duplicate-stage.toml", 29),
    ],
)
def test_rules_validate_exits_1_with_file_and_line(run, name: str, line: int):
    path = RULES / name
    result = run("rules", "validate", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"kiosk: {path}:{line}: ")
    assert result.stderr.count("\n") == 1


def test_rules_validate_accepts_a_good_file(run):
    result = run("rules", "validate", str(RULES / "valid-demo.toml"), "--lang", "en")
    assert result.exit_code == 0
    assert "The rule file is valid: demo version 1, 2 stage(s), 2 document(s)." in result.stdout


def test_rules_install_puts_a_file_in_force_and_list_shows_it(run, data_dir: Path):
    result = run("rules", "install", str(RULES / "valid-demo.toml"), "--json")
    assert result.exit_code == 0
    installed = json.loads(result.stdout)
    assert installed["path"] == str(override_rules_dir(data_dir) / "demo.toml")
    listed = json.loads(run("rules", "list", "--json").stdout)["programs"]
    demo = next(program for program in listed if program["program"] == "demo")
    assert demo["overridden"] is True
    check = run("check", "--program", "demo", "--stage", "1", "--have", "kk")
    assert check.exit_code == 0
    assert "Lengkap." in check.stdout


def test_rules_install_refuses_an_invalid_file_and_keeps_the_old_one(run, data_dir: Path):
    assert run("rules", "install", str(RULES / "valid-demo.toml")).exit_code == 0
    target = override_rules_dir(data_dir) / "demo.toml"
    before = target.read_bytes()
    result = run("rules", "install", str(RULES / "unknown-document.toml"))
    assert result.exit_code == 1
    assert f"{RULES / 'unknown-document.toml'}:39:" in result.stderr
    assert target.read_bytes() == before


def test_every_command_has_help_text(run):
    for args in (
        ("check",),
        ("rules",),
        ("rules", "list"),
        ("rules", "validate"),
        ("rules", "install"),
    ):
        result = run(*args, "--help")
        assert result.exit_code == 0
        help_lines = result.stdout.split("Options:")[0].strip().splitlines()
        assert len(help_lines) >= 2, args
