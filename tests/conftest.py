"""Fixtures shared by every test: a real SQLite database, fresh for each test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.bootstrap import Kiosk, open_kiosk
from kiosk.store.database import open_database


@pytest.fixture
def fresh_db():
    """A real, migrated, in-memory SQLite database."""
    db = open_database(":memory:")
    yield db
    db.close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data folder, also set as KIOSK_DATA_DIR so CLI calls without --data-dir use it."""
    folder = tmp_path / "data"
    monkeypatch.setenv("KIOSK_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def kiosk(data_dir: Path):
    """A kiosk on a real SQLite file in a temporary folder."""
    opened: Kiosk = open_kiosk(data_dir)
    yield opened
    opened.close()


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("HYPOTHESIS_PROFILE", "default")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With KIOSK_NO_SKIPS=1 (CI), a skipped test fails the run: CI must run every test."""
    if os.environ.get("KIOSK_NO_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"KIOSK_NO_SKIPS=1: {len(skipped)} test(s) skipped; CI runs every test.", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
