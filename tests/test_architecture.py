"""The layers point inward and the domain stays pure (import-linter contracts in pyproject.toml)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    command = shutil.which("lint-imports") or f"{Path(sys.executable).parent}/lint-imports"
    result = subprocess.run([command], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# One forbidden import per contract, each added to a copy of the code: each must be caught.
VIOLATIONS = {
    "The device-side sync engine never imports the kiosk": (
        "sync/worker.py",
        "from kiosk.store import outbox",
    ),
    "The wire protocol stands alone": ("sync/protocol.py", "import sync.client"),
    "The server reuses the domain and the shared reference data": (
        "sync/server/ingest.py",
        "import sync.worker",
    ),
    "The CLI skips no layer": ("kiosk/cli/check.py", "from kiosk.store import outbox"),
    "Views and the app skip no layer": (
        "kiosk/views/verify.py",
        "from kiosk.scan.keyboard import ScannerRead",
    ),
}


def test_each_import_contract_catches_the_import_it_forbids(tmp_path):
    for package in ("kiosk", "sync"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for path, line in VIOLATIONS.values():
        with (tmp_path / path).open("a", encoding="utf-8") as module:
            module.write(f"\n{line}  # noqa\n")
    command = shutil.which("lint-imports") or f"{Path(sys.executable).parent}/lint-imports"
    result = subprocess.run(
        [command, "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "400"},  # one line per contract
    )
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [
        line
        for line in result.stdout.splitlines()
        if line.endswith("BROKEN") or " BROKEN (" in line
    ]
    for contract in VIOLATIONS:
        assert any(line.startswith(contract) for line in broken), (contract, result.stdout)
    assert f"{len(VIOLATIONS)} broken" in result.stdout


def test_the_domain_and_the_wire_protocol_type_check_under_mypy_strict():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "kiosk/domain", "sync/protocol.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing_to_fix():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
