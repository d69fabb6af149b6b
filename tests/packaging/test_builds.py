"""The wheel and the desktop folder build, install and run outside the checkout.

Both call build/package.py, the recipe a release uses, so a broken recipe fails here first.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def package(target: str, out: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "build" / "package.py"), target, "--out", str(out)],
        cwd=out.parent,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_the_wheel_carries_the_assets_and_both_commands_run_from_it(tmp_path):
    output = package("wheel", tmp_path / "out")
    assert "ok: kiosk check" in output
    assert "ok: kiosk-server migrate" in output
    assert list((tmp_path / "out").glob("lengkap-*-py3-none-any.whl"))


@pytest.mark.slow
def test_the_desktop_folder_runs_the_cli_and_serves_the_app_without_python(tmp_path):
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed (pip install -e '.[test]')")
    out = tmp_path / "out"
    try:
        output = package("desktop", out)
        assert "ok: app served" in output
        assert (out / "desktop" / "kiosk" / "kiosk").is_file()
    finally:
        # About 300 MiB: do not leave it in pytest's kept temporary folders.
        shutil.rmtree(out, ignore_errors=True)
