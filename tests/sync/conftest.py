"""Fixtures for sync tests: a kiosk with queued records and photos, and an in-memory server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk.bootstrap import Kiosk, sync_device
from kiosk.services.complaints import file_new_complaint
from kiosk.services.submissions import record_submission
from sync.client import SyncClient
from sync.report import SyncReport
from sync.retry import RetryPolicy
from sync.uploads import UploadSettings
from sync.worker import RunSettings, sync_once
from tests.support.images import document_photo
from tests.support.requests import kjp_request
from tests.sync.fake_server import BASE_URL, FakeServer

CLOCK = datetime(2026, 8, 3, 3, 0, tzinfo=UTC)
DOCUMENTS = ("ktp_wali", "kartu_pelajar", "formulir_rekening")


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def submit(kiosk: Kiosk, tmp_path: Path) -> Callable[..., str]:
    """Record a KJP Plus submission offline, with `photos` document photos; returns its client id."""
    counter = [0]

    def record(photos: int = 0, **overrides: Any) -> str:
        counter[0] += 1
        documents: list[dict[str, str]] = [{"type": "kk"}]
        for index, document in enumerate(DOCUMENTS[:photos]):
            name = f"photo-{counter[0]}-{index}.jpg"
            (tmp_path / name).write_bytes(document_photo(seed=counter[0] * 10 + index))
            documents.append({"type": document, "photo": name})
        request = kjp_request(documents=documents, **overrides)
        outcome = record_submission(kiosk, request, source="sub.json", base_dir=tmp_path)
        return outcome.submission.client_id

    return record


@pytest.fixture
def complain(kiosk: Kiosk) -> Callable[[], str]:
    def record() -> str:
        return file_new_complaint(
            kiosk,
            category="late_disbursement",
            description="Dana tahap 2 belum masuk.",
            name="Hj. Aminah",
        ).client_id

    return record


class Runner:
    """Runs sync_once against a FakeServer with a fixed clock and recorded sleeps."""

    def __init__(self, kiosk: Kiosk, server: FakeServer) -> None:
        self.kiosk, self.server = kiosk, server
        self.sleeps: list[float] = []
        self.draws: list[float] = []
        self.progress: list[Any] = []
        self.policy = RetryPolicy()

    def draw(self) -> float:
        return self.draws.pop(0) if self.draws else 0.5

    def __call__(self, **options: Any) -> SyncReport:
        with self.server.http() as http:
            client = SyncClient(http, BASE_URL, self.server.credential)
            settings = RunSettings(
                policy=options.pop("policy", self.policy),
                uploads=UploadSettings(**options.pop("uploads", {})),
                clock=lambda: CLOCK,
                sleep=self.sleeps.append,
                draw=self.draw,
            )
            return sync_once(
                sync_device(self.kiosk),
                client,
                settings,
                on_progress=self.progress.append,
                **options,
            )


@pytest.fixture
def run(kiosk: Kiosk, server: FakeServer) -> Runner:
    return Runner(kiosk, server)
