"""One chaos run, end to end with real parts: a kiosk, a bad link, kills, and the server's word.

Shared by the CI test (a few seeds, small) and the soak in the sync benchmark (more of both):

1. A real server (uvicorn in this process; SQLite or PostgreSQL) behind the chaos proxy.
2. A kiosk data folder whose submissions (some with two Pillow photos each) and complaints are
   made through the real services, enrolled with the server through the proxy.
3. The storm: sync child processes (tests/chaos/sync_runner.py) are SIGKILLed at random moments
   and started again; now and then the officer records something new between two of them.
4. The end: the real `kiosk sync --once --json` through the same bad link until it reports
   everything synced.
5. The verdict: the server holds exactly the device's records, each once and byte for byte the
   same, every photo's stored bytes hash to the device's, and nothing waits on the device.

Every loop is bounded in count and in time; a run that cannot finish fails with what it saw.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from starlette.requests import ClientDisconnect

from kiosk.bootstrap import Kiosk, open_kiosk
from kiosk.services.complaints import file_new_complaint
from kiosk.services.submissions import record_submission
from kiosk.services.sync import enroll_device
from kiosk.store import outbox
from kiosk.store.attachments import photo_path
from sync.protocol import Limits, body_fingerprint
from sync.server import devices as server_devices
from sync.server.storage import attachments as server_attachments
from sync.server.storage import audit, devices, records, utc_now
from tests.support.chaos_proxy import ChaosPlan, ChaosProxy, Fault, chaos_proxy
from tests.support.images import document_photo
from tests.support.requests import kjp_request
from tests.support.server import ROOT, RunningServer, running_server

# Small batches and chunks: many requests per sync, so faults and kills land everywhere.
CHAOS_LIMITS = Limits(max_batch_records=4, chunk_bytes=16 * 1024)
CHAOS_WEIGHTS = {
    Fault.DROP_REQUEST: 0.10,
    Fault.DROP_RESPONSE: 0.10,
    Fault.RESET: 0.06,
    Fault.STALL: 0.06,
    Fault.SLOW: 0.04,
}
PHOTO_DOCUMENTS = ("ktp_wali", "kartu_pelajar")


@dataclass(frozen=True)
class ChaosSize:
    """How much work one seed does, and the bounds that make it stop by itself."""

    submissions: int = 20
    with_photos: int = 6  # of the submissions, those with two photos each
    complaints: int = 8
    children: int = 10  # sync processes started (and most of them killed)
    kill_after: tuple[float, float] = (0.05, 1.2)  # seconds after a child starts syncing
    storm_seconds: float = 30.0
    final_runs: int = 8  # `kiosk sync --once` runs allowed to finish the job
    final_seconds: float = 90.0
    add_during_storm: float = 0.7  # chance of new records (one to three) between two children


@dataclass
class ChaosResult:
    """What one seed did to the system and what the system made of it."""

    seed: int
    backend: str
    created: int = 0  # records made on the device (storm additions included)
    photos: int = 0
    children: int = 0
    kills: int = 0  # SIGKILLs that hit a running child
    kills_by_phase: Counter[str] = field(default_factory=Counter)
    children_finished: int = 0  # children that finished on their own
    final_runs: int = 0
    connections: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    cuts: int = 0
    duplicates_answered: int = 0  # resends the server recognised (audit trail)
    disconnect_tracebacks: int = 0  # "Exception in ASGI application" for a cut request body
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        faults = ", ".join(f"{name} {n}" for name, n in self.faults.items()) or "none"
        phases = ", ".join(f"{k} {n}" for k, n in sorted(self.kills_by_phase.items()))
        return (
            f"seed {self.seed} on {self.backend}: {self.created} records, {self.photos} photos;"
            f" {self.children} sync processes, {self.kills} SIGKILLed ({phases or '-'}),"
            f" {self.children_finished} finished; {self.final_runs} `kiosk sync --once` runs;"
            f" {self.connections} connections, faults: {faults}; {self.cuts} cut;"
            f" {self.duplicates_answered} resends answered duplicate;"
            f" {self.disconnect_tracebacks} server tracebacks for cut uploads; {self.seconds:.1f} s"
            + (f"; PROBLEMS: {self.problems}" if self.problems else "")
        )


def unique_photo(number: int, rng: random.Random) -> bytes:
    """A phone-like document photo that no other record shares: its number drawn in as a code.

    document_photo alone repeats itself for seeds that agree modulo its width; a real backlog
    has a different photo for every document.
    """
    with Image.open(io.BytesIO(document_photo(900, 1200, seed=rng.randrange(1000)))) as base:
        image = base.convert("RGB")
    draw = ImageDraw.Draw(image)
    for bit in range(20):  # 20 squares, black for a one: distinct up to a million photos
        if number >> bit & 1:
            draw.rectangle([40 + bit * 40, 1100, 70 + bit * 40, 1130], fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


class Officer:
    """Makes the device's records through the real services, with unique photos per record."""

    def __init__(self, data_dir: Path, work: Path, rng: random.Random) -> None:
        self.data_dir, self.work, self.rng = data_dir, work, rng
        self.created = 0
        self.photos = 0
        work.mkdir(parents=True, exist_ok=True)

    def submission(self, kiosk: Kiosk, photos: bool) -> None:
        self.created += 1
        documents: list[dict[str, str]] = [{"type": "kk"}]
        if photos:
            for index, document in enumerate(PHOTO_DOCUMENTS):
                name = f"photo-{self.created}-{index}.jpg"
                (self.work / name).write_bytes(unique_photo(self.photos, self.rng))
                documents.append({"type": document, "photo": name})
                self.photos += 1
        record_submission(
            kiosk, kjp_request(documents=documents), source="chaos", base_dir=self.work
        )

    def complaint(self, kiosk: Kiosk) -> None:
        self.created += 1
        file_new_complaint(
            kiosk,
            category="late_disbursement",
            description=f"Dana tahap 2 belum masuk (keluhan {self.created}).",
            name="Hj. Aminah",
        )

    def something(self) -> None:
        """One more record in the middle of the storm, as an officer would between two syncs."""
        kiosk = open_kiosk(self.data_dir)
        try:
            roll = self.rng.random()
            if roll < 0.5:
                self.submission(kiosk, photos=True)
            elif roll < 0.8:
                self.submission(kiosk, photos=False)
            else:
                self.complaint(kiosk)
        finally:
            kiosk.close()


class _DisconnectTracebacks(logging.Filter):
    """Counts, and keeps out of the output, the server's tracebacks for requests cut mid-body.

    A device whose link drops mid-upload is the normal case on a village office's line; uvicorn
    logs each as "Exception in ASGI application" with starlette's ClientDisconnect. Counted, so
    the report can say how often; silenced, so the real failures stay readable.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ClientDisconnect):
            self.count += 1
            return False
        return True


@contextlib.contextmanager
def _quiet_disconnects() -> Iterator[_DisconnectTracebacks]:
    logger = logging.getLogger("uvicorn.error")
    counter = _DisconnectTracebacks()
    logger.addFilter(counter)
    try:
        yield counter
    finally:
        logger.removeFilter(counter)


def run_chaos(
    db_url: str | None,
    folder: Path,
    seed: int,
    backend: str,
    size: ChaosSize = ChaosSize(),
    server_dir: Path | None = None,
) -> ChaosResult:
    """One seed from an empty kiosk to a verdict; `problems` lists every way it went wrong.

    A database shared by several seeds needs their servers to share `server_dir` too: the
    attachments table and the photo store are one deployment, and a store that does not go with
    its database holds photos the table says are elsewhere.
    """
    with _quiet_disconnects() as disconnects:
        result = _run(db_url, folder, seed, backend, size, server_dir or folder / "server")
    result.disconnect_tracebacks = disconnects.count
    return result


def _run(
    db_url: str | None, folder: Path, seed: int, backend: str, size: ChaosSize, server_dir: Path
) -> ChaosResult:
    started = time.monotonic()
    rng = random.Random(seed)
    result = ChaosResult(seed=seed, backend=backend)
    device_dir = folder / "kiosk"
    officer = Officer(device_dir, folder / "work", rng)
    plan = ChaosPlan(
        seed=seed,
        weights=dict(CHAOS_WEIGHTS),
        stall_seconds=0.3,
        cut_within=24 * 1024,  # anywhere in a request, a chunk's body included
        response_cut_within=300,  # answers are short: a cut must land inside one
    )
    with (
        running_server(db_url, server_dir, limits=CHAOS_LIMITS) as server,
        chaos_proxy(int(server.url.rsplit(":", 1)[1]), plan) as proxy,
    ):
        device_code = _enroll(server, proxy, device_dir, seed)
        kiosk = open_kiosk(device_dir)
        try:
            for index in range(size.submissions):
                officer.submission(kiosk, photos=index < size.with_photos)
            for _ in range(size.complaints):
                officer.complaint(kiosk)
        finally:
            kiosk.close()
        _storm(device_dir, folder, rng, size, officer, result)
        _finish(device_dir, size, result)
        result.connections = proxy.stats.connections
        result.faults = proxy.stats.injected()
        result.cuts = proxy.stats.cuts
        result.created, result.photos = officer.created, officer.photos
        _verify(server, device_code, device_dir, result)
    result.seconds = time.monotonic() - started
    return result


def _enroll(server: RunningServer, proxy: ChaosProxy, device_dir: Path, seed: int) -> str:
    """Enrol through the proxy, calm for that moment: a lost enrolment answer burns the code."""
    ticket = server_devices.add_device(
        server.state.database,
        f"chaos-{seed}-{secrets.token_hex(3)}",
        "31.74",
        now=utc_now(),
        ttl=timedelta(hours=1),
    )
    kiosk = open_kiosk(device_dir)
    try:
        with proxy.calm():
            return enroll_device(kiosk, proxy.url, ticket.display).device_code
    finally:
        kiosk.close()


def _child_env() -> dict[str, str]:
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _events(path: Path) -> list[dict[str, Any]]:
    """The child's event lines; a line cut by the kill is ignored."""
    found = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return found


def _wait_for_start(process: subprocess.Popen[bytes], events: Path, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if any(e["event"] == "start" for e in _events(events)):
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.01)
    return False


def _phase(events: list[dict[str, Any]]) -> str:
    """What the child was doing when it died: its last progress phase, else 'starting'."""
    for event in reversed(events):
        if event["event"] == "progress":
            return str(event["phase"])
        if event["event"] == "report":
            return "between runs"
    return "starting"


def _storm(
    device_dir: Path,
    folder: Path,
    rng: random.Random,
    size: ChaosSize,
    officer: Officer,
    result: ChaosResult,
) -> None:
    deadline = time.monotonic() + size.storm_seconds
    for number in range(1, size.children + 1):
        if time.monotonic() > deadline:
            break
        events = folder / f"events-{number}.jsonl"
        command = [sys.executable, "-m", "tests.chaos.sync_runner"]
        command += ["--data-dir", str(device_dir), "--events", str(events), "--seconds", "20"]
        process = subprocess.Popen(
            command, cwd=ROOT, env=_child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        result.children += 1
        try:
            started = _wait_for_start(process, events, 30.0)
            try:
                process.wait(timeout=rng.uniform(*size.kill_after) if started else 30.0)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)  # no handler, no cleanup: a power cut
                result.kills += 1
                result.kills_by_phase[_phase(_events(events))] += 1
            else:
                result.children_finished += 1
            _, errors = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if process.returncode not in (0, 1, -signal.SIGKILL):
            result.problems.append(
                f"sync child {number} exited {process.returncode}: {errors.decode()[-800:]}"
            )
        if rng.random() < size.add_during_storm:
            for _ in range(rng.randint(1, 3)):
                officer.something()


def _finish(device_dir: Path, size: ChaosSize, result: ChaosResult) -> None:
    """`kiosk sync --once --json`, the officer's own command, until it says all is on the server."""
    deadline = time.monotonic() + size.final_seconds
    last: dict[str, Any] = {}
    for _ in range(size.final_runs):
        if time.monotonic() > deadline:
            break
        command = [sys.executable, "-m", "kiosk", "sync", "--once", "--json"]
        command += ["--data-dir", str(device_dir), "--lang", "en"]
        finished = subprocess.run(
            command, cwd=ROOT, env=_child_env(), capture_output=True, timeout=120, check=False
        )
        result.final_runs += 1
        try:
            last = json.loads(finished.stdout.decode().strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            result.problems.append(f"`kiosk sync --once --json` printed no JSON: {finished!r}")
            return
        if last.get("complete") and finished.returncode == 0:
            return
    result.problems.append(f"`kiosk sync --once` never reported complete: {last}")


def _verify(server: RunningServer, device_code: str, device_dir: Path, result: ChaosResult) -> None:
    """The server holds exactly the device's records, once each, and the same photo bytes."""
    kiosk = open_kiosk(device_dir)
    try:
        rows = kiosk.db.execute("SELECT kind, client_id, body FROM outbox").fetchall()
        left = outbox.counts(kiosk.db)
        unsynced = kiosk.db.execute(
            "SELECT count(*) FROM (SELECT state FROM submissions UNION ALL"
            " SELECT state FROM complaints) WHERE state = 'queued'"
        ).fetchone()[0]
    finally:
        kiosk.close()
    problems = result.problems
    if left[outbox.SENT] != len(rows) or len(rows) != result.created:
        problems.append(f"device outbox {left} for {result.created} records made")
    if unsynced:
        problems.append(f"{unsynced} records still 'queued' on the device")
    local = {
        client_id: (kind, body["register_number"], body_fingerprint(body))
        for kind, client_id, raw in rows
        for body in [json.loads(raw)]
    }
    database = server.state.database
    with database.read() as connection:
        held = connection.execute(
            select(
                records.c.client_id,
                records.c.kind,
                records.c.register_number,
                records.c.fingerprint,
                records.c.attachments,
            )
            .join(devices, devices.c.id == records.c.device_id)
            .where(devices.c.device_code == device_code)
        ).all()
        device_id = connection.execute(
            select(devices.c.id).where(devices.c.device_code == device_code)
        ).scalar_one()
        outcomes = dict(
            connection.execute(
                select(audit.c.outcome, func.count())
                .where(audit.c.device_id == device_id, audit.c.action == "push")
                .group_by(audit.c.outcome)
            ).all()
        )
        shas = sorted({sha for row in held for sha in json.loads(row.attachments)})
        registered = dict(
            connection.execute(
                select(server_attachments.c.sha256, server_attachments.c.size).where(
                    server_attachments.c.sha256.in_(shas)
                )
            ).all()
        )
    result.duplicates_answered = int(outcomes.get("duplicate", 0))
    counted = Counter(row.client_id for row in held)
    if any(n != 1 for n in counted.values()):
        problems.append(
            f"client ids held more than once: {[c for c, n in counted.items() if n > 1]}"
        )
    numbers = Counter(row.register_number for row in held)
    if any(n != 1 for n in numbers.values()):
        problems.append(f"register numbers held more than once: {numbers.most_common(3)}")
    server_side = {row.client_id: (row.kind, row.register_number, row.fingerprint) for row in held}
    if server_side != local:
        lost = sorted(set(local) - set(server_side))
        extra = sorted(set(server_side) - set(local))
        differ = sorted(c for c in set(local) & set(server_side) if local[c] != server_side[c])
        problems.append(f"server and device disagree: lost {lost}, extra {extra}, differ {differ}")
    device_shas = sorted(
        {
            document["photo_sha256"]
            for _, _, raw in rows
            for document in json.loads(raw).get("documents") or ()
            if document.get("photo_sha256")
        }
    )
    if device_shas != shas or len(shas) != result.photos:
        problems.append(f"photos: device {len(device_shas)}, server {len(shas)}")
    for sha in device_shas:
        mine = photo_path(device_dir, sha).read_bytes()
        try:
            with server.state.store.open(sha) as stored:
                theirs = stored.read()
        except FileNotFoundError:
            problems.append(f"photo {sha[:12]} missing on the server")
            continue
        if not (hashlib.sha256(theirs).hexdigest() == sha == hashlib.sha256(mine).hexdigest()):
            problems.append(f"photo {sha[:12]} differs between server and device")
        if registered.get(sha) != len(mine):
            problems.append(f"photo {sha[:12]} registered as {registered.get(sha)} bytes")
