"""Unfinished uploads cannot fill the server's disk: per-device quotas, a sweep of abandoned ones,
and 507 storage_full before the disk is full."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.protocol import BUNDLE_CONTENT_TYPE, Limits, encode_bundle
from sync.server.cli import cli
from tests.server.photos import jpeg_photo
from tests.support.server import running_server

CHUNK = 4 * 1024
LIMITS = Limits(chunk_bytes=CHUNK, max_attachment_bytes=64 * 1024, max_body_bytes=64 * 1024)


def _first_chunk(client, size: int = 3 * CHUNK):
    data, sha = jpeg_photo(size)
    answer = client.put(
        f"/v1/attachments/{sha}",
        params={"offset": 0, "total": len(data)},
        content=data[:CHUNK],
        headers={"Content-Type": "application/octet-stream"},
    )
    return answer, data, sha


def _rest(client, data: bytes, sha: str):
    answer = None
    for offset in range(CHUNK, len(data), CHUNK):
        answer = client.put(
            f"/v1/attachments/{sha}",
            params={"offset": offset, "total": len(data)},
            content=data[offset : offset + CHUNK],
            headers={"Content-Type": "application/octet-stream"},
        )
    return answer


def _partial_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "attachments" / "partial").glob("*.part"))


@pytest.fixture
def quota_server(tmp_path: Path):
    with running_server(
        f"sqlite:///{tmp_path / 'server.sqlite'}",
        tmp_path / "data",
        limits=LIMITS,
        pending_uploads_per_device=3,
        pending_upload_bytes_per_device=40 * 1024,
    ) as server:
        yield server


def test_a_device_cannot_start_more_unfinished_uploads_than_its_quota(quota_server, tmp_path):
    greedy, other = quota_server.enroll(), quota_server.enroll()
    with greedy.client() as client:
        started = [_first_chunk(client) for _ in range(3)]
        assert [answer.status_code for answer, _, _ in started] == [200] * 3
        refused = [_first_chunk(client)[0] for _ in range(20)]
        assert {answer.status_code for answer in refused} == {429}
        assert refused[0].json()["error"]["code"] == "upload_quota"
        assert int(refused[0].headers["Retry-After"]) >= 1
        assert len(_partial_files(tmp_path / "data")) == 3  # nothing of the refused was kept
        # A photo sent whole leaves nothing unfinished: never counted against the quota.
        whole, whole_sha = jpeg_photo(2 * 1024)
        answer = client.put(
            f"/v1/attachments/{whole_sha}", params={"offset": 0, "total": len(whole)}, content=whole
        )
        assert answer.status_code == 200 and answer.json()["complete"]
        # Finishing one upload gives its place back.
        _, data, sha = started[0]
        assert _rest(client, data, sha).json()["complete"]
        assert _first_chunk(client)[0].status_code == 200
    with other.client() as client:  # another device has a quota of its own
        assert _first_chunk(client)[0].status_code == 200


def test_the_quota_counts_the_bytes_unfinished_uploads_announce(quota_server):
    device = quota_server.enroll()
    with device.client() as client:
        first, _, _ = _first_chunk(client, size=30 * 1024)
        second, _, _ = _first_chunk(client, size=30 * 1024)  # 60 KB announced > 40 KB
    assert first.status_code == 200
    assert second.status_code == 429 and second.json()["error"]["code"] == "upload_quota"


def test_a_nearly_full_disk_refuses_chunks_and_bundles_with_507(tmp_path):
    with running_server(
        f"sqlite:///{tmp_path / 'server.sqlite'}",
        tmp_path / "data",
        limits=LIMITS,
        min_free_bytes=10**18,  # more than any disk has: "full" without filling one
    ) as server:
        device = server.enroll()
        data, sha = jpeg_photo(2 * 1024)
        with device.client() as client:
            chunk = client.put(
                f"/v1/attachments/{sha}", params={"offset": 0, "total": len(data)}, content=data
            )
            started, _, _ = _first_chunk(client)
            bundled = client.post(
                "/v1/attachments/bundle",
                content=encode_bundle([(sha, data)]),
                headers={"Content-Type": BUNDLE_CONTENT_TYPE},
            )
        for answer in (chunk, started, bundled):
            assert answer.status_code == 507, answer.text
            assert answer.json()["error"]["code"] == "storage_full"
        assert server.state.store.size(sha) is None
        assert _partial_files(tmp_path / "data") == []


def _abandon(data_dir: Path, sha: str, hours_ago: float) -> None:
    partial = data_dir / "attachments" / "partial"
    partial.mkdir(parents=True, exist_ok=True)
    then = time.time() - hours_ago * 3600
    for name, content in ((f"{sha}.part", b"x" * 100), (f"{sha}.total", b"300 1")):
        path = partial / name
        path.write_bytes(content)
        os.utime(path, (then, then))


def test_abandoned_uploads_are_swept_at_start_and_recent_ones_kept(tmp_path):
    data_dir = tmp_path / "data"
    old, recent = "a" * 64, "b" * 64
    _abandon(data_dir, old, hours_ago=100)
    _abandon(data_dir, recent, hours_ago=1)
    with running_server(
        f"sqlite:///{tmp_path / 'server.sqlite'}",
        data_dir,
        abandoned_upload_age=timedelta(hours=72),
    ) as server:
        deadline = time.monotonic() + 10
        while server.state.store.received(old) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.state.store.received(old) == 0
        assert server.state.store.received(recent) == 100
    assert [path.name for path in _partial_files(data_dir)] == [f"{recent}.part"]


def test_the_sweep_command_deletes_uploads_older_than_asked(tmp_path):
    data_dir = tmp_path / "data"
    old, recent = "c" * 64, "d" * 64
    _abandon(data_dir, old, hours_ago=5)
    _abandon(data_dir, recent, hours_ago=1)
    result = CliRunner().invoke(
        cli,
        ["uploads", "sweep", "--older-than-hours", "2", "--data-dir", str(data_dir)],
        env={"KIOSK_LANG": "en"},
    )
    assert result.exit_code == 0, result.output
    assert "deleted: 1" in result.output
    assert [path.name for path in _partial_files(data_dir)] == [f"{recent}.part"]
