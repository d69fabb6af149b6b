"""The wire contract between a kiosk and the central server, version 1; shared by both sides.

Append-only upload keyed by client UUIDs, attachments by SHA-256 in resumable chunks, and a pull
of status changes and reference data by an opaque cursor (see shared/design/SYNC.md). Everything
here is data: message shapes, limits and error codes. No I/O, nothing from kiosk's store or views.

Endpoints (all JSON; request bodies may be gzip-compressed with `Content-Encoding: gzip`):

    GET  /health                                  liveness, no auth
    GET  /v1/limits                               Limits: what the server accepts, before anything is queued
    POST /v1/enroll            EnrollRequest   -> EnrollResponse  (one-time code -> device credential)
    POST /v1/push              PushRequest     -> PushResponse    (per-record results)
    POST /v1/attachments/query AttachmentQuery -> AttachmentQueryResponse (which the server lacks)
    GET  /v1/attachments/{sha256}              -> AttachmentStatus (bytes received so far)
    PUT  /v1/attachments/{sha256}?offset=N&total=T  raw chunk bytes -> AttachmentStatus
    GET  /v1/pull?cursor=C&limit=N             -> PullResponse

Every /v1 request except enroll carries `Authorization: Bearer <credential>` and
`Lengkap-Protocol: 1`. Errors answer with ErrorResponse and a stable ErrorCode; 429 and 503 carry
`Retry-After` (seconds).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = (1,)
PROTOCOL_HEADER = "Lengkap-Protocol"
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class Message(BaseModel):
    """Base of every message: unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorCode(StrEnum):
    """Stable codes a device (and a person) can act on; never renamed, only added."""

    MALFORMED_REQUEST = "malformed_request"  # not JSON, or not the message's shape
    UNSUPPORTED_PROTOCOL = "unsupported_protocol"
    UNKNOWN_DEVICE = "unknown_device"  # no or wrong credential
    REVOKED_DEVICE = "revoked_device"
    INVALID_ENROLLMENT_CODE = "invalid_enrollment_code"  # unknown, used or expired
    BODY_TOO_LARGE = "body_too_large"
    BATCH_TOO_LARGE = "batch_too_large"
    INVALID_RECORD = "invalid_record"  # the server's re-validation refused it
    CONFLICT = "conflict"  # same client id, different content
    MISSING_ATTACHMENTS = "missing_attachments"  # upload them first, then push again
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    HASH_MISMATCH = "hash_mismatch"
    SIZE_MISMATCH = "size_mismatch"
    BAD_OFFSET = "bad_offset"  # a chunk that does not continue what the server holds
    BAD_CURSOR = "bad_cursor"
    OVERLOADED = "overloaded"  # 429/503: try again after Retry-After
    NOT_FOUND = "not_found"


# Results a device may retry later; every other error is final for that record.
RETRYABLE = frozenset({ErrorCode.OVERLOADED, ErrorCode.MISSING_ATTACHMENTS})


class LocalisedText(Message):
    """A sentence for a person: Bahasa Indonesia first, English second."""

    id: str
    en: str


class ErrorBody(Message):
    code: ErrorCode
    message: LocalisedText
    retry_after: float | None = None  # seconds, for OVERLOADED
    received: int | None = None  # BAD_OFFSET: the bytes the server holds; resume from here


class ErrorResponse(Message):
    error: ErrorBody


class Limits(Message):
    """Advertised up front so nothing is found too big only after it was queued."""

    protocol_versions: tuple[int, ...] = SUPPORTED_VERSIONS
    max_batch_records: int = 100
    max_body_bytes: int = 2 * 1024 * 1024  # on the wire and, for a gzip body, once inflated
    chunk_bytes: int = 256 * 1024
    max_attachment_bytes: int = 8 * 1024 * 1024
    max_pull_changes: int = 500


class EnrollRequest(Message):
    protocol: int = PROTOCOL_VERSION
    code: str = Field(min_length=6, max_length=64)


class EnrollResponse(Message):
    device_name: str
    device_code: str  # unique among this server's devices; prefixes register numbers
    credential: str  # shown once; the server keeps only its hash
    area: str  # Kemendagri region code the device serves
    server_time: datetime


RecordKind = Literal["submission", "complaint"]


class OutboxRecord(Message):
    """One outbox row: the record as the device stored it, keyed by its client UUID."""

    client_id: str = Field(min_length=1, max_length=64)
    kind: RecordKind
    body: dict[str, Any]
    attachments: tuple[str, ...] = ()  # SHA-256s the record refers to

    @property
    def fingerprint(self) -> str:
        return body_fingerprint(self.body)


class PushRequest(Message):
    protocol: int = PROTOCOL_VERSION
    records: tuple[OutboxRecord, ...]


class RecordStatus(StrEnum):
    ACCEPTED = "accepted"  # stored now
    DUPLICATE = "duplicate"  # stored before with identical content: success for the device
    CONFLICT = "conflict"  # stored before with different content: quarantine, a person decides
    REJECTED = "rejected"  # refused by re-validation: quarantine with the reason
    RETRY = "retry"  # not stored yet, e.g. attachments missing: try again later

    @property
    def is_success(self) -> bool:
        return self in (RecordStatus.ACCEPTED, RecordStatus.DUPLICATE)


class RecordResult(Message):
    client_id: str
    status: RecordStatus
    code: ErrorCode | None = None
    message: LocalisedText | None = None
    register_number: str | None = None
    missing_attachments: tuple[str, ...] = ()
    # REJECTED: the precise reason (a translation code, e.g. "nik.day_out_of_range") and the field
    # of the record it is about ("applicant.nik"), so the device can point at what to correct.
    reason: str | None = None
    field: str | None = None


class PushResponse(Message):
    results: tuple[RecordResult, ...]
    server_time: datetime


class AttachmentQuery(Message):
    sha256s: tuple[str, ...] = Field(max_length=1000)


class AttachmentQueryResponse(Message):
    missing: tuple[str, ...]


class AttachmentStatus(Message):
    sha256: str
    received: int  # bytes the server holds; the next chunk starts here
    complete: bool


class ChangeKind(StrEnum):
    STATUS = "status"  # a submission's or complaint's state changed on the server
    ROSTER = "roster"  # a roster entry for the device's area was added or changed
    RULES = "rules"  # a program's rule file changed


class Change(Message):
    kind: ChangeKind
    changed_at: datetime
    # STATUS: record_kind, client_id, register_number, state, note
    # ROSTER: program, entry (the roster row), removed
    # RULES: program, version, text (the whole TOML file)
    data: dict[str, Any]


class PullResponse(Message):
    changes: tuple[Change, ...]
    next_cursor: str
    has_more: bool


def canonical_json(value: Any) -> bytes:
    """The one byte form both sides hash: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def body_fingerprint(body: dict[str, Any]) -> str:
    """SHA-256 of a record's canonical JSON: equal fingerprints mean an identical resend."""
    return hashlib.sha256(canonical_json(body)).hexdigest()
