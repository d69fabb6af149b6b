"""Photos go up before the records that refer to them: a few at once, small ones bundled.

Only the network runs on the pool's threads; what each upload ended in is stored from the run's
own thread, which owns the device's database connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial

from sync.errors import RequestRefused
from sync.ports import QueuedRecord
from sync.protocol import ErrorCode, Limits, bundle_overhead
from sync.run import RunContext

# The device's own code for a record it will not send (the server's codes are ErrorCode).
ATTACHMENT_MISSING_ON_DEVICE = "attachment_missing_on_device"
_SKIPPED = InterruptedError("not started: the run is ending")
_SCAN_PAGE = 500

Outcomes = dict[str, BaseException | None]  # per photo: what refused it, None when it arrived
UploadJob = Callable[[threading.Event], Outcomes]


@dataclass(frozen=True)
class UploadSettings:
    # Enough uploads in flight to hide the server's fsync, few enough that a slow link is not
    # split into many slow uploads.
    uploads_at_once: int = 3
    # A bundle of small photos holds at most this many chunks' worth: one request instead of one
    # per photo, while a cut bundle (sent again whole) costs a slow link at most a few chunks.
    bundle_chunks: int = 4


@dataclass(frozen=True)
class AttachmentUploader:
    """Uploads the photos the server lacks for the due records; quarantines what cannot go."""

    run: RunContext
    limits: Limits
    settings: UploadSettings = UploadSettings()

    def upload(self) -> None:
        referring: dict[str, list[QueuedRecord]] = {}
        sizes: dict[str, int] = {}
        for row in self._due_rows():
            if row.kind not in self.limits.record_kinds:
                continue  # this server does not take the record: its photos can wait too
            problem = self._problem(row, sizes)
            if problem:
                self.run.quarantine_locally(row, problem)
                continue
            for sha in row.attachments:
                referring.setdefault(sha, []).append(row)
        if not referring:
            return
        missing = self.run.retry.call(lambda: self.run.client.query_attachments(referring))
        todo = [sha for sha in missing if sha in referring]
        self.run.tally.bytes_total = sum(sizes[sha] for sha in todo)
        self.run.tally.publish("attachments")
        abort = threading.Event()
        jobs = self._jobs(todo, sizes)
        with ThreadPoolExecutor(max(1, self.settings.uploads_at_once), "lengkap-upload") as pool:
            futures = [pool.submit(job, abort) for job in jobs]
            try:
                for future in as_completed(futures):
                    for sha, outcome in future.result().items():
                        self._settle(sha, sizes[sha], referring[sha], outcome)
            except BaseException:
                abort.set()  # the others stop before their next photo; the run ends
                raise

    def _due_rows(self) -> list[QueuedRecord]:
        rows: list[QueuedRecord] = []
        after = 0
        outbox = self.run.device.outbox
        while page := outbox.due(after_seq=after, limit=_SCAN_PAGE, now=self.run.schedule):
            rows.extend(page)
            after = page[-1].seq
        return rows

    def _problem(self, row: QueuedRecord, sizes: dict[str, int]) -> str:
        for sha in row.attachments:
            if sha not in sizes:
                try:
                    sizes[sha] = self.run.device.photos.photo_path(sha).stat().st_size
                except OSError:
                    return ATTACHMENT_MISSING_ON_DEVICE
            if sizes[sha] > self.limits.max_attachment_bytes:
                return ErrorCode.ATTACHMENT_TOO_LARGE.value
        return ""

    def _jobs(self, todo: list[str], sizes: dict[str, int]) -> list[UploadJob]:
        """One job per bundle of small photos (when offered) and per bigger photo."""
        limits = self.limits
        jobs: list[UploadJob] = []
        bundle: list[str] = []
        room = min(limits.max_body_bytes, self.settings.bundle_chunks * limits.chunk_bytes)
        held = 0
        for sha in todo:
            size = sizes[sha]
            if not limits.attachment_bundles or size > limits.chunk_bytes:
                jobs.append(partial(self._send_one, sha, size))
                continue
            if bundle and (
                held + size + bundle_overhead(len(bundle) + 1) > room
                or len(bundle) >= limits.max_bundle_photos
            ):
                jobs.append(partial(self._send_bundle, bundle))
                bundle, held = [], 0
            bundle.append(sha)
            held += size
        if bundle:
            jobs.append(partial(self._send_bundle, bundle))
        return jobs

    def _send_one(self, sha: str, size: int, abort: threading.Event) -> Outcomes:
        return {sha: self._send_photo(sha, size, abort)}

    def _send_bundle(self, shas: list[str], abort: threading.Event) -> Outcomes:
        """Several small photos in one request; when the server refuses the bundle as a whole,
        each photo goes on its own instead."""
        if abort.is_set() or self.run.should_stop():
            return dict.fromkeys(shas, _SKIPPED)
        outcomes: Outcomes = {}
        parts: list[tuple[str, bytes]] = []
        for sha in shas:
            try:
                parts.append((sha, self.run.device.photos.photo_path(sha).read_bytes()))
            except OSError as missing:
                outcomes[sha] = missing
        if not parts:
            return outcomes
        try:
            answer = self.run.retry.call(lambda: self.run.client.upload_bundle(parts))
        except RequestRefused:
            for sha, data in parts:
                outcomes[sha] = self._send_photo(sha, len(data), abort)
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
        self.run.tally.add_bytes(sent)
        return outcomes

    def _send_photo(self, sha: str, size: int, abort: threading.Event) -> BaseException | None:
        """One photo, chunk by chunk and resumable; a SyncError that ends the run is raised."""
        if abort.is_set() or self.run.should_stop():
            return _SKIPPED
        sent = 0

        def on_bytes(done: int, _total: int) -> None:
            nonlocal sent
            self.run.tally.add_bytes(done - sent)
            sent = done

        path = self.run.device.photos.photo_path(sha)
        try:
            self.run.retry.call(
                lambda: self.run.client.upload_attachment(
                    sha, path, size, on_bytes, known_missing=True
                )
            )
        except (RequestRefused, OSError) as refused:
            return refused
        self.run.tally.add_bytes(size - sent, phase=None)
        return None

    def _settle(
        self, sha: str, size: int, rows: list[QueuedRecord], outcome: BaseException | None
    ) -> None:
        if outcome is _SKIPPED:
            return
        if isinstance(outcome, RequestRefused):
            # Hash or size mismatch, too large: resending cannot help, a person must look.
            for row in rows:
                self.run.quarantine_locally(row, outcome.error_code, outcome.message or None)
        elif isinstance(outcome, OSError):
            for row in rows:
                self.run.quarantine_locally(row, ATTACHMENT_MISSING_ON_DEVICE)
        else:
            self.run.tally.report.attachments_uploaded += 1
            self.run.tally.report.bytes_uploaded += size
