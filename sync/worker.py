"""The sync job: drain the outbox, then pull what changed, whenever the server can be reached.

Every step can be cut by a kill or a power loss: rows are claimed, sent and marked in separate
transactions, the server answers `duplicate` for what it already holds, and the pull cursor is
stored in the transaction that applied its changes. So the next run loses nothing and stores
nothing twice. Only what may succeed later is retried (transport errors, 429, 503, 5xx), with
capped exponential backoff and full jitter; a rejection is quarantined, never retried.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

import sqlite_utils

from kiosk.store import outbox
from kiosk.store.attachments import photo_path
from kiosk.store.outbox import OutboxRow
from kiosk.store.sync_state import pull_cursor, record_run, sync_lock
from sync.client import SyncClient
from sync.device import apply_page
from sync.errors import RequestRefused, SyncAlreadyRunning, SyncError
from sync.protocol import (
    ErrorCode,
    Limits,
    OutboxRecord,
    PullResponse,
    RecordKind,
    RecordResult,
    RecordStatus,
    bundle_overhead,
    canonical_json,
)

T = TypeVar("T")
Clock = Callable[[], datetime]
Sleep = Callable[[float], None]
Draw = Callable[[], float]  # uniform in [0, 1)

# Codes the device itself gives a record it will not send (the server's codes are ErrorCode).
ATTACHMENT_MISSING_ON_DEVICE = "attachment_missing_on_device"
NO_RESULT = "no_result"
# Refusals of a whole push that one record may have caused: halve the batch to find it.
_BISECT = frozenset(
    {
        ErrorCode.BODY_TOO_LARGE,
        ErrorCode.BATCH_TOO_LARGE,
        ErrorCode.MALFORMED_REQUEST,
        ErrorCode.INVALID_RECORD,
    }
)
_PUSH_OVERHEAD = 64  # bytes of PushRequest around its records
UPLOADS_AT_ONCE = 3  # uploads (photos or bundles) in flight together: enough to hide the
# server's fsync, few enough that a slow link is not split into many slow uploads
# A bundle of small photos holds at most this many chunks' worth: one request instead of one
# per photo, while a cut bundle (sent again whole) costs a slow link at most a few chunks.
BUNDLE_CHUNKS = 4
_SKIPPED = InterruptedError("not started: the run is ending")
_SCAN_PAGE = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    """UTC, to the second: stored times compare correctly as text."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter: a random wait in [0, min(cap, base * 2^n))."""

    base: float
    cap: float

    def delay(self, attempt: int, draw: Draw) -> float:
        return draw() * min(self.cap, self.base * 2.0 ** max(0, attempt))

    def delay_after(self, floor: float, attempt: int, draw: Draw) -> float:
        """`floor` (a server's Retry-After) and full jitter above it: Retry-After is the earliest
        moment, never the moment, so devices told the same number do not return as one wave.
        """
        return floor + self.delay(attempt, draw)


@dataclass(frozen=True)
class RetryPolicy:
    """How long one run keeps trying, and when a record the server asked to resend is due again."""

    request: Backoff = Backoff(base=1.0, cap=30.0)
    tries: int = 4  # per request within one run
    longest_wait: float = 120.0  # a longer Retry-After ends the run; the watcher comes back
    record: Backoff = Backoff(base=60.0, cap=6 * 3600.0)


@dataclass(frozen=True)
class SyncProgress:
    """Where a run stands, for a progress bar: records and bytes, done and total."""

    phase: str  # "attachments", "records" or "changes"
    records_done: int
    records_total: int
    bytes_done: int
    bytes_total: int
    changes_applied: int = 0


ProgressCallback = Callable[[SyncProgress], None]


@dataclass(frozen=True)
class QuarantinedRecord:
    kind: str
    client_id: str
    register_number: str | None
    code: str
    message: dict[str, str] | None


@dataclass
class SyncReport:
    """What one run did and what is left; `error` is why it stopped early, if it did."""

    started_at: str
    finished_at: str = ""
    sent: int = 0  # accepted or duplicate: the server holds them
    duplicates: int = 0
    retry_later: int = 0
    stale: int = 0  # edited while in flight: will go again
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    attachments_uploaded: int = 0
    bytes_uploaded: int = 0
    changes_applied: int = 0
    changes_skipped: int = 0
    pending: int = 0
    quarantined_total: int = 0
    error: SyncError | None = None

    @property
    def is_complete(self) -> bool:
        """Everything this device holds is on the server and nothing failed."""
        return self.error is None and self.pending == 0 and self.quarantined_total == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "complete": self.is_complete,
            "sent": self.sent,
            "duplicates": self.duplicates,
            "retry_later": self.retry_later,
            "stale": self.stale,
            "quarantined": [vars(item) for item in self.quarantined],
            "attachments_uploaded": self.attachments_uploaded,
            "bytes_uploaded": self.bytes_uploaded,
            "changes_applied": self.changes_applied,
            "changes_skipped": self.changes_skipped,
            "pending": self.pending,
            "quarantined_total": self.quarantined_total,
            "error": error_summary(self.error),
        }


def error_summary(error: SyncError | None) -> dict[str, Any] | None:
    """The error as a code and parameters: what is stored and shown, never a body or secret."""
    if error is None:
        return None
    return {"code": error.code, "params": dict(error.params), "retryable": error.retryable}


def sync_once(
    db: sqlite_utils.Database,
    data_dir: Path,
    client: SyncClient,
    *,
    policy: RetryPolicy = RetryPolicy(),
    clock: Clock = utc_now,
    sleep: Sleep = time.sleep,
    draw: Draw = random.random,
    on_progress: ProgressCallback | None = None,
    respect_schedule: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    uploads_at_once: int = UPLOADS_AT_ONCE,
) -> SyncReport:
    """One full run: limits, attachments, records, then the server's changes.

    `respect_schedule` leaves rows whose retry time has not come (the background watcher);
    a person pressing "sync now" sends everything pending.
    """
    report = SyncReport(started_at=_iso(clock()))
    with sync_lock(data_dir) as held:
        if not held:
            report.error = SyncAlreadyRunning("another process is syncing this device")
            report.finished_at = _iso(clock())
            return report
        outbox.recover_interrupted(db)
        run = _Run(db, Path(data_dir), client, report)
        run.policy, run.clock, run.sleep, run.draw = policy, clock, sleep, draw
        run.on_progress, run.should_stop = on_progress, should_stop
        run.uploads_at_once = uploads_at_once
        run.schedule = _iso(clock()) if respect_schedule else None
        try:
            run.execute()
        except SyncError as exc:
            report.error = exc
            run.release_claimed(exc)
        left = outbox.counts(db)
        report.pending = left[outbox.PENDING] + left[outbox.SENDING]
        report.quarantined_total = left[outbox.QUARANTINED]
        report.finished_at = _iso(clock())
        record_run(db, report.finished_at, error_summary(report.error))
    return report


class _Run:
    """The state of one sync run; each method is one phase or one exchange."""

    def __init__(
        self, db: sqlite_utils.Database, data_dir: Path, client: SyncClient, report: SyncReport
    ) -> None:
        self.db, self.data_dir, self.client, self.report = db, data_dir, client, report
        self.policy = RetryPolicy()
        self.clock: Clock = utc_now
        self.sleep: Sleep = time.sleep
        self.draw: Draw = random.random
        self.on_progress: ProgressCallback | None = None
        self.should_stop: Callable[[], bool] = lambda: False
        self.schedule: str | None = None  # only rows due by then; None: every pending row
        self.claimed: set[int] = set()  # rows marked sending and not answered yet
        self.records_total = self.records_done = 0
        self.bytes_total = self.bytes_done = 0
        self.uploads_at_once = UPLOADS_AT_ONCE
        self.compact = False  # push answers leave accepted records out (when the server can)
        self.lock = threading.Lock()  # bytes_done, from the upload threads

    def execute(self) -> None:
        limits = self.call(self.client.limits)
        self.compact = limits.compact_results
        self.records_total = outbox.count_due(self.db, self.schedule)
        self.upload_attachments(limits)
        self.push_records(limits)
        self.pull_changes(limits)

    def stamp(self) -> str:
        """Now, as stored: UTC to the second."""
        return _iso(self.clock())

    # -- retrying what may succeed later -----------------------------------------------------

    def call(self, request: Callable[[], T]) -> T:
        """Run `request`, retrying retryable errors with full-jitter backoff and Retry-After."""
        attempt = 0
        while True:
            try:
                return request()
            except SyncError as exc:
                attempt += 1
                if not exc.retryable or attempt >= self.policy.tries or self.should_stop():
                    raise
                retry_after = getattr(exc, "retry_after", None)
                if retry_after is None:
                    wait = self.policy.request.delay(attempt - 1, self.draw)
                elif retry_after > self.policy.longest_wait:
                    raise
                else:
                    wait = self.policy.request.delay_after(retry_after, attempt - 1, self.draw)
                self.sleep(wait)

    def release_claimed(self, error: SyncError) -> None:
        """Rows in flight when the run failed go back to the queue, due at once."""
        if self.claimed:
            outbox.retry_later(
                self.db, self.claimed, code=error.code, message=None, at=self.stamp()
            )
            self.claimed.clear()

    def progress(self, phase: str) -> None:
        if self.on_progress:
            self.on_progress(
                SyncProgress(
                    phase=phase,
                    records_done=self.records_done,
                    records_total=self.records_total,
                    bytes_done=self.bytes_done,
                    bytes_total=self.bytes_total,
                    changes_applied=self.report.changes_applied,
                )
            )

    # -- attachments before the records that refer to them ------------------------------------

    def upload_attachments(self, limits: Limits) -> None:
        referring: dict[str, list[OutboxRow]] = {}
        sizes: dict[str, int] = {}
        for row in self.each_due_row():
            if row.kind not in limits.record_kinds:
                continue  # this server does not take the record: its photos can wait too
            problem = self.attachment_problem(row, limits, sizes)
            if problem:
                self.quarantine_locally(row, problem)
                continue
            for sha in row.attachments:
                referring.setdefault(sha, []).append(row)
        if not referring:
            return
        missing = self.call(lambda: self.client.query_attachments(referring))
        todo = [sha for sha in missing if sha in referring]
        self.bytes_total = sum(sizes[sha] for sha in todo)
        self.progress("attachments")
        # A few uploads in flight at once: while one waits on the server's disk, another is sent.
        # Small photos go several to a request when the server offers bundles; bigger ones go
        # chunk by chunk, resumable. Only the network runs in the pool; the outcome of each is
        # stored from this thread, which owns the database connection.
        abort = threading.Event()
        jobs = self.upload_jobs(todo, sizes, limits)
        with ThreadPoolExecutor(max(1, self.uploads_at_once), "lengkap-upload") as pool:
            futures = [pool.submit(job, abort) for job in jobs]
            try:
                for future in as_completed(futures):
                    for sha, outcome in future.result().items():
                        self.settle_upload(sha, sizes[sha], referring[sha], outcome)
            except BaseException:
                abort.set()  # the others stop before their next photo; the run ends
                raise

    def upload_jobs(
        self, todo: list[str], sizes: dict[str, int], limits: Limits
    ) -> list[Callable[[threading.Event], dict[str, BaseException | None]]]:
        """One job per bundle of small photos (when offered) and per bigger photo."""
        jobs: list[Callable[[threading.Event], dict[str, BaseException | None]]] = []
        bundle: list[str] = []
        room = min(limits.max_body_bytes, BUNDLE_CHUNKS * limits.chunk_bytes)
        held = 0
        for sha in todo:
            size = sizes[sha]
            if not limits.attachment_bundles or size > limits.chunk_bytes:
                jobs.append(partial(self.send_one, sha, size))
                continue
            if bundle and (
                held + size + bundle_overhead(len(bundle) + 1) > room
                or len(bundle) >= limits.max_bundle_photos
            ):
                jobs.append(partial(self.send_bundle, bundle))
                bundle, held = [], 0
            bundle.append(sha)
            held += size
        if bundle:
            jobs.append(partial(self.send_bundle, bundle))
        return jobs

    def send_one(
        self, sha: str, size: int, abort: threading.Event
    ) -> dict[str, BaseException | None]:
        return {sha: self.send_attachment(sha, size, abort)}

    def send_bundle(
        self, shas: list[str], abort: threading.Event
    ) -> dict[str, BaseException | None]:
        """Upload several small photos in one request (in a pool thread); outcomes per photo.

        When the server refuses the bundle as a whole, each photo goes on its own instead.
        """
        if abort.is_set() or self.should_stop():
            return dict.fromkeys(shas, _SKIPPED)
        outcomes: dict[str, BaseException | None] = {}
        parts: list[tuple[str, bytes]] = []
        for sha in shas:
            try:
                parts.append((sha, photo_path(self.data_dir, sha).read_bytes()))
            except OSError as missing:
                outcomes[sha] = missing
        if not parts:
            return outcomes
        try:
            answer = self.call(lambda: self.client.upload_bundle(parts))
        except RequestRefused:
            for sha, data in parts:
                outcomes[sha] = self.send_attachment(sha, len(data), abort)
            return outcomes
        sent = 0
        for result, (sha, data) in zip(answer.results, parts, strict=True):
            if result.complete and result.received == len(data):
                outcomes[sha] = None
                sent += len(data)
            else:
                outcomes[sha] = RequestRefused(
                    f"POST /v1/attachments/bundle: {result.code}",
                    error_code=str(result.code or ErrorCode.SIZE_MISMATCH.value),
                    message=result.message.model_dump() if result.message else None,
                )
        with self.lock:
            self.bytes_done += sent
            self.progress("attachments")
        return outcomes

    def send_attachment(self, sha: str, size: int, abort: threading.Event) -> BaseException | None:
        """Upload one photo (in a pool thread); returns what refused it, or None when it is done.

        A SyncError that ends the run (the server away for good, revoked) is raised instead.
        """
        if abort.is_set() or self.should_stop():
            return _SKIPPED
        sent = 0

        def on_bytes(done: int, _total: int) -> None:
            nonlocal sent
            with self.lock:  # held while reporting too, so the figures never go backwards
                self.bytes_done += done - sent
                sent = done
                self.progress("attachments")

        path = photo_path(self.data_dir, sha)
        try:
            self.call(
                lambda: self.client.upload_attachment(sha, path, size, on_bytes, known_missing=True)
            )
        except (RequestRefused, OSError) as refused:
            return refused
        with self.lock:
            self.bytes_done += size - sent
        return None

    def settle_upload(
        self, sha: str, size: int, rows: list[OutboxRow], outcome: BaseException | None
    ) -> None:
        if outcome is _SKIPPED:
            return
        if isinstance(outcome, RequestRefused):
            # Hash or size mismatch, too large: resending cannot help, a person must look.
            for row in rows:
                self.quarantine_locally(row, outcome.error_code, outcome.message or None)
        elif isinstance(outcome, OSError):
            for row in rows:
                self.quarantine_locally(row, ATTACHMENT_MISSING_ON_DEVICE)
        else:
            self.report.attachments_uploaded += 1
            self.report.bytes_uploaded += size

    def each_due_row(self) -> list[OutboxRow]:
        rows: list[OutboxRow] = []
        after = 0
        while page := outbox.due_rows(
            self.db, after_seq=after, limit=_SCAN_PAGE, now=self.schedule
        ):
            rows.extend(page)
            after = page[-1].seq
        return rows

    def attachment_problem(self, row: OutboxRow, limits: Limits, sizes: dict[str, int]) -> str:
        for sha in row.attachments:
            if sha not in sizes:
                try:
                    sizes[sha] = photo_path(self.data_dir, sha).stat().st_size
                except OSError:
                    return ATTACHMENT_MISSING_ON_DEVICE
            if sizes[sha] > limits.max_attachment_bytes:
                return ErrorCode.ATTACHMENT_TOO_LARGE.value
        return ""

    def quarantine_locally(
        self, row: OutboxRow, code: str, message: dict[str, str] | None = None
    ) -> None:
        if outbox.quarantine(self.db, row.seq, code=code, message=message, at=self.stamp()):
            self.note_quarantined(row, code, message)

    def note_quarantined(self, row: OutboxRow, code: str, message: dict[str, str] | None) -> None:
        self.report.quarantined.append(
            QuarantinedRecord(row.kind, row.client_id, row.register_number, code, message)
        )
        self.records_done += 1

    # -- records, in batches within the advertised limits -------------------------------------

    def push_records(self, limits: Limits) -> None:
        after = 0
        self.progress("records")
        while not self.should_stop():
            rows = outbox.due_rows(
                self.db, after_seq=after, limit=limits.max_batch_records, now=self.schedule
            )
            if not rows:
                return
            batch, after = self.fit(rows, limits)
            if batch:
                self.push(batch)
            self.progress("records")

    def fit(self, rows: Sequence[OutboxRow], limits: Limits) -> tuple[list[OutboxRow], int]:
        """The longest run of rows that fits in one request, and the last seq it dealt with."""
        batch: list[OutboxRow] = []
        size = _PUSH_OVERHEAD
        client_ids: set[str] = set()
        last = rows[0].seq - 1
        for row in rows:
            if row.kind not in limits.record_kinds:
                # An older server that does not take this kind: the row waits, unharmed, for
                # the server's upgrade rather than being refused there.
                last = row.seq
                continue
            record_size = len(canonical_json(_record(row).model_dump(mode="json"))) + 1
            if record_size + _PUSH_OVERHEAD > limits.max_body_bytes:
                self.quarantine_locally(row, ErrorCode.BODY_TOO_LARGE.value)
                last = row.seq
                continue
            if batch and (
                size + record_size > limits.max_body_bytes or row.client_id in client_ids
            ):
                break
            batch.append(row)
            client_ids.add(row.client_id)
            size += record_size
            last = row.seq
        return batch, last

    def push(self, rows: Sequence[OutboxRow]) -> None:
        claimed = outbox.claim(self.db, [row.seq for row in rows], self.stamp())
        if not claimed:
            return
        self.claimed.update(row.seq for row in claimed)
        try:
            response = self.call(
                lambda: self.client.push([_record(row) for row in claimed], compact=self.compact)
            )
        except RequestRefused as exc:
            if exc.error_code not in _BISECT:
                raise
            self.refused(claimed, exc)
            return
        results = {result.client_id: result for result in response.results}
        if self.compact:  # a record left out of a compact answer was accepted
            accepted = RecordResult(client_id="", status=RecordStatus.ACCEPTED)
            results = {row.client_id: results.get(row.client_id, accepted) for row in claimed}
        at = self.stamp()
        succeeded = [
            row
            for row in claimed
            if (result := results.get(row.client_id)) is not None and result.status.is_success
        ]
        marked = outbox.mark_sent_many(
            self.db, [(row.seq, row.fingerprint) for row in succeeded], at
        )
        for row in succeeded:
            self.claimed.discard(row.seq)
            if row.seq in marked:
                self.report.sent += 1
                self.report.duplicates += results[row.client_id].status == RecordStatus.DUPLICATE
            else:
                self.report.stale += 1
            self.records_done += 1
        for row in claimed:
            result = results.get(row.client_id)
            if result is not None and result.status.is_success:
                continue
            self.claimed.discard(row.seq)
            if result is None:
                self.retry(row, NO_RESULT, None, at)
            elif result.status == RecordStatus.RETRY:
                code = (result.code or ErrorCode.OVERLOADED).value
                self.retry(row, code, _text(result.message), at)
            else:
                code = (result.code or _STATUS_CODES[result.status]).value
                message = _text(result.message, result.field)
                reject = result.status == RecordStatus.REJECTED
                if outbox.quarantine(
                    self.db,
                    row.seq,
                    code=code,
                    message=message,
                    at=at,
                    fingerprint=row.fingerprint,
                    reject_record=reject,
                ):
                    self.note_quarantined(row, code, message)
                else:
                    self.report.stale += 1

    def refused(self, claimed: list[OutboxRow], exc: RequestRefused) -> None:
        """A whole push refused: halve it until the one record to blame stands alone."""
        at = self.stamp()
        if len(claimed) == 1:
            self.claimed.discard(claimed[0].seq)
            if outbox.quarantine(
                self.db,
                claimed[0].seq,
                code=exc.error_code,
                message=exc.message or None,
                at=at,
                fingerprint=claimed[0].fingerprint,
                reject_record=exc.error_code == ErrorCode.INVALID_RECORD,
            ):
                self.note_quarantined(claimed[0], exc.error_code, exc.message or None)
            return
        outbox.retry_later(
            self.db, [row.seq for row in claimed], code=exc.error_code, message=None, at=at
        )
        self.claimed.difference_update(row.seq for row in claimed)
        middle = len(claimed) // 2
        for half in (claimed[:middle], claimed[middle:]):
            self.push(half)

    def retry(self, row: OutboxRow, code: str, message: dict[str, str] | None, at: str) -> None:
        wait = self.policy.record.delay(row.attempts, self.draw)
        due = _iso(self.clock() + timedelta(seconds=wait))
        outbox.retry_later(
            self.db, [row.seq], code=code, message=message, at=at, next_attempt_at=due
        )
        self.report.retry_later += 1

    # -- what changed on the server ---------------------------------------------------------

    def pull_changes(self, limits: Limits) -> None:
        cursor = pull_cursor(self.db)
        restarted = False
        while not self.should_stop():
            try:
                page = self.call(partial(self.client.pull, cursor, limits.max_pull_changes))
            except RequestRefused as exc:
                if exc.error_code != ErrorCode.BAD_CURSOR or restarted or cursor is None:
                    raise
                # The server no longer knows our place: download everything again from the start.
                cursor, restarted = None, True
                continue
            self.apply(page)
            self.progress("changes")
            if not page.has_more or (page.next_cursor == cursor and not page.changes):
                return
            cursor = page.next_cursor

    def apply(self, page: PullResponse) -> None:
        applied = apply_page(self.db, self.data_dir, page)
        self.report.changes_applied += applied
        self.report.changes_skipped += len(page.changes) - applied


_STATUS_CODES = {
    RecordStatus.CONFLICT: ErrorCode.CONFLICT,
    RecordStatus.REJECTED: ErrorCode.INVALID_RECORD,
}


def _record(row: OutboxRow) -> OutboxRecord:
    return OutboxRecord(
        client_id=row.client_id,
        kind=cast(RecordKind, row.kind),
        body=row.body,
        attachments=row.attachments,
    )


def _text(message: Any, field_name: str | None = None) -> dict[str, str] | None:
    """The server's sentence in both languages, with the field it is about when it named one."""
    if message is None:
        return None
    text = {"id": message.id, "en": message.en}
    if field_name:
        text["field"] = field_name
    return text


class SyncWatcher:
    """Runs a sync whenever work may be due, until stopped: `kiosk sync --watch` and the app.

    After a run that failed on something that may pass, it waits longer each time (full jitter,
    capped, at least the server's Retry-After); after a good run it waits `interval`. `poke()`
    wakes it early, e.g. right after a record was saved.
    """

    def __init__(
        self,
        run_once: Callable[[Callable[[], bool]], SyncReport],
        *,
        interval: float = 60.0,
        backoff: Backoff = Backoff(base=15.0, cap=900.0),
        minimum_wait: float = 1.0,
        draw: Draw = random.random,
        on_report: Callable[[SyncReport], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._run_once = run_once
        self.interval, self.backoff, self.minimum_wait = interval, backoff, minimum_wait
        self._draw = draw
        self._on_report = on_report
        self._stop = stop or threading.Event()
        self._wake = threading.Event()
        self.failures = 0

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def poke(self) -> None:
        self._wake.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            report = self._run_once(self._stop.is_set)
            if self._on_report:
                self._on_report(report)
            wait = self.next_wait(report)
            # Waiting on `wake` (set by stop() and poke()) and checking `stop` at least each second
            # keeps an external stop Event effective even when nobody calls stop().
            deadline = time.monotonic() + wait
            while not self._stop.is_set() and not self._wake.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._wake.wait(min(remaining, 1.0))

    def next_wait(self, report: SyncReport) -> float:
        error = report.error
        if error is None or isinstance(error, SyncAlreadyRunning):
            self.failures = 0
            return self.interval
        self.failures += 1
        if not error.retryable:  # revoked, protocol: a person must act; look again rarely
            return self.backoff.cap
        retry_after = getattr(error, "retry_after", None)
        if retry_after is None:
            wait = self.backoff.delay(self.failures - 1, self._draw)
        else:
            wait = self.backoff.delay_after(retry_after, self.failures - 1, self._draw)
        return max(self.minimum_wait, wait)


def run_watch(
    run_once: Callable[[Callable[[], bool]], SyncReport],
    stop: threading.Event,
    **options: Any,
) -> None:
    """Run a SyncWatcher in this thread until `stop` is set."""
    SyncWatcher(run_once, stop=stop, **options).run()
