"""Resumable attachment uploads: which photos the server lacks, how much it holds, the next chunk.

The attachments table is the registry every server process shares: a SHA-256 is there only once
its bytes were checked and kept. The blob store holds the bytes themselves.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from sync.protocol import (
    SHA256_PATTERN,
    AttachmentStatus,
    BundlePartResult,
    BundleResponse,
    ErrorCode,
    Limits,
    decode_bundle,
)
from sync.server import audit, media, photo_owners
from sync.server.attachments import BlobStore
from sync.server.errors import RequestError
from sync.server.storage import Database, attachments

log = logging.getLogger("lengkap.server.uploads")
_SHA256 = re.compile(SHA256_PATTERN)


@dataclass(frozen=True)
class UploadRules:
    """What one device may leave unfinished, and how much disk must stay free.

    Unfinished uploads are bounded per device by count and by the sizes they announce, so one
    device cannot fill the disk with uploads it never finishes; the sweep removes abandoned ones.
    """

    pending_count: int
    pending_bytes: int
    min_free_bytes: int
    retry_after: float


def check_room(store: BlobStore, rules: UploadRules, incoming: int) -> None:
    """507 storage_full when keeping `incoming` more bytes would leave less than the minimum free."""
    free = store.free_bytes()
    if free is not None and free - incoming < rules.min_free_bytes:
        log.warning("attachment storage nearly full: %d bytes free", free)
        raise RequestError(ErrorCode.STORAGE_FULL, "storage full")


def _check_quota(store: BlobStore, rules: UploadRules, device_id: int, total: int) -> None:
    """429 upload_quota when a new unfinished upload would take the device past its quota."""
    pending = store.pending(device_id)
    if pending.count < rules.pending_count and (
        pending.declared_bytes + total <= rules.pending_bytes
    ):
        return
    log.info("upload quota reached device_id=%d unfinished=%d", device_id, pending.count)
    raise RequestError(
        ErrorCode.UPLOAD_QUOTA,
        "unfinished uploads",
        retry_after=rules.retry_after,
        count=rules.pending_count,
        megabytes=rules.pending_bytes // (1024 * 1024),
    )


def sweep_abandoned(store: BlobStore, age_seconds: float) -> int:
    """Delete unfinished uploads untouched for `age_seconds`; returns how many."""
    swept = store.sweep(time.time() - age_seconds)
    if swept:
        log.info("abandoned uploads removed: %d", swept)
    return swept


def check_sha256(value: str) -> str:
    if not _SHA256.fullmatch(value):
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "sha256", field="sha256")
    return value


def stored(
    connection: Connection, sha256s: Collection[str], store: BlobStore | None = None
) -> set[str]:
    """The SHA-256s among `sha256s` whose bytes the server has checked and kept.

    With `store`, a SHA-256 the registry lists but whose object is gone (a restored backup, a
    lost disk) does not count: the device is asked for it again rather than trusted to be done.
    """
    found: set[str] = set()
    wanted = sorted(set(sha256s))
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        rows = connection.execute(
            select(attachments.c.sha256).where(attachments.c.sha256.in_(part))
        )
        found.update(row.sha256 for row in rows)
    if store is None:
        return found
    lost = {sha256 for sha256 in found if store.size(sha256) is None}
    if lost:
        log.warning("attachments registered but missing from the store: %d", len(lost))
    return found - lost


def missing(
    database: Database,
    sha256s: Collection[str],
    store: BlobStore | None = None,
    *,
    device_id: int | None = None,
) -> tuple[str, ...]:
    """The photos among `sha256s` the server lacks; with `device_id`, also those the device has
    not sent itself (photo_owners.py), so that it sends their bytes."""
    for sha256 in sha256s:
        check_sha256(sha256)
    with database.read() as connection:
        held = stored(connection, sha256s, store)
        if device_id is not None:
            held &= photo_owners.owned(connection, device_id, held)
    return tuple(dict.fromkeys(sha for sha in sha256s if sha not in held))


def status(database: Database, store: BlobStore, sha256: str, now: datetime) -> AttachmentStatus:
    """How much of `sha256` the server holds; repairs the registry after a crash mid-commit.

    The store has the last word: a registered SHA-256 whose object is gone is not complete.
    """
    check_sha256(sha256)
    size = store.size(sha256)
    if size is None:
        return AttachmentStatus(sha256=sha256, received=store.received(sha256), complete=False)
    if _registered_size(database, sha256) is None:
        with database.write() as connection:
            _register(database, connection, sha256, size, now)
    return AttachmentStatus(sha256=sha256, received=size, complete=True)


def receive_chunk(
    database: Database,
    store: BlobStore,
    limits: Limits,
    *,
    device_id: int,
    sha256: str,
    offset: int,
    total: int,
    chunk: bytes,
    now: datetime,
    rules: UploadRules | None = None,
) -> AttachmentStatus:
    """Append one chunk; on the last one check size and hash and register the attachment.

    With `rules`: 507 when the disk is nearly full, 429 when a new unfinished upload would take
    the device past its quota.
    """
    check_sha256(sha256)
    if total > limits.max_attachment_bytes:
        raise RequestError(
            ErrorCode.ATTACHMENT_TOO_LARGE, "total", limit=limits.max_attachment_bytes
        )
    done = status(database, store, sha256, now)
    if done.complete:
        # A resend after a cut connection, or a second device with the same photo: done already.
        if total != done.received:
            raise RequestError(ErrorCode.SIZE_MISMATCH, "total", received=done.received)
        if offset == 0 and len(chunk) == total and photo_owners.proves(sha256, chunk):
            with database.write() as connection:
                photo_owners.grant(database, connection, device_id, [sha256])
        return done
    if not chunk:
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "empty chunk", field="body")
    whole = offset == 0 and len(chunk) == total
    if offset == 0:
        try:
            # What it is, from its first bytes, before any of it is kept.
            media.check_head(chunk)
        except RequestError as exc:
            _refuse(database, device_id, sha256, now, exc)
            raise
    if rules is not None:
        check_room(store, rules, len(chunk))
        if not whole and store.received(sha256) == 0:
            _check_quota(store, rules, device_id, total)
    try:
        if whole:
            # The whole photo in one chunk, as most are: checked in memory, written once.
            size = store.put_whole(sha256, chunk)
            if store.received(sha256):
                store.discard(sha256)  # an earlier, cut upload of the same photo
        else:
            held = store.append(sha256, offset, total, chunk, owner=device_id)
            if held < total:
                return AttachmentStatus(sha256=sha256, received=held, complete=False)
            size = store.commit(sha256, total)
    except RequestError as exc:
        if exc.code in (ErrorCode.HASH_MISMATCH, ErrorCode.SIZE_MISMATCH):
            _refuse(database, device_id, sha256, now, exc)
        raise
    # The registry row and its audit event in one transaction: one commit per photo, not two.
    with database.write() as connection:
        _register(database, connection, sha256, size, now)
        _audit(connection, device_id, sha256, now, "stored", None)
        photo_owners.grant(database, connection, device_id, [sha256])
    return AttachmentStatus(sha256=sha256, received=size, complete=True)


def receive_bundle(
    database: Database,
    store: BlobStore,
    limits: Limits,
    *,
    device_id: int,
    body: bytes,
    now: datetime,
    rules: UploadRules | None = None,
) -> BundleResponse:
    """Several whole photos from one request, answered photo by photo.

    The bundle as a whole is refused (nothing kept) when it is not well formed, lists more
    photos than `max_bundle_photos`, the same photo twice, or a photo bigger than one chunk.
    Otherwise each photo stands alone: one whose bytes do not hash to its SHA-256 is refused by
    name (hash_mismatch) and not kept, the others are checked, written, flushed to disk, then
    registered with their audit events in one transaction, before the answer says so.
    """
    try:
        header, data = decode_bundle(body)
    except ValueError:
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "bundle", field="body") from None
    parts = header.parts
    if len(parts) > limits.max_bundle_photos:
        raise RequestError(ErrorCode.BATCH_TOO_LARGE, "bundle", limit=limits.max_bundle_photos)
    if len({part.sha256 for part in parts}) != len(parts):
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "bundle twice", field="parts")
    if any(part.size > limits.chunk_bytes for part in parts):
        # Bigger photos go chunk by chunk, so that a cut upload resumes.
        raise RequestError(ErrorCode.ATTACHMENT_TOO_LARGE, "bundle", limit=limits.chunk_bytes)
    held = {part.sha256: store.size(part.sha256) for part in parts}
    fresh = [(part.sha256, chunk) for part, chunk in zip(parts, data, strict=True)]
    fresh = [(sha256, chunk) for sha256, chunk in fresh if held[sha256] is None]
    if rules is not None:
        check_room(store, rules, sum(len(chunk) for _sha256, chunk in fresh))
    # Each photo is checked for what it is before any is kept; a refused one is answered by name.
    outcome: dict[str, RequestError | int] = {}
    for sha256, chunk in fresh:
        try:
            media.check_head(chunk)
        except RequestError as exc:
            outcome[sha256] = exc
    outcome.update(store.put_many([item for item in fresh if item[0] not in outcome]))
    results: list[BundlePartResult] = []
    events: list[tuple[str, str, str | None]] = []
    registered: list[tuple[str, int]] = []
    sent = {part.sha256: chunk for part, chunk in zip(parts, data, strict=True)}
    for part in parts:
        size = held[part.sha256]
        if size is not None:
            # Kept before (a resend after a cut, another device's photo): done already.
            if size != part.size:
                results.append(
                    _refused(
                        part.sha256,
                        RequestError(ErrorCode.SIZE_MISMATCH, "total", received=size),
                        received=size,
                    )
                )
                continue
            registered.append((part.sha256, size))
            results.append(BundlePartResult(sha256=part.sha256, complete=True, received=size))
            continue
        kept = outcome[part.sha256]
        if isinstance(kept, RequestError):
            events.append((part.sha256, "refused", kept.code.value))
            log.info("attachment refused sha256=%s code=%s", part.sha256[:12], kept.code.value)
            results.append(_refused(part.sha256, kept))
            continue
        registered.append((part.sha256, kept))
        events.append((part.sha256, "stored", None))
        results.append(BundlePartResult(sha256=part.sha256, complete=True, received=kept))
        if store.received(part.sha256):
            store.discard(part.sha256)  # an earlier, cut upload of the same photo
    # Registry rows and audit events of the whole bundle in one transaction: one commit.
    with database.write() as connection:
        if registered:
            connection.execute(
                database.insert_ignoring_duplicates(attachments),
                [{"sha256": sha, "size": size, "stored_at": now} for sha, size in registered],
            )
        # What this device sent: stored now, or held before and these very bytes again.
        stored_now = {sha for sha, outcome_name, _code in events if outcome_name == "stored"}
        proven = [
            sha
            for sha, _size in registered
            if sha in stored_now or photo_owners.proves(sha, sent[sha])
        ]
        photo_owners.grant(database, connection, device_id, proven)
        audit.append_many(
            connection,
            [
                {
                    "at": now,
                    "action": "attachment",
                    "device_id": device_id,
                    "fingerprint": sha256,
                    "outcome": outcome_name,
                    "code": code,
                }
                for sha256, outcome_name, code in events
            ],
        )
    return BundleResponse(results=tuple(results))


def _refuse(
    database: Database, device_id: int, sha256: str, now: datetime, exc: RequestError
) -> None:
    """Put a refused upload on the audit trail and in the log (by hash prefix and code)."""
    with database.write() as connection:
        _audit(connection, device_id, sha256, now, "refused", exc.code.value)
    log.info("attachment refused sha256=%s code=%s", sha256[:12], exc.code.value)


def _refused(sha256: str, error: RequestError, received: int = 0) -> BundlePartResult:
    return BundlePartResult(
        sha256=sha256,
        complete=False,
        received=received,
        code=error.code,
        message=error.response().error.message,
    )


def _registered_size(database: Database, sha256: str) -> int | None:
    with database.read() as connection:
        return connection.execute(
            select(attachments.c.size).where(attachments.c.sha256 == sha256)
        ).scalar_one_or_none()


def _register(
    database: Database, connection: Connection, sha256: str, size: int, now: datetime
) -> None:
    connection.execute(
        database.insert_ignoring_duplicates(attachments).values(
            sha256=sha256, size=size, stored_at=now
        )
    )


def _audit(
    connection: Connection,
    device_id: int,
    sha256: str,
    now: datetime,
    outcome: str,
    code: str | None,
) -> None:
    audit.append(
        connection,
        at=now,
        action="attachment",
        device_id=device_id,
        fingerprint=sha256,
        outcome=outcome,
        code=code,
    )
