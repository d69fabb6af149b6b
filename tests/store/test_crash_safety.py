"""SIGKILL a process that is writing submissions: the database opens clean with all it acknowledged."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.store.database import open_database
from tests.support.images import document_photo
from tests.support.requests import kjp_request

ROOT = Path(__file__).resolve().parents[2]


def _run_and_kill(data_dir: Path, request_file: Path, kill_after: float) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store.crash_writer", str(data_dir), str(request_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
        text=True,
    )
    acknowledged: list[str] = []
    deadline = time.monotonic() + 60
    started = None
    with child:
        try:
            for line in child.stdout:  # type: ignore[union-attr]
                acknowledged.append(line.split()[0])
                started = started or time.monotonic()
                if time.monotonic() - started >= kill_after or time.monotonic() > deadline:
                    break
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        errors = child.stderr.read() if child.stderr else ""  # type: ignore[union-attr]
    assert acknowledged, errors or "the writer printed nothing"
    return acknowledged


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_killed_writer_loses_nothing_it_acknowledged_and_leaves_no_half_record(tmp_path, seed):
    (tmp_path / "kk.jpg").write_bytes(document_photo(seed=seed))
    request = kjp_request(documents=[{"type": "kk", "photo": "kk.jpg"}])
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(request))
    data_dir = tmp_path / "data"

    acknowledged = _run_and_kill(
        data_dir, request_file, kill_after=random.Random(seed).uniform(0.3, 1.5)
    )

    db = open_database(data_dir / "kiosk.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    saved = {row[0] for row in db.execute("SELECT register_number FROM submissions")}
    assert set(acknowledged) <= saved
    # every saved submission has exactly one outbox row, and no outbox row lacks its submission
    orphans = db.execute(
        "SELECT count(*) FROM submissions s LEFT JOIN outbox o"
        " ON o.kind = 'submission' AND o.client_id = s.client_id WHERE o.seq IS NULL"
    ).fetchone()[0]
    assert orphans == 0
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == len(saved)
    # the photo every record points to is whole on disk
    sha = db.execute("SELECT sha256 FROM attachments").fetchone()[0]
    path = data_dir / "attachments" / sha[:2] / f"{sha}.jpg"
    import hashlib

    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    db.close()
