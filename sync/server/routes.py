"""The HTTP endpoints of sync/protocol.py: thin handlers that check, delegate and answer.

Order of checks on every /v1 call: protocol header, then credential and the device's turn (a
few requests in flight per device), then body size, pace and shape; then ingest through the
bounded gate, which counts only requests whose bodies are read. Pushes and chunks are refused
first of all (429) when the gate's queue is full, before the credential or the body costs
anything. Database work runs in worker threads, off the event loop. Memory per request is bounded
by the body limits, its time by the body's pace; cap connections with uvicorn's
--limit-concurrency in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from sync.protocol import (
    PROTOCOL_HEADER,
    SUPPORTED_VERSIONS,
    AttachmentQuery,
    AttachmentQueryResponse,
    AttachmentStatus,
    BundleResponse,
    EnrollRequest,
    EnrollResponse,
    ErrorCode,
    ErrorResponse,
    Limits,
    PullResponse,
    PushRequest,
    PushResponse,
    RecordResult,
    RecordStatus,
)
from sync.server import changes, devices, ingest, uploads
from sync.server.body import BodyPace, parse_message, read_body
from sync.server.devices import Device
from sync.server.errors import RequestError
from sync.server.gate import Ticket
from sync.server.state import ServerState

ENROLL_BODY_BYTES = 4096  # an enrolment request is a code and a version
router = APIRouter()
_bearer = HTTPBearer(auto_error=False, description="The device credential from /v1/enroll.")
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse}
    for status in (400, 401, 403, 408, 409, 413, 415, 422, 429, 507)
}


def server(request: Request) -> ServerState:
    state: ServerState = request.app.state.lengkap
    return state


def _check_version(value: str | int | None) -> int:
    try:
        version = int(value) if value is not None else None
    except ValueError:
        version = None
    if version not in SUPPORTED_VERSIONS:
        raise RequestError(
            ErrorCode.UNSUPPORTED_PROTOCOL,
            "protocol",
            supported=", ".join(str(v) for v in SUPPORTED_VERSIONS),
        )
    assert version is not None
    return version


def protocol(
    lengkap_protocol: Annotated[str | None, Header(alias=PROTOCOL_HEADER)] = None,
) -> int:
    """The protocol version the device speaks; 400 unsupported_protocol when missing or unknown."""
    return _check_version(lengkap_protocol)


def current_device(
    request: Request,
    _version: Annotated[int, Depends(protocol)],
    _credentials: Annotated[object, Security(_bearer)],
) -> Device:
    """The enrolled, unrevoked device behind the request's credential (read on every request)."""
    return devices.authenticate(server(request).database, request.headers.get("authorization"))


async def device_in_turn(
    request: Request, device: Annotated[Device, Depends(current_device)]
) -> AsyncIterator[Device]:
    """The authenticated device, holding one of its few turns for the whole request (body
    reading included): one credential cannot tie up the server with many slow connections."""
    with server(request).turns.taken(device.id):
        yield device


AuthenticatedDevice = Annotated[Device, Depends(device_in_turn)]


def upload_rules(state: ServerState) -> uploads.UploadRules:
    """Per-device quotas on unfinished uploads and the free space kept on the disk."""
    settings = state.settings
    return uploads.UploadRules(
        pending_count=settings.pending_uploads_per_device,
        pending_bytes=settings.pending_upload_bytes_per_device,
        min_free_bytes=settings.min_free_bytes,
        retry_after=settings.retry_after_seconds,
    )


def pace(state: ServerState) -> BodyPace:
    """How slowly a request body may arrive before it is answered 408."""
    settings = state.settings
    return BodyPace(settings.body_seconds, settings.body_grace_seconds, settings.body_min_rate)


async def gate_ticket(request: Request) -> AsyncIterator[Ticket]:
    """A place in line at the ingest gate, before the credential is looked up or a byte of the
    body read: when the line is full the answer is 429 at once, which costs the server next to
    nothing, which is when it matters.
    """
    with server(request).gate.reserved() as ticket:
        yield ticket


GateTicket = Annotated[Ticket, Depends(gate_ticket)]


@router.get("/health", tags=["health"])
def health(request: Request) -> JSONResponse:
    """200 when the database answers; 503 otherwise (for load balancers and monitors)."""
    if server(request).database.is_reachable():
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)


@router.get("/v1/limits", response_model=Limits, tags=["sync"])
def limits(request: Request) -> Limits:
    """What the server accepts, so nothing is found too big only after it was queued."""
    return server(request).settings.limits


@router.post(
    "/v1/enroll",
    response_model=EnrollResponse,
    responses=_ERRORS,
    tags=["devices"],
    openapi_extra={"x-request-model": "EnrollRequest"},
)
async def enroll(
    request: Request,
    lengkap_protocol: Annotated[str | None, Header(alias=PROTOCOL_HEADER)] = None,
) -> EnrollResponse:
    """Exchange a one-time enrolment code for the device's credential and device code."""
    if lengkap_protocol is not None:
        _check_version(lengkap_protocol)
    state = server(request)
    # Behind a reverse proxy this is the proxy unless uvicorn trusts its X-Forwarded-For
    # (--proxy-headers --forwarded-allow-ips).
    address = request.client.host if request.client else "unknown"
    wait = state.enrolment_guesses.waiting(address)
    if wait > 0:
        raise RequestError(ErrorCode.OVERLOADED, "enrolment guesses", retry_after=wait)
    message = parse_message(EnrollRequest, await read_body(request, ENROLL_BODY_BYTES, pace(state)))
    _check_version(message.protocol)
    now = state.clock()
    try:
        device, credential = await run_in_threadpool(
            devices.enroll, state.database, message.code, now=now
        )
    except RequestError as exc:
        if exc.code is ErrorCode.INVALID_ENROLLMENT_CODE:
            state.enrolment_guesses.take(address)
        raise
    return EnrollResponse(
        device_name=device.name,
        device_code=device.device_code,
        credential=credential,
        area=device.area,
        server_time=now,
    )


@router.post(
    "/v1/push",
    response_model=PushResponse,
    response_model_exclude_none=True,  # no "message": null and the like, batch after batch
    responses=_ERRORS,
    tags=["sync"],
    openapi_extra={"x-request-model": "PushRequest"},
)
async def push(request: Request, ticket: GateTicket, device: AuthenticatedDevice) -> PushResponse:
    """Per-record results for a batch of outbox records; see RecordStatus."""
    state = server(request)
    limits = state.settings.limits
    message = parse_message(
        PushRequest, await read_body(request, limits.max_body_bytes, pace(state))
    )
    _check_version(message.protocol)
    if len(message.records) > limits.max_batch_records:
        raise RequestError(ErrorCode.BATCH_TOO_LARGE, "batch", limit=limits.max_batch_records)
    # The gate holds validation and the database only, not the upload: a device on a slow link
    # must not keep a slot while its body trickles in.
    async with state.gate.entered(ticket):
        now = state.clock()
        results = await run_in_threadpool(_ingest, state, device, message, now)
    if message.compact_results:
        # Left out: an accepted record with nothing to say. Most of a batch's answer otherwise.
        results = [r for r in results if r.status != RecordStatus.ACCEPTED or r.message]
    return PushResponse(results=tuple(results), server_time=now)


def _ingest(
    state: ServerState, device: Device, message: PushRequest, now: datetime
) -> list[RecordResult]:
    """One trip to a worker thread for the rules and the batch, not two."""
    return ingest.push_records(
        state.database,
        device,
        message.records,
        state.rulebook.snapshot(),
        now=now,
        store=state.store,
        clock_tolerance=state.settings.clock_tolerance,
    )


@router.post(
    "/v1/attachments/query",
    response_model=AttachmentQueryResponse,
    responses=_ERRORS,
    tags=["attachments"],
    openapi_extra={"x-request-model": "AttachmentQuery"},
)
async def query_attachments(
    request: Request, device: AuthenticatedDevice
) -> AttachmentQueryResponse:
    """Which of these SHA-256s the server still lacks, or this device has not sent itself:
    upload only those."""
    state = server(request)
    message = parse_message(
        AttachmentQuery,
        await read_body(request, state.settings.limits.max_body_bytes, pace(state)),
    )
    lacking = await run_in_threadpool(
        lambda: uploads.missing(state.database, message.sha256s, state.store, device_id=device.id)
    )
    return AttachmentQueryResponse(missing=lacking)


@router.get(
    "/v1/attachments/{sha256}",
    response_model=AttachmentStatus,
    responses=_ERRORS,
    tags=["attachments"],
)
def attachment_status(
    request: Request, sha256: str, _device: AuthenticatedDevice
) -> AttachmentStatus:
    """How many bytes of this attachment the server holds: resume from there."""
    state = server(request)
    return uploads.status(state.database, state.store, sha256, state.clock())


def _binary_body(media_type: str) -> dict[str, Any]:
    """OpenAPI for a body the handler reads itself as raw bytes of `media_type`."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"requestBody": {"required": True, "content": {media_type: binary}}}


@router.put(
    "/v1/attachments/{sha256}",
    response_model=AttachmentStatus,
    responses=_ERRORS,
    tags=["attachments"],
    openapi_extra=_binary_body("application/octet-stream"),
)
async def put_chunk(
    request: Request,
    sha256: str,
    ticket: GateTicket,
    device: AuthenticatedDevice,
    offset: Annotated[int, Query(ge=0)],
    total: Annotated[int, Query(ge=1)],
) -> AttachmentStatus:
    """One chunk at `offset` of a `total`-byte attachment; the last one is checked by size and hash."""
    state = server(request)
    limits = state.settings.limits
    uploads.check_sha256(sha256)
    if total > limits.max_attachment_bytes:
        # Refused before a byte is read: the device learns it from the first chunk, not the last.
        raise RequestError(
            ErrorCode.ATTACHMENT_TOO_LARGE, "total", limit=limits.max_attachment_bytes
        )
    chunk = await read_body(request, limits.chunk_bytes, pace(state))
    async with state.gate.entered(ticket):
        return await run_in_threadpool(
            lambda: uploads.receive_chunk(
                state.database,
                state.store,
                limits,
                device_id=device.id,
                sha256=sha256,
                offset=offset,
                total=total,
                chunk=chunk,
                now=state.clock(),
                rules=upload_rules(state),
            )
        )


@router.post(
    "/v1/attachments/bundle",
    response_model=BundleResponse,
    response_model_exclude_none=True,
    responses=_ERRORS,
    tags=["attachments"],
    openapi_extra=_binary_body("application/vnd.lengkap.bundle"),
)
async def post_bundle(
    request: Request, ticket: GateTicket, device: AuthenticatedDevice
) -> BundleResponse:
    """Several whole photos, each at most one chunk, in one request; answered photo by photo.

    One credential check, one gate slot and one commit for the bundle instead of one per photo.
    A body over max_body_bytes is refused before it is read (413 body_too_large).
    """
    state = server(request)
    limits = state.settings.limits
    if not limits.attachment_bundles:
        raise RequestError(ErrorCode.NOT_FOUND, "bundles are off")
    body = await read_body(request, limits.max_body_bytes, pace(state))
    async with state.gate.entered(ticket):
        return await run_in_threadpool(
            lambda: uploads.receive_bundle(
                state.database,
                state.store,
                limits,
                device_id=device.id,
                body=body,
                now=state.clock(),
                rules=upload_rules(state),
            )
        )


@router.get("/v1/pull", response_model=PullResponse, responses=_ERRORS, tags=["sync"])
def pull(
    request: Request,
    device: AuthenticatedDevice,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> PullResponse:
    """Status changes of this device's records, roster rows of its area and rule files, in order."""
    state = server(request)
    most = state.settings.limits.max_pull_changes
    return changes.pull(
        state.database,
        device_id=device.id,
        area=device.area,
        cursor=cursor,
        limit=min(limit or most, most),
        instance=state.instance,
    )
