"""Files that cannot be read give one line naming the file, the line and the field, never a value
and never a traceback: a roster without its header row, cells past the csv module's size limit,
rule files nested thousands deep, and a device database another process holds locked."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import cli as kiosk_cli
from kiosk.settings import DATABASE_FILE
from sync.server.cli import cli as server_cli

NIK, NAME, KK, ACCOUNT = "3171015203100001", "Siti Aminah", "3171012003150003", "001201000123501"
FIRST_ROW = f"{NIK},{NAME},{KK},BRI,{ACCOUNT}"
HUGE = "x" * 200_000  # past the csv module's 131,072-character field limit


def _kiosk(data_dir: Path, *args: str):
    return CliRunner().invoke(
        kiosk_cli, [*args, "--data-dir", str(data_dir), "--lang", "en"], catch_exceptions=False
    )


def _server(tmp_path: Path, *args: str):
    data = tmp_path / "server-data"
    return CliRunner().invoke(
        server_cli, [*args, "--data-dir", str(data), "--lang", "en"], catch_exceptions=False
    )


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output[:2000]
    assert "Traceback" not in output
    return lines[0]


def _no_personal_data(output: str) -> None:
    for value in (NIK, NAME, KK, ACCOUNT):
        assert value not in output


def test_a_roster_without_its_header_row_names_no_value_on_the_device(data_dir, tmp_path):
    path = _file(tmp_path, "tanpa-judul.csv", FIRST_ROW + "\n")
    result = _kiosk(data_dir, "roster", "import", str(path), "--program", "pkh")
    assert result.exit_code == 1
    line = _one_line(result.output)
    assert "tanpa-judul.csv:1" in line and "nik, name" in line
    _no_personal_data(result.output)


def test_a_roster_without_its_header_row_names_no_value_on_the_server(tmp_path):
    path = _file(tmp_path, "tanpa-judul.csv", FIRST_ROW + "\n")
    result = _server(tmp_path, "roster", "publish", str(path), "--program", "pkh")
    assert result.exit_code == 1
    _one_line(result.output)
    _no_personal_data(result.output)


@pytest.mark.parametrize(
    "text", [f'nik,"{HUGE}"\n{FIRST_ROW}\n', f'"{HUGE}\n'], ids=["huge header", "huge first cell"]
)
def test_a_header_past_the_field_limit_is_one_line_on_the_device(data_dir, tmp_path, text):
    path = _file(tmp_path, "besar.csv", text)
    result = _kiosk(data_dir, "roster", "import", str(path), "--program", "pkh")
    assert result.exit_code == 1
    line = _one_line(result.output)
    assert "besar.csv:1" in line and "131072" in line
    _no_personal_data(result.output)


@pytest.mark.parametrize(
    "text", [f'nik,"{HUGE}"\n{FIRST_ROW}\n', f'"{HUGE}\n'], ids=["huge header", "huge first cell"]
)
def test_a_header_past_the_field_limit_is_one_line_on_the_server(tmp_path, text):
    path = _file(tmp_path, "besar.csv", text)
    result = _server(tmp_path, "roster", "publish", str(path), "--program", "pkh")
    assert result.exit_code == 1
    line = _one_line(result.output)
    assert f"{path}:1" in line and "131072" in line


def test_a_row_past_the_field_limit_is_that_rows_problem_on_the_server(tmp_path):
    rows = ["nik,nama,kode_wilayah", f'3171011203800002,"{HUGE}",3171', f"{NIK},{NAME},3171"]
    path = _file(tmp_path, "baris-besar.csv", "\n".join(rows) + "\n")
    result = _server(tmp_path, "roster", "publish", str(path), "--program", "pkh")
    assert result.exit_code == 0, result.output[:2000]
    assert "Traceback" not in result.output
    assert "line 2" in result.output and "131072" in result.output
    assert "1 published" in result.output


def _deep_rules(tmp_path: Path) -> Path:
    return _file(tmp_path, "pkh.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n")


def test_a_rule_file_nested_thousands_deep_is_one_line_on_the_device(data_dir, tmp_path):
    path = _deep_rules(tmp_path)
    result = _kiosk(data_dir, "rules", "install", str(path))
    assert result.exit_code == 1
    assert f"{path}:1" in _one_line(result.output)


def test_a_rule_file_nested_thousands_deep_is_one_line_on_the_server(tmp_path):
    path = _deep_rules(tmp_path)
    result = _server(tmp_path, "rules", "publish", str(path))
    assert result.exit_code == 1
    assert f"{path}:1" in _one_line(result.output)


def test_a_device_database_locked_by_another_process_is_one_line(data_dir, tmp_path):
    roster = _file(tmp_path, "daftar.csv", f"nik,nama\n{NIK},{NAME}\n")
    assert _kiosk(data_dir, "roster", "import", str(roster), "--program", "pkh").exit_code == 0
    database = data_dir / DATABASE_FILE
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n",
            str(database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        result = _kiosk(data_dir, "roster", "import", str(roster), "--program", "pkh")
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert result.exit_code == 1
    line = _one_line(result.output)
    assert str(database) in line and "another program" in line
    _no_personal_data(result.output)
