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
    POST /v1/attachments/bundle  encode_bundle() bytes -> BundleResponse (several whole photos)
    GET  /v1/pull?cursor=C&limit=N             -> PullResponse

Every /v1 request except enroll carries `Authorization: Bearer <credential>` and
`Lengkap-Protocol: 1`. Errors answer with ErrorResponse and a stable ErrorCode; 429 and 503 carry
`Retry-After` (seconds), a floor: the device waits that long plus a random part.

Version 1 grows only by additions an older peer can ignore: the record kind "survey" (a
satisfaction answer, no personal data) sent only to a server whose Limits list it in
`record_kinds`; compact push answers (`compact_results`, asked for only when the Limits offer
them); the error code `internal_error`; successful push results without a sentence; photo
bundles (`attachment_bundles`): several photos that each fit one chunk, whole, in one request of
at most `max_body_bytes`, answered photo by photo (a photo whose bytes do not match its SHA-256
or size is refused by name and not kept; the others of the bundle are). Photos bigger than a
chunk, and every photo to a server whose Limits do not offer bundles, go by the chunked PUT.
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
    INTERNAL_ERROR = "internal_error"  # 500: a fault on the server; the device tries again later
    REQUEST_TIMEOUT = "request_timeout"  # 408: the body came too slowly; send it again
    TOO_MANY_REQUESTS = "too_many_requests"  # 429: this device already has requests in flight
    UPLOAD_QUOTA = "upload_quota"  # 429: this device has too many unfinished uploads
    STORAGE_FULL = "storage_full"  # 507: the server's disk is nearly full; try again later
    UNSUPPORTED_MEDIA = "unsupported_media"  # 415: not a JPEG, PNG, WebP (or PDF evidence)
    TOO_MANY_PIXELS = "too_many_pixels"  # 422: the image header declares more pixels than allowed
    UNAVAILABLE = "unavailable"  # 503: the server's database does not answer; try again later


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


RecordKind = Literal["submission", "complaint", "survey"]
# What a server from before `Limits.record_kinds` accepts: a device sends it nothing else.
FIRST_RECORD_KINDS: tuple[RecordKind, ...] = ("submission", "complaint")
RECORD_KINDS: tuple[RecordKind, ...] = ("submission", "complaint", "survey")


class Limits(Message):
    """Advertised up front so nothing is found too big only after it was queued."""

    protocol_versions: tuple[int, ...] = SUPPORTED_VERSIONS
    max_batch_records: int = 100
    max_body_bytes: int = 2 * 1024 * 1024  # on the wire and, for a gzip body, once inflated
    chunk_bytes: int = 256 * 1024
    max_attachment_bytes: int = 8 * 1024 * 1024
    max_pull_changes: int = 500
    # Added to protocol 1 without a version bump: older devices ignore it, and an answer without
    # it comes from a server that takes FIRST_RECORD_KINDS only (see SyncClient.limits()). Plain
    # strings, so a kind added later does not make this device misread the whole answer.
    record_kinds: tuple[str, ...] = RECORD_KINDS
    # Added to protocol 1 likewise (absent: False): the server can answer a push compactly.
    compact_results: bool = True
    # Added to protocol 1 likewise (absent: False): POST /v1/attachments/bundle is there.
    attachment_bundles: bool = True
    max_bundle_photos: int = 64


class EnrollRequest(Message):
    protocol: int = PROTOCOL_VERSION
    code: str = Field(min_length=6, max_length=64)


class EnrollResponse(Message):
    device_name: str
    device_code: str  # unique among this server's devices; prefixes register numbers
    credential: str  # shown once; the server keeps only its hash
    area: str  # Kemendagri region code the device serves
    server_time: datetime


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
    # Only to a server whose Limits say compact_results (an older one refuses the field):
    # leave accepted records out of the answer, which is then mostly client ids otherwise.
    compact_results: bool = False


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
    """One result per record; when the push asked for compact results, the records accepted
    without a remark are left out: a record of the batch without a result was accepted."""

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


class BundlePart(Message):
    """One photo of a bundle: its bytes follow the header in the order the parts are listed."""

    sha256: str = Field(pattern=SHA256_PATTERN)
    size: int = Field(ge=1)


class BundleHeader(Message):
    protocol: int = PROTOCOL_VERSION
    parts: tuple[BundlePart, ...] = Field(min_length=1)


class BundlePartResult(Message):
    """The outcome for one photo of a bundle: complete, or refused with a code (not kept)."""

    sha256: str
    complete: bool
    received: int = 0
    code: ErrorCode | None = None
    message: LocalisedText | None = None


class BundleResponse(Message):
    results: tuple[BundlePartResult, ...]  # one per part, in the order of the bundle


# A bundle's body: the header's length as 4 bytes (big-endian), the header as canonical JSON,
# then every part's bytes back to back. Binary, not JSON: photos are not re-encoded.
BUNDLE_CONTENT_TYPE = "application/vnd.lengkap.bundle"
_BUNDLE_PREFIX = 4


def bundle_overhead(parts: int) -> int:
    """An upper bound of a bundle's bytes besides the photos, for packing under the body limit."""
    return _BUNDLE_PREFIX + 64 + parts * 110


def encode_bundle(parts: list[tuple[str, bytes]]) -> bytes:
    """The body of POST /v1/attachments/bundle for (sha256, bytes) pairs."""
    header = BundleHeader(parts=tuple(BundlePart(sha256=s, size=len(d)) for s, d in parts))
    raw = canonical_json(header.model_dump(mode="json"))
    return b"".join([len(raw).to_bytes(_BUNDLE_PREFIX, "big"), raw, *(d for _, d in parts)])


def decode_bundle(body: bytes) -> tuple[BundleHeader, list[bytes]]:
    """Header and parts of a bundle body; ValueError when it is not one (sizes must add up)."""
    if len(body) < _BUNDLE_PREFIX:
        raise ValueError("short bundle")
    length = int.from_bytes(body[:_BUNDLE_PREFIX], "big")
    start = _BUNDLE_PREFIX + length
    if start > len(body):
        raise ValueError("short bundle header")
    header = BundleHeader.model_validate(json.loads(body[_BUNDLE_PREFIX:start]))
    if start + sum(part.size for part in header.parts) != len(body):
        raise ValueError("bundle sizes do not add up")
    data: list[bytes] = []
    for part in header.parts:
        data.append(body[start : start + part.size])
        start += part.size
    return header, data


class ChangeKind(StrEnum):
    STATUS = "status"  # a submission's or complaint's state changed on the server
    ROSTER = "roster"  # a roster entry for the device's area was added or changed
    RULES = "rules"  # a program's rule file changed


class Change(Message):
    kind: ChangeKind
    changed_at: datetime
    # STATUS: record_kind, client_id, register_number, state, note (Indonesian, or as a staff
    #   member typed it), note_en (optional, added later: its English when the note was generated)
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
