"""Records pushed the way a kiosk pushes them, and the device's pull feed read back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from sync.protocol import Change, PullResponse
from sync.server.storage import Database, audit, changes
from tests.server.records import complaint_record, push_body, submission_record
from tests.support.server import EnrolledDevice


def push(device: EnrolledDevice, *records: Any) -> list[str]:
    """Push records; returns their register numbers (all must be accepted)."""
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(*records))
    answer.raise_for_status()
    results = answer.json()["results"]
    assert {r["status"] for r in results} == {"accepted"}, results
    return [r["register_number"] for r in results]


def new_complaint(device: EnrolledDevice, **body: Any) -> str:
    return push(device, complaint_record(device.device_code, **body))[0]


def new_submission(device: EnrolledDevice, **options: Any) -> str:
    return push(device, submission_record(device.device_code, **options))[0]


def status_changes(device: EnrolledDevice) -> list[Change]:
    """Every status change this device can pull, from the beginning."""
    seen: list[Change] = []
    cursor = None
    while True:
        params = {"cursor": cursor} if cursor else {}
        with device.client() as client:
            answer = client.get("/v1/pull", params=params)
        answer.raise_for_status()
        page = PullResponse.model_validate(answer.json())
        seen.extend(change for change in page.changes if change.kind == "status")
        cursor = page.next_cursor
        if not page.has_more:
            return seen


def count_rows(db: Database, table: Any) -> int:
    with db.read() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def trail_size(db: Database) -> tuple[int, int]:
    return count_rows(db, audit), count_rows(db, changes)


def upload_photo(device: EnrolledDevice, data: bytes) -> str:
    """Upload one photo in a single chunk; returns its SHA-256."""
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    with device.client() as client:
        answer = client.put(
            f"/v1/attachments/{sha}",
            params={"offset": 0, "total": len(data)},
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
    answer.raise_for_status()
    return sha


def student_nik() -> str:
    """A valid student NIK of its own (born 14 May 2009 in 31.74.01), so roster rows never clash."""
    import secrets

    return f"317401140509{secrets.randbelow(9000) + 1000:04d}"
