"""`kiosk roster import` and `kiosk roster find` against a real kiosk data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import cli

ROWS = [
    "nik,nama,no_kk,tanggal_lahir,bank,rekening",
    "3171015203100001,Siti Aminah,3171012003150003,12-03-2010,BRI,001201000123501",
    "3171011203800002,Moh. Abd. Rahman,3171012003150003,1980-03-12,,",
    "317101520310001,Nik Pendek,,,,",
]


@pytest.fixture
def run(data_dir: Path):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, [*args, "--data-dir", str(data_dir)], catch_exceptions=False)

    return invoke


@pytest.fixture
def roster_csv(tmp_path: Path) -> Path:
    path = tmp_path / "daftar.csv"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def test_import_prints_the_counts_and_each_rejected_line(run, roster_csv):
    result = run("roster", "import", str(roster_csv), "--program", "kjp-plus")
    assert result.exit_code == 0, result.output
    assert "baru: 2" in result.output
    assert "ditolak: 1" in result.output
    assert "baris 4: NIK harus 16 digit angka; yang diketik 15 digit" in result.output


def test_import_json_has_the_report_and_bilingual_messages(run, roster_csv):
    result = run("roster", "import", str(roster_csv), "--program", "pkh", "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert (report["imported"], report["rejected"]) == (2, 1)
    [problem] = report["problems"]
    assert problem["line"] == 4
    assert "15 were typed" in problem["message"]["en"]


def test_a_second_import_reports_updates(run, roster_csv):
    run("roster", "import", str(roster_csv), "--program", "pkh")
    result = run("roster", "import", str(roster_csv), "--program", "pkh", "--lang", "en")
    assert "new: 0; updated: 2" in result.output


def test_a_file_that_cannot_be_read_exits_1_with_one_line(run, tmp_path):
    path = tmp_path / "tabel.csv"
    path.write_text("nomor,alamat\n1,Jl. Mawar\n", encoding="utf-8")
    result = run("roster", "import", str(path), "--program", "pkh")
    assert result.exit_code == 1
    assert "nik" in result.output and "tabel.csv:1" in result.output
    # Cells of the first line are never repeated: without a header row they are a person's data.
    assert "Jl. Mawar" not in result.output and "alamat" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_import_without_a_program_is_misuse(run, roster_csv):
    assert run("roster", "import", str(roster_csv)).exit_code == 2
    assert run("roster", "import", str(roster_csv), "--program", "bpnt").exit_code == 2


def test_find_by_nik_shows_the_entry_with_the_nik_masked(run, roster_csv):
    run("roster", "import", str(roster_csv), "--program", "pkh")
    result = run("roster", "find", "3171015203100001")
    assert result.exit_code == 0
    assert "3171********0001" in result.output
    assert "Siti Aminah" in result.output
    assert "3171015203100001" not in result.output
    assert "001201000123501" not in result.output


def test_find_by_nik_json_carries_the_full_entry(run, roster_csv):
    run("roster", "import", str(roster_csv), "--program", "pkh")
    result = run("roster", "find", "3171015203100001", "--json")
    data = json.loads(result.output)
    assert data["found"] is True
    assert data["entries"][0]["account"] == "001201000123501"


def test_find_an_unregistered_nik_exits_1(run, roster_csv):
    run("roster", "import", str(roster_csv), "--program", "pkh")
    result = run("roster", "find", "3171011203800099")
    assert result.exit_code == 1
    assert "tidak ada di daftar" in result.output


def test_find_a_malformed_nik_exits_1_with_the_reason(run):
    result = run("roster", "find", "12345")
    assert result.exit_code == 1
    assert "5 digit" in result.output


def test_find_by_name_lists_matches_with_verdicts(run, roster_csv):
    run("roster", "import", str(roster_csv), "--program", "pkh")
    result = run("roster", "find", "--name", "Muhammad Abdul Rahman", "--lang", "en")
    assert result.exit_code == 0
    assert "1. 3171********0002  Moh. Abd. Rahman  [pkh]  match" in result.output


def test_find_by_name_json_and_limit(run, roster_csv):
    run("roster", "import", str(roster_csv), "--program", "pkh")
    result = run("roster", "find", "--name", "Siti Aminah", "--limit", "1", "--json")
    data = json.loads(result.output)
    assert len(data["matches"]) == 1
    assert data["matches"][0]["verdict"] == "match"


def test_find_by_name_with_no_resemblance_exits_1(run, roster_csv):
    run("roster", "import", str(roster_csv), "--program", "pkh")
    result = run("roster", "find", "--name", "Xavier Quinn")
    assert result.exit_code == 1


def test_find_needs_exactly_one_of_nik_kk_or_name(run):
    result = run("roster", "find")
    assert result.exit_code == 2
    assert "Berikan salah satu saja: NIK, --kk NOMOR, atau --name NAMA." in result.output
    result = run("roster", "find", "--lang", "en")
    assert "Give exactly one of: a NIK, --kk NUMBER or --name NAME." in result.output
    assert run("roster", "find", "3171015203100001", "--name", "Siti").exit_code == 2
    assert run("roster", "find", "--kk", "3171012003150003", "--name", "Siti").exit_code == 2


def test_find_by_kk_lists_everyone_on_the_family_card(run, roster_csv):
    run("roster", "import", str(roster_csv), "--program", "pkh")
    result = run("roster", "find", "--kk", "3171012003150003", "--json")
    assert result.exit_code == 0, result.output
    names = sorted(entry["name"] for entry in json.loads(result.output)["entries"])
    assert names == ["Moh. Abd. Rahman", "Siti Aminah"]


def test_find_by_an_unregistered_kk_exits_1_with_the_number_masked(run, roster_csv):
    run("roster", "import", str(roster_csv), "--program", "pkh")
    result = run("roster", "find", "--kk", "3171012003150011")
    assert result.exit_code == 1
    assert "3171********0011" in result.output and "3171012003150011" not in result.output


def test_a_nik_repeated_in_one_file_is_reported_with_both_lines(run, tmp_path):
    path = tmp_path / "dobel.csv"
    path.write_text("\n".join([*ROWS[:3], ROWS[1].replace("Siti Aminah", "Siti A.")]) + "\n")
    result = run("roster", "import", str(path), "--program", "pkh", "--json")
    report = json.loads(result.output)
    assert (report["imported"], report["updated"], report["repeated"]) == (2, 1, 1)
    assert report["repeats"] == [{"line": 4, "first_line": 2}]
    plain = run("roster", "import", str(path), "--program", "kjp-plus")
    assert "baris 4: NIK sama dengan baris 2" in plain.output


def test_every_roster_command_has_help_text(run):
    for command in ("import", "find"):
        result = run("roster", command, "--help")
        assert result.exit_code == 0
        assert len(result.output.splitlines()) > 3
