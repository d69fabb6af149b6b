"""Benchmarks of sync: ingest rate, draining a backlog, bytes on the wire, resumed uploads; a soak.

Run: python -m tests.benchmarks.bench_sync [--quick] [--records N] [--postgres/--no-postgres]
     [--devices 1,8,50,500] [--ingest-records N] [--throttled-records N] [--wire-records N]
     [--parts ingest,wire,resume,drain,throttled]
     python -m tests.benchmarks.bench_sync --soak [--soak-seeds N] [--soak-records N]

Goals: >= 1,000 records/s ingest on PostgreSQL on the 2-core machine; bytes on the wire <= 1.1x
the compressed payload; a cut upload re-sends at most one chunk; a 10,000-record backlog with two
photos each drains over loopback in <= 60 s.

How it is measured, and why:

- The server always runs as its own OS process (`python -m sync.server serve`, one uvicorn worker,
  default limits and ingest gate; `--server-workers N` runs N behind one port for the ingest
  figures), so the load generator and the device never share its GIL.
- Ingest: each simulated device is enrolled for real and has its own credential. Devices are
  coroutines on one asyncio loop, each with its own httpx client; every device pushes its
  records in batches of up to 100, gzip-compressed exactly as the kiosk's SyncClient does
  (built before the clock starts).
  A 429 is honoured as the device's worker does: Retry-After plus jitter above it.
  The records are real device records (tests/server/records.py), each naming other people,
  without photos, so the figure is the push path itself: re-validation, insert, audit trail.
  Rate = records accepted / wall time from the first push to the last answer; the latency is of
  answered pushes only (a 429 is counted apart). 8 devices is the gate's size: none is told
  "later", so that figure is the server's own capacity.
- Drain: a kiosk data folder filled through the real `record_submission`, two distinct photos per
  record. Normalising 20,000 photos would take a quarter of an hour and change nothing that sync
  sees, so a few base photos are normalised by the kiosk once (about 160-210 KB each, 1440-1600
  px) and each record's copy is made distinct by a JPEG comment carrying its number; only the
  re-encoding of these already-normalised bytes is skipped (see `_skip_renormalising`). A real
  backlog has a different photo for every document, so nothing is deduplicated on the server.
  The drain is the kiosk's own `sync_now` in this process, through the proxy (which counts the
  bytes) in a process of its own.
- Throttled: the same, over the proxy's 256 kbit/s link with 200 ms one-way latency, on a small
  backlog; the time per record is extrapolated to 10,000 records and labelled as such.
- Bytes per record: photo-less records synced through the proxy; every byte up and down (HTTP
  headers, limits, queries, pushes, answers, pull) against the record's canonical JSON and its
  gzip (alone, and as its share of the compressed batches actually sent).
- Resume: an attachment of several chunks uploaded with the kiosk's SyncClient while the proxy cuts
  one connection at a chosen byte; re-sent bytes = bytes up minus those of an uncut upload.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import io
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
from PIL import Image, ImageDraw
from sqlalchemy import select

from kiosk.bootstrap import Kiosk, open_kiosk
from kiosk.domain.register_numbers import RegisterNumber
from kiosk.services.complaints import file_new_complaint
from kiosk.services.submissions import record_submission
from kiosk.services.sync import build_http_client, enroll_device, sync_now
from kiosk.store import attachments as device_attachments
from kiosk.store.attachments import normalise_photo
from sync.client import GZIP_LEVEL, SyncClient
from sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    Limits,
    OutboxRecord,
    PushRequest,
    canonical_json,
)
from sync.server import devices as server_devices
from sync.server.settings import DATA_DIR_ENV, DATABASE_ENV, normalise_database_url
from sync.server.storage import Database, utc_now
from sync.server.storage import records as server_records
from tests.benchmarks.figures import percentile, report
from tests.benchmarks.roster_data import people
from tests.support.chaos_proxy import ChaosPlan, Fault, chaos_proxy, chaos_proxy_process
from tests.support.requests import kjp_request
from tests.support.server import (
    ROOT,
    free_port,
    postgres_database,
    postgres_reachable,
    server_process,
)

QUICK_ARGS = ["--quick"]
PARTS = ("ingest", "wire", "resume", "drain", "throttled")
LIMITS = Limits()  # the server process runs with the protocol's default limits
BACKLOG_GOAL = 10_000
PHOTO_DOCUMENTS = ("ktp_wali", "kartu_pelajar")
_MARK = b"lengkap-bench:"
# Every loop below is bounded in time as well as in count.
INGEST_SECONDS = 900.0
MAX_BUSY_RETRIES = 200


# -- servers and devices -------------------------------------------------------------------------


@contextlib.contextmanager
def database_url(backend: str, folder: Path) -> Iterator[str]:
    """A fresh, empty database for one measurement: a SQLite file, or a throwaway PostgreSQL one."""
    if backend == "sqlite":
        yield normalise_database_url(None, folder)
        return
    with postgres_database() as url:
        yield url


@contextlib.contextmanager
def central_server(backend: str, folder: Path, workers: int = 1) -> Iterator[tuple[str, str]]:
    """(server URL, database URL): the real server in its own process, on a fresh database.

    With `workers` > 1, uvicorn runs that many server processes behind one port, as the
    stateless server is meant to scale (shared/design/SYNC.md); each has its own ingest gate.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with database_url(backend, folder) as db_url:
        if workers == 1:
            with server_process(db_url, folder) as url:
                yield url, db_url
        else:
            with server_workers(db_url, folder, workers) as url:
                yield url, db_url


@contextlib.contextmanager
def server_workers(db_url: str, folder: Path, workers: int) -> Iterator[str]:
    """`uvicorn --workers N` over the server's app factory, configured by the environment."""
    env = {**os.environ, DATA_DIR_ENV: str(folder), DATABASE_ENV: db_url}
    subprocess.run(
        [sys.executable, "-m", "sync.server", "migrate", "--db", db_url, "--data-dir", str(folder)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "sync.server.app:app_from_environment"]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    command += ["--no-access-log", "--no-server-header"]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"uvicorn exited: {log.read().decode()[-2000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not start")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def enrolment_codes(db_url: str, count: int, area: str = "31.74") -> list[str]:
    """One-time codes for `count` new devices, added straight in the server's database."""
    database = Database(db_url)
    try:
        return [
            server_devices.add_device(
                database,
                f"bench-{secrets.token_hex(5)}",
                area,
                now=utc_now(),
                ttl=timedelta(hours=2),
            ).display
            for _ in range(count)
        ]
    finally:
        database.close()


def stored_client_ids(db_url: str) -> list[str]:
    """The client id of every record row the server holds, one entry per row."""
    database = Database(db_url)
    try:
        with database.read() as connection:
            return list(connection.execute(select(server_records.c.client_id)).scalars())
    finally:
        database.close()


def enroll_many(server_url: str, db_url: str, count: int) -> list[tuple[str, str]]:
    """(device code, credential) of `count` devices enrolled through the real endpoint."""
    enrolled = []
    with httpx.Client(base_url=server_url, timeout=30) as client:
        for code in enrolment_codes(db_url, count):
            answer = client.post("/v1/enroll", json={"protocol": PROTOCOL_VERSION, "code": code})
            answer.raise_for_status()
            body = answer.json()
            enrolled.append((body["device_code"], body["credential"]))
    return enrolled


def enroll_kiosk(kiosk: Kiosk, server_url: str, db_url: str) -> str:
    code = enrolment_codes(db_url, 1)[0]
    return enroll_device(kiosk, server_url, code, force=True).device_code


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


# -- people and records --------------------------------------------------------------------------


class People:
    """Students and parents with valid, made-up NIKs, KKs and accounts (tests/benchmarks/roster_data).

    Every record names other people, as in a real backlog: records that all name the same person
    would compress in a batch far better than real ones, and flatter the bytes per record.
    """

    def __init__(self, seed: int = 5) -> None:
        everyone = list(people(4000, seed=seed))
        self.students = [p for p in everyone if 2007 <= p.birth_date.year <= 2012]
        self.parents = [p for p in everyone if 1965 <= p.birth_date.year <= 1990]

    def submission(self, number: int, documents: list[dict[str, str]]) -> dict[str, Any]:
        """A KJP Plus request for `record_submission`."""
        student = self.students[number % len(self.students)]
        parent = self.parents[number % len(self.parents)]
        return kjp_request(
            applicant={"nik": student.nik, "name": student.name, "kk": student.kk},
            collector={"nik": parent.nik, "name": parent.name, "relation": "parent"},
            bank_account={"bank": parent.bank, "account": parent.account},
            documents=documents,
        )

    def complaint(self, kiosk: Kiosk, number: int) -> None:
        parent = self.parents[number % len(self.parents)]
        file_new_complaint(
            kiosk,
            category="late_disbursement",
            description=f"Dana tahap 2 untuk anak saya belum masuk (laporan {number}).",
            name=parent.name,
            nik=parent.nik,
            phone=f"08{number % 10**10:010d}",
        )

    def vary(self, body: dict[str, Any], number: int) -> None:
        """Put other people into a cloned record body."""
        parent = self.parents[number % len(self.parents)]
        if body["kind"] == "complaint":
            body["complainant"] = {"name": parent.name, "nik": parent.nik, "phone": "0812345678"}
            return
        student = self.students[number % len(self.students)]
        body["applicant"] = {"nik": student.nik, "name": student.name, "kk": student.kk}
        body["collector"] = {"nik": parent.nik, "name": parent.name, "relation": "parent"}
        body["bank_account"] = {"bank": parent.bank, "account": parent.account}


class RecordFactory:
    """Real device records (tests/server/records.py), cloned with fresh ids, numbers and people.

    Building each from the domain parses the rule file every time; cloning a template gives the
    same shape and the same validation work on the server at a fraction of the load generator's CPU.
    """

    def __init__(self) -> None:
        from tests.server.records import complaint_record, submission_record

        self.templates = [submission_record().body, complaint_record().body]
        self.people = People()

    def make(self, device_code: str, sequence: int) -> OutboxRecord:
        # Four submissions to one complaint, about what a village office files.
        body = json.loads(json.dumps(self.templates[sequence % 5 == 4]))
        self.people.vary(body, sequence)
        client_id = str(uuid.uuid4())
        body["client_id"] = client_id
        body["register_number"] = str(RegisterNumber(device_code, sequence))
        return OutboxRecord(client_id=client_id, kind=body["kind"], body=body)


# -- ingest --------------------------------------------------------------------------------------


def push_body(records: Sequence[OutboxRecord]) -> bytes:
    """The request body exactly as the kiosk's SyncClient sends it."""
    raw = canonical_json(PushRequest(records=tuple(records)).model_dump(mode="json"))
    return gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0)


@dataclass
class IngestRun:
    accepted: int = 0
    latencies: list[float] = field(default_factory=list)
    busy: int = 0
    transport_errors: int = 0
    seconds: float = 0.0
    pushed: list[str] = field(default_factory=list)  # client ids, in the order they were made
    stored: list[str] = field(default_factory=list)  # client ids of the server's rows afterwards


async def _device_pushes(
    client: httpx.AsyncClient,
    credential: str,
    bodies: list[tuple[int, bytes]],
    run: IngestRun,
    rng: random.Random,
    deadline: float,
) -> None:
    headers = {
        PROTOCOL_HEADER: str(PROTOCOL_VERSION),
        "Authorization": f"Bearer {credential}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
    }
    for count, body in bodies:
        for attempt in range(MAX_BUSY_RETRIES):
            started = time.perf_counter()
            try:
                answer = await client.post("/v1/push", content=body, headers=headers)
            except httpx.TransportError:
                # A kept-alive connection the server closed while this device waited (uvicorn
                # closes idle ones after 5 s): the device's worker retries, and so does this.
                run.transport_errors += 1
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(rng.random() * min(30.0, 2.0**attempt))
                continue
            elapsed = time.perf_counter() - started
            if answer.status_code == 200:
                statuses = [result["status"] for result in answer.json()["results"]]
                if statuses.count("accepted") != count:
                    raise AssertionError(f"not all accepted: {sorted(set(statuses))}")
                run.accepted += count
                run.latencies.append(elapsed)
                break
            if answer.status_code not in (429, 503) or time.monotonic() > deadline:
                raise AssertionError(f"push answered HTTP {answer.status_code}: {answer.text}")
            run.busy += 1
            # As sync.worker does (Backoff.delay_after): Retry-After is a floor, and above it
            # full-jitter backoff (base 1 s, cap 30 s).
            retry_after = float(answer.headers.get("retry-after", "1"))
            await asyncio.sleep(retry_after + rng.random() * min(30.0, 2.0**attempt))
        else:
            raise AssertionError("a device was told 'later' too many times")


async def _ingest(server_url: str, loads: list[tuple[str, list[tuple[int, bytes]]]]) -> IngestRun:
    run = IngestRun()
    rng = random.Random(7)
    # One client (one connection) per device, as in the field. One client shared by 500 devices
    # would measure httpcore's pool instead: it scans every connection for every request.
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=server_url, timeout=300, limits=httpx.Limits(max_connections=1)
                )
            )
            for _ in loads
        ]
        # Every device connects and authenticates once before the clock starts.
        await asyncio.gather(
            *(
                client.get("/v1/limits", headers={"Authorization": f"Bearer {credential}"})
                for client, (credential, _) in zip(clients, loads, strict=True)
            )
        )
        deadline = time.monotonic() + INGEST_SECONDS
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _device_pushes(client, credential, bodies, run, rng, deadline)
                for client, (credential, bodies) in zip(clients, loads, strict=True)
            )
        )
        run.seconds = time.perf_counter() - started
    return run


def bench_ingest(
    backend: str, device_count: int, total: int, folder: Path, workers: int = 1
) -> IngestRun:
    """`total` records from `device_count` devices at once into a fresh server."""
    factory = RecordFactory()
    per_device = max(1, total // device_count)
    with central_server(backend, folder, workers) as (server_url, db_url):
        enrolled = enroll_many(server_url, db_url, device_count)
        loads = []
        pushed: list[str] = []
        for device_code, credential in enrolled:
            made = [factory.make(device_code, n + 1) for n in range(per_device)]
            pushed += [record.client_id for record in made]
            batches = [
                made[start : start + LIMITS.max_batch_records]
                for start in range(0, len(made), LIMITS.max_batch_records)
            ]
            loads.append((credential, [(len(batch), push_body(batch)) for batch in batches]))
        run = asyncio.run(_ingest(server_url, loads))
        run.pushed, run.stored = pushed, stored_client_ids(db_url)
        return run


# -- a backlog on a kiosk ------------------------------------------------------------------------


def base_photo(seed: int) -> bytes:
    """A photographed form: paper, a little sensor noise and lines of text; normalised by the kiosk."""
    rng = random.Random(seed)
    width, height = rng.choice(((1440, 1080), (1600, 1200)))
    paper = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    paper = Image.blend(Image.new("RGB", (width, height), (236, 232, 220)), paper, 0.2)
    photo = Image.blend(paper, Image.effect_noise((width, height), 8).convert("RGB"), 0.1)
    draw = ImageDraw.Draw(photo)
    rows = rng.randrange(20, 28)
    for row in range(rows):
        y = 60 + row * (height - 120) // rows
        x = 60
        while x < width - 100:
            word = rng.randrange(20, 90)
            draw.rectangle([x, y, x + word, y + 8], fill=(30, 30, 60))
            x += word + rng.randrange(8, 20)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92)
    normalised, _, _ = normalise_photo(out.getvalue())
    return normalised


def stamped(photo: bytes, label: str) -> bytes:
    """`photo` with a JPEG comment segment right after its start marker: a distinct, valid JPEG."""
    payload = _MARK + label.encode()
    segment = b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload
    return photo[:2] + segment + photo[2:]


@contextlib.contextmanager
def _skip_renormalising() -> Iterator[None]:
    """Store the stamped, already-normalised photos as they are; anything else is normalised."""
    real = device_attachments.normalise_photo

    def normalise(data: bytes, source: str = "photo") -> tuple[bytes, int, int]:
        if data[4:6] and data[6 : 6 + len(_MARK)] == _MARK:
            with Image.open(io.BytesIO(data)) as image:
                return data, image.width, image.height
        return real(data, source)

    with mock.patch.object(device_attachments, "normalise_photo", normalise):
        yield


@dataclass
class Backlog:
    data_dir: Path
    records: int
    photos: int
    photo_bytes: int
    seconds: float


def build_backlog(folder: Path, records: int, photos_per_record: int = 2) -> Backlog:
    """A kiosk holding `records` submissions (two distinct photos each), made by the real service."""
    started = time.perf_counter()
    bases = [base_photo(seed) for seed in range(8)]
    work = folder / "incoming"
    work.mkdir(parents=True, exist_ok=True)
    kiosk = open_kiosk(folder / "kiosk")
    population = People()
    photo_bytes = 0
    try:
        with _skip_renormalising():
            for number in range(records):
                documents: list[dict[str, str]] = [{"type": "kk"}]
                for index, document in enumerate(PHOTO_DOCUMENTS[:photos_per_record]):
                    data = stamped(bases[(number * 2 + index) % len(bases)], f"{number}/{index}")
                    (work / f"{index}.jpg").write_bytes(data)
                    documents.append({"type": document, "photo": f"{index}.jpg"})
                    photo_bytes += len(data)
                record_submission(
                    kiosk, population.submission(number, documents), source="bench", base_dir=work
                )
    finally:
        kiosk.close()
    shutil.rmtree(work)
    return Backlog(
        folder / "kiosk",
        records,
        records * photos_per_record,
        photo_bytes,
        time.perf_counter() - started,
    )


def build_plain_backlog(folder: Path, records: int) -> Path:
    """Photo-less submissions and complaints (four to one): what a record costs on its own."""
    kiosk = open_kiosk(folder / "kiosk")
    population = People()
    try:
        for number in range(records):
            if number % 5 == 4:
                population.complaint(kiosk, number)
            else:
                documents = [{"type": "kk"}]
                record_submission(kiosk, population.submission(number, documents), source="bench")
    finally:
        kiosk.close()
    return folder / "kiosk"


def requeue(data_dir: Path) -> None:
    """Put a drained backlog back in the queue, as it was before, for the next database.

    Benchmark-only surgery on the device's tables: building 10,000 records again would take
    longer than draining them.
    """
    kiosk = open_kiosk(data_dir)
    try:
        with kiosk.db.atomic():
            kiosk.db.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, error_code = NULL,"
                " last_error = NULL, next_attempt_at = NULL, sending_fingerprint = NULL,"
                " sent_at = NULL"
            )
            for table in ("submissions", "complaints"):
                kiosk.db.execute(f"UPDATE {table} SET state = 'queued' WHERE state = 'synced'")
    finally:
        kiosk.close()


def outbox_records(data_dir: Path) -> list[OutboxRecord]:
    kiosk = open_kiosk(data_dir)
    try:
        rows = kiosk.db.execute("SELECT kind, client_id, body FROM outbox ORDER BY seq").fetchall()
    finally:
        kiosk.close()
    found = []
    for kind, client_id, raw in rows:
        body = json.loads(raw)
        shas = tuple(
            dict.fromkeys(
                d["photo_sha256"] for d in body.get("documents") or () if d.get("photo_sha256")
            )
        )
        found.append(OutboxRecord(client_id=client_id, kind=kind, body=body, attachments=shas))
    return found


def compressed_batches(records: Sequence[OutboxRecord]) -> int:
    """Bytes of the gzip push bodies for `records` in the worker's batches of up to 100."""
    step = LIMITS.max_batch_records
    return sum(len(push_body(records[i : i + step])) for i in range(0, len(records), step))


@dataclass
class Drain:
    seconds: float
    bytes_up: int
    bytes_down: int
    sent: int
    photos: int
    stored: list[str]  # client ids of the server's record rows afterwards


def drain(data_dir: Path, server_url: str, db_url: str, plan: ChaosPlan) -> Drain:
    """Enroll the kiosk and let its own sync service send everything, through the proxy.

    The proxy runs in a process of its own, so its copying does not share the device's GIL.
    """
    with chaos_proxy_process(port_of(server_url), plan) as proxy:
        kiosk = open_kiosk(data_dir)
        try:
            enroll_kiosk(kiosk, proxy.url, db_url)
            proxy.reset_stats()  # the drain only, not the enrolment
            started = time.perf_counter()
            result = sync_now(kiosk, http_factory=build_http_client)
            seconds = time.perf_counter() - started
        finally:
            kiosk.close()
        stats = proxy.stats
    if not result.is_complete:
        raise AssertionError(f"the drain did not finish: {result.to_dict()}")
    return Drain(
        seconds,
        stats.bytes_up,
        stats.bytes_down,
        result.sent,
        result.attachments_uploaded,
        stored_client_ids(db_url),
    )


def stored_once(done: Drain, data_dir: Path) -> bool:
    """True when the server holds each of the device's outbox records exactly once."""
    return sorted(done.stored) == sorted(r.client_id for r in outbox_records(data_dir))


def bench_drain(backends: list[str], records: int, folder: Path) -> None:
    print(f"building a backlog of {records:,} records with two photos each ...", flush=True)
    backlog = build_backlog(folder / "backlog", records)
    average = backlog.photo_bytes / max(1, backlog.photos)
    print(
        f"  built in {backlog.seconds:.0f} s through record_submission; {backlog.photos:,}"
        f" distinct photos, average {average / 1024:.0f} KB",
        flush=True,
    )
    payload = backlog.photo_bytes + compressed_batches(outbox_records(backlog.data_dir))
    for number, backend in enumerate(backends):
        if number:
            requeue(backlog.data_dir)
        with central_server(backend, folder / f"drain-{backend}") as (server_url, db_url):
            done = drain(backlog.data_dir, server_url, db_url, ChaosPlan(weights={}))
        if done.sent != records or done.photos != backlog.photos:
            raise AssertionError(f"sent {done.sent} records and {done.photos} photos")
        if not stored_once(done, backlog.data_dir):
            raise AssertionError("the server does not hold every record exactly once")
        wire = done.bytes_up + done.bytes_down
        label = f"drain {records:,} records + {backlog.photos:,} photos, loopback, {backend}"
        report(
            f"{label}: time", done.seconds, "s", "<= 60 s for 10,000" if records >= 10_000 else ""
        )
        if records < BACKLOG_GOAL:
            report(
                f"  extrapolated to {BACKLOG_GOAL:,} records",
                done.seconds / records * BACKLOG_GOAL,
                "s",
                "<= 60 s",
            )
        report(f"  {backend}: records drained per second", records / done.seconds, "rec/s")
        report(f"  {backend}: bytes on the wire (up + down)", wire / 1e6, "MB")
        report(f"  {backend}: wire / payload (photos + gzip JSON)", wire / payload, "x", "<= 1.1")


def bench_throttled(
    backend: str, records: int, folder: Path, kbit: float = 256.0, latency_ms: float = 200.0
) -> None:
    """A small backlog over a slow link (both directions), extrapolated per record."""
    backlog = build_backlog(folder / "backlog", records)
    plan = ChaosPlan(weights={}, bandwidth=kbit * 1000 / 8, latency=latency_ms / 1000)
    with central_server(backend, folder / "server") as (server_url, db_url):
        done = drain(backlog.data_dir, server_url, db_url, plan)
    payload = backlog.photo_bytes + compressed_batches(outbox_records(backlog.data_dir))
    per_record = done.seconds / records
    label = f"drain over {kbit:g} kbit/s + {latency_ms:g} ms ({records} records, {backend})"
    report(f"{label}: time", done.seconds, "s")
    report("  per record (two photos)", per_record, "s")
    report(
        f"  extrapolated to {BACKLOG_GOAL:,} records (not measured)",
        per_record * BACKLOG_GOAL / 3600,
        "hours",
    )
    report(
        "  link used (payload bits / time)",
        payload * 8 / done.seconds / 1000,
        "kbit/s",
        f"{kbit:g}",
    )
    report(
        "  wire / payload (photos + gzip JSON)",
        (done.bytes_up + done.bytes_down) / payload,
        "x",
        "<= 1.1",
    )


@dataclass(frozen=True)
class Wire:
    """Bytes of one photo-less drain: totals over all its records."""

    records: int
    raw: int  # canonical JSON of each record
    alone: int  # gzip of each record by itself
    payload: int  # the gzip push bodies as batched (what is sent)
    up: int
    down: int
    stored_once: bool


def measure_wire(backend: str, records: int, folder: Path) -> Wire:
    """Sync `records` photo-less records through the counting proxy; the bytes it took."""
    data_dir = build_plain_backlog(folder / "plain", records)
    sent = outbox_records(data_dir)
    raw = sum(len(canonical_json(r.model_dump(mode="json"))) for r in sent)
    alone = sum(
        len(gzip.compress(canonical_json(r.model_dump(mode="json")), GZIP_LEVEL, mtime=0))
        for r in sent
    )
    with central_server(backend, folder / "server") as (server_url, db_url):
        done = drain(data_dir, server_url, db_url, ChaosPlan(weights={}))
    once = stored_once(done, data_dir)
    return Wire(
        len(sent), raw, alone, compressed_batches(sent), done.bytes_up, done.bytes_down, once
    )


def bench_wire(backend: str, records: int, folder: Path) -> None:
    """Bytes each record costs on the wire, against its own JSON and its gzip."""
    wire = measure_wire(backend, records, folder)
    count = wire.records
    raw, alone, in_batch = wire.raw / count, wire.alone / count, wire.payload / count
    up, down = wire.up / count, wire.down / count
    label = f"per record ({records:,} without photos, {backend})"
    report(f"{label}: raw JSON", raw, "bytes")
    report("  gzip of the record alone", alone, "bytes")
    report("  gzip share in its batch of 100 (what is sent)", in_batch, "bytes")
    report("  wire up (requests)", up, "bytes")
    report("  wire down (answers)", down, "bytes")
    report("  wire up / compressed payload sent", up / in_batch, "x", "<= 1.1")
    report("  wire up + down / compressed payload sent", (up + down) / in_batch, "x", "<= 1.1")
    report("  wire up + down / gzip of the record alone", (up + down) / alone, "x", "<= 1.1")


# -- a cut upload --------------------------------------------------------------------------------


@dataclass
class _Requests:
    """What the client sent, from httpx's request hook: chunk offsets and header sizes."""

    offsets: list[int] = field(default_factory=list)
    header_bytes: dict[int, int] = field(default_factory=dict)

    def hook(self, request: httpx.Request) -> None:
        if request.method != "PUT":
            return
        offset = int(request.url.params["offset"])
        self.offsets.append(offset)
        line = f"{request.method} {request.url.raw_path.decode()} HTTP/1.1\r\n"
        fields = sum(len(name) + len(value) + 4 for name, value in request.headers.raw)
        self.header_bytes[offset] = len(line) + fields + 2


def bench_resume(backend: str, folder: Path) -> dict[str, int]:
    """Re-sent bytes after a cut: mid-chunk, at a chunk's last byte, and a lost answer.

    Returns the chunks sent again in each case."""
    big = _multi_chunk_photo()
    chunk = LIMITS.chunk_bytes
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[Fault, int] | None] = {
        "clean": None,
        "cut halfway through the 2nd chunk": (Fault.DROP_REQUEST, chunk // 2),
        "cut at the 2nd chunk's last byte": (Fault.DROP_REQUEST, chunk - 1),
        "lost answer to the 2nd chunk": (Fault.DROP_RESPONSE, 20),
    }
    extra: dict[str, int] = {}
    again: dict[str, int] = {}
    clean_up = 0
    header = 0
    print(f"  resume: an attachment of {len(big):,} bytes, chunks of {chunk:,}", flush=True)
    with central_server(backend, folder / "server") as (server_url, db_url):
        credential = enroll_many(server_url, db_url, 1)[0][1]
        for number, (name, fault) in enumerate(cases.items()):
            data = stamped(big, f"resume-{number:04d}")  # the same size, another attachment
            path = folder / f"resume-{number}.jpg"
            path.write_bytes(data)
            sha = hashlib.sha256(data).hexdigest()
            # One connection per request: 1 asks where to start, 2 carries the first chunk and
            # 3 the second. A request is cut that many bytes into the chunk's body (past its
            # headers); an answer that many bytes into the answer.
            scripted = {}
            if fault:
                skip = header if fault[0] is Fault.DROP_REQUEST else 0
                scripted[3] = (fault[0], skip + fault[1])
            sent = _Requests()
            with (
                chaos_proxy(port_of(server_url), ChaosPlan(weights={}, scripted=scripted)) as proxy,
                httpx.Client(
                    timeout=30,
                    limits=httpx.Limits(max_keepalive_connections=0),
                    event_hooks={"request": [sent.hook]},
                ) as http,
            ):
                client = SyncClient(http, proxy.url, credential)
                proxy.reset_stats()
                status = client.upload_attachment(sha, path, len(data))
                bytes_up, cuts = proxy.stats.bytes_up, proxy.stats.cuts
            if not status.complete:
                raise AssertionError(f"{name}: the upload did not complete")
            if fault is None:
                clean_up, header = bytes_up, sent.header_bytes[chunk]
                continue
            if cuts != 1:
                raise AssertionError(f"{name}: the proxy cut {cuts} connections, not one")
            extra[name] = bytes_up - clean_up
            repeated = len(sent.offsets) - len(set(sent.offsets))
            again[name] = repeated
            report(f"resume, {name}: bytes up beyond a clean upload", extra[name], "bytes")
            report(f"  {name}: chunks sent again", repeated, "chunks", "<= 1")
    report("resume: worst bytes re-sent, in chunks", max(extra.values()) / chunk, "chunks", "<= 1")
    return again


def _multi_chunk_photo() -> bytes:
    """A detailed photo normalised by the kiosk: several chunks long (about 750 KB)."""
    from tests.benchmarks.bench_store import camera_jpeg

    normalised, _, _ = normalise_photo(camera_jpeg(2448, 3264, seed=3))
    return normalised


# -- the soak ------------------------------------------------------------------------------------


def soak(backends: list[str], seeds: int, records: int, folder: Path) -> None:
    """The chaos test's run (tests/chaos/scenario.py), longer: more seeds, records and kills."""
    from tests.chaos.scenario import ChaosSize, run_chaos

    size = ChaosSize(
        submissions=records,
        with_photos=records // 3,
        complaints=max(1, records // 4),
        children=30,
        storm_seconds=180.0,
        final_runs=15,
        final_seconds=300.0,
    )
    failed = kills = cuts = 0
    for backend in backends:
        # One database and one server folder (its photo store) per backend, shared by the
        # seeds as by the processes of one deployment.
        server_dir = folder / f"soak-{backend}-server"
        with database_url(backend, server_dir) as db_url:
            for seed in range(1000, 1000 + seeds):
                result = run_chaos(
                    db_url, folder / f"soak-{backend}-{seed}", seed, backend, size, server_dir
                )
                print("  " + result.summary(), flush=True)
                failed += bool(result.problems)
                kills += result.kills
                cuts += result.cuts
    report("soak: SIGKILLs of a syncing process", kills, "kills")
    report("soak: connections cut by the proxy", cuts, "cuts")
    report("soak: seeds where a record was lost, doubled or altered", failed, "seeds", "0")


# -- main ----------------------------------------------------------------------------------------


def figures(args: argparse.Namespace, backends: list[str], folder: Path) -> None:
    quick = args.quick
    records = args.records or (200 if quick else BACKLOG_GOAL)
    # 8 is the server's ingest gate: as many devices as it admits at once, so none is told "later".
    device_counts = [int(n) for n in (args.devices or "1,8,50,500").split(",")]
    parts = set(args.parts.split(","))
    ingest_records = args.ingest_records or (2_000 if quick else 20_000)
    throttled = args.throttled_records or (1 if quick else 6)
    wire_records = args.wire_records or (200 if quick else 2_000)
    for backend in backends if "ingest" in parts else []:
        for count in device_counts:
            run = bench_ingest(
                backend, count, ingest_records, folder / f"ingest-{count}", args.server_workers
            )
            goal = ">= 1,000 on PostgreSQL" if backend == "postgresql" else ""
            label = f"ingest {backend}, {count} devices, {run.accepted:,} records"
            if args.server_workers > 1:
                label += f", {args.server_workers} server processes"
            report(f"{label}: rate", run.accepted / run.seconds, "rec/s", goal)
            report(
                f"  {backend}, {count} devices: p95 batch latency",
                percentile([s * 1000 for s in run.latencies], 0.95),
                "ms",
            )
            report(f"  {backend}, {count} devices: answered 429 'later'", run.busy, "times")
            if run.transport_errors:
                report(
                    f"  {backend}, {count} devices: connection errors, retried",
                    run.transport_errors,
                    "times",
                )
            shutil.rmtree(folder / f"ingest-{count}", ignore_errors=True)
    # Bytes, resumption and the slow link do not depend on the database: measured on the last.
    if "wire" in parts:
        bench_wire(backends[-1], wire_records, folder / "wire")
    if "resume" in parts:
        bench_resume(backends[-1], folder / "resume")
    if "drain" in parts:
        bench_drain(backends, records, folder / "drain")
        shutil.rmtree(folder / "drain", ignore_errors=True)
    if "throttled" in parts:
        bench_throttled(
            backends[-1],
            throttled,
            folder / "throttled",
            args.throttle_kbit,
            args.throttle_latency_ms,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes, a few minutes.")
    parser.add_argument("--records", type=int, help="Backlog to drain (default 10,000).")
    parser.add_argument("--devices", help="Device counts for ingest (default 1,8,50,500).")
    parser.add_argument(
        "--server-workers",
        type=int,
        default=1,
        help="Server processes for the ingest figures (uvicorn --workers; default 1).",
    )
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"Which figures, comma-separated (default all: {','.join(PARTS)}).",
    )
    parser.add_argument("--ingest-records", type=int, help="Records per ingest run.")
    parser.add_argument("--throttled-records", type=int, help="Backlog over the slow link.")
    parser.add_argument("--wire-records", type=int, help="Photo-less records for bytes/record.")
    parser.add_argument("--throttle-kbit", type=float, default=256.0, help="The slow link's rate.")
    parser.add_argument("--throttle-latency-ms", type=float, default=200.0, help="One way.")
    parser.add_argument(
        "--postgres",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Also PostgreSQL at 127.0.0.1:5432 (default: when reachable).",
    )
    parser.add_argument(
        "--soak", action="store_true", help="Run the long chaos soak instead of the figures."
    )
    parser.add_argument("--soak-seeds", type=int, default=8, help="Seeds per database.")
    parser.add_argument("--soak-records", type=int, default=90, help="Submissions per seed.")
    args = parser.parse_args(argv)

    backends = ["sqlite"]
    if args.postgres is not False:
        if postgres_reachable():
            backends.append("postgresql")
        else:
            print("PostgreSQL not reachable at 127.0.0.1:5432: its figures are not measured")
            if args.postgres:
                sys.exit(1)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as temporary:
        if args.soak:
            soak(backends, args.soak_seeds, args.soak_records, Path(temporary))
        else:
            figures(args, backends, Path(temporary))


if __name__ == "__main__":
    main()
