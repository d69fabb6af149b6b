"""The device's HTTP client for the sync protocol: push, pull, attachments, enrollment.

It never builds its own httpx.Client: the caller injects one (a real one with timeouts in the app,
an httpx.MockTransport in tests). Everything that comes back is checked for status, content type
and shape before it counts, because on a village office's Wi-Fi a "200 OK" may be a login page.
Foreign errors become SyncError subclasses here, at the boundary (see sync/errors.py).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import httpx
from pydantic import BaseModel, ValidationError

from sync.errors import (
    AuthRejected,
    BadServerAddress,
    CaptivePortal,
    EnrollmentRefused,
    NotEnrolled,
    ProtocolMismatch,
    RequestRefused,
    ServerBusy,
    ServerError,
    SyncError,
    Unreachable,
)
from sync.protocol import (
    BUNDLE_CONTENT_TYPE,
    FIRST_RECORD_KINDS,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    AttachmentQuery,
    AttachmentQueryResponse,
    AttachmentStatus,
    BundleResponse,
    EnrollRequest,
    EnrollResponse,
    ErrorCode,
    Limits,
    OutboxRecord,
    PullResponse,
    PushRequest,
    PushResponse,
    canonical_json,
    encode_bundle,
)
from sync.trust import ServerTrust, pin_refusal, require_safe_address

Model = TypeVar("Model", bound=BaseModel)
ProgressCallback = Callable[[int, int], None]  # (bytes the server holds, bytes in total)

# Statuses that mean "done" for a request; anything else, even another 2xx, is not a success.
SUCCESS = frozenset({200, 201})
MAX_REDIRECTS = 3
# An upload gives up after this many cuts in a row that moved nothing forward.
MAX_CUTS_WITHOUT_PROGRESS = 3
QUERY_SLICE = 1000  # AttachmentQuery's own limit
GZIP_LEVEL = 6  # near the best ratio for JSON at a fraction of level 9's time on a kiosk's CPU


def normalise_server_url(url: str) -> str:
    """`url` without a trailing slash; BadServerAddress unless it is an http(s) address with a host."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise BadServerAddress("not a URL", params={"server": url}) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host or parsed.query or parsed.fragment:
        raise BadServerAddress("not an http(s) server address", params={"server": url})
    return str(parsed).rstrip("/")


class SyncClient:
    """One server, one device credential; each method is one protocol exchange."""

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        credential: str | None = None,
        trust: ServerTrust | None = None,
    ) -> None:
        self._http = http
        self.base_url = normalise_server_url(base_url)
        require_safe_address(self.base_url, trust or ServerTrust())  # before any connection is made
        self._credential = credential
        self.chunk_bytes = Limits().chunk_bytes  # replaced by what limits() advertises

    def __repr__(self) -> str:  # the credential stays out of logs and tracebacks
        return f"SyncClient({self.base_url!r}, enrolled={self._credential is not None})"

    @property
    def server(self) -> str:
        return httpx.URL(self.base_url).host

    def limits(self) -> Limits:
        """What the server accepts; ProtocolMismatch when it no longer speaks our version."""
        response = self._request("GET", "/v1/limits", auth=self._credential is not None)
        limits = self._decode(response, Limits, "GET /v1/limits")
        advertised = response.json()
        if "record_kinds" not in advertised:
            # A server from before survey answers: it takes submissions and complaints only.
            limits = limits.model_copy(update={"record_kinds": FIRST_RECORD_KINDS})
        if "compact_results" not in advertised:
            limits = limits.model_copy(update={"compact_results": False})  # it would refuse it
        if "attachment_bundles" not in advertised:
            limits = limits.model_copy(update={"attachment_bundles": False})  # no such route
        if PROTOCOL_VERSION not in limits.protocol_versions:
            raise ProtocolMismatch(
                f"the server speaks protocol {list(limits.protocol_versions)}, "
                f"this kiosk {PROTOCOL_VERSION}",
                params={"server": self.server},
            )
        self.chunk_bytes = limits.chunk_bytes
        return limits

    def enroll(self, code: str) -> EnrollResponse:
        """Exchange a one-time enrollment code for this device's credential."""
        try:
            request = EnrollRequest(code=code.strip())
        except ValidationError as exc:
            raise EnrollmentRefused(
                "the enrollment code has the wrong length", params={"server": self.server}
            ) from exc
        response = self._request("POST", "/v1/enroll", json_body=request, auth=False)
        return self._decode(response, EnrollResponse, "POST /v1/enroll")

    def push(self, records: Sequence[OutboxRecord], *, compact: bool = False) -> PushResponse:
        """Results of a push; with `compact` (when the limits offer it) accepted ones are omitted."""
        request = PushRequest(records=tuple(records), compact_results=compact)
        response = self._request("POST", "/v1/push", json_body=request)
        return self._decode(response, PushResponse, "POST /v1/push")

    def query_attachments(self, sha256s: Iterable[str]) -> tuple[str, ...]:
        """The attachments among `sha256s` the server does not hold completely."""
        wanted = list(dict.fromkeys(sha256s))
        missing: list[str] = []
        for start in range(0, len(wanted), QUERY_SLICE):
            query = AttachmentQuery(sha256s=tuple(wanted[start : start + QUERY_SLICE]))
            response = self._request("POST", "/v1/attachments/query", json_body=query)
            answer = self._decode(response, AttachmentQueryResponse, "POST /v1/attachments/query")
            missing.extend(answer.missing)
        return tuple(missing)

    def attachment_status(self, sha256: str) -> AttachmentStatus:
        """How many bytes of `sha256` the server holds (0 for one it never saw)."""
        response = self._request("GET", f"/v1/attachments/{sha256}")
        try:
            return self._decode(response, AttachmentStatus, "GET /v1/attachments")
        except RequestRefused as exc:
            if exc.error_code != ErrorCode.NOT_FOUND:
                raise
            return AttachmentStatus(sha256=sha256, received=0, complete=False)

    def upload_attachment(
        self,
        sha256: str,
        path: Path,
        total: int,
        on_progress: ProgressCallback | None = None,
        *,
        known_missing: bool = False,
    ) -> AttachmentStatus:
        """Send the bytes the server lacks, chunk by chunk, from where it says it stands.

        `known_missing`: the server has just said it lacks this attachment, so start at byte 0
        without asking; a partial upload it holds answers bad_offset with the bytes it has, and
        the upload goes on from there. After a cut the server is asked where to continue, so at
        most the one chunk that was in flight is sent twice.
        """
        if known_missing:
            status = AttachmentStatus(sha256=sha256, received=0, complete=False)
        else:
            status = self.attachment_status(sha256)
        if on_progress:
            on_progress(status.received, total)
        cuts = 0
        with Path(path).open("rb") as source:
            while not status.complete:
                offset = status.received
                if offset >= total:
                    raise ProtocolMismatch(
                        "the server holds every byte but does not call the attachment complete",
                        params={"server": self.server},
                    )
                source.seek(offset)
                chunk = source.read(min(self.chunk_bytes, total - offset))
                if len(chunk) != min(self.chunk_bytes, total - offset):
                    raise RequestRefused(
                        "the photo file on this device is shorter than when it was stored",
                        error_code=ErrorCode.SIZE_MISMATCH.value,
                    )
                try:
                    status = self._put_chunk(sha256, offset, total, chunk)
                except (Unreachable, RequestRefused) as exc:
                    if isinstance(exc, RequestRefused) and exc.error_code != ErrorCode.BAD_OFFSET:
                        raise
                    cuts += 1
                    if cuts > MAX_CUTS_WITHOUT_PROGRESS:
                        raise
                    status = self._resume_point(sha256, exc, total)
                if status.received > offset:
                    cuts = 0
                if on_progress:
                    on_progress(status.received, total)
        return status

    def upload_bundle(self, parts: Sequence[tuple[str, bytes]]) -> BundleResponse:
        """Several whole photos, (sha256, bytes), each at most one chunk, in one request.

        Only to a server whose limits offer `attachment_bundles`, within `max_body_bytes` and
        `max_bundle_photos`. Sending a bundle again after a cut is harmless: photos the server
        kept already answer complete. The answer has one result per photo, in order.
        """
        response = self._request(
            "POST",
            "/v1/attachments/bundle",
            content=encode_bundle(list(parts)),
            content_type=BUNDLE_CONTENT_TYPE,
        )
        answer = self._decode(response, BundleResponse, "POST /v1/attachments/bundle")
        if [result.sha256 for result in answer.results] != [sha for sha, _ in parts]:
            raise ProtocolMismatch(
                "the bundle's answer does not list its photos", params={"server": self.server}
            )
        return answer

    def _resume_point(self, sha256: str, error: SyncError, total: int) -> AttachmentStatus:
        """Where to go on after `error`: the bytes a bad_offset answer names, else ask."""
        received = getattr(error, "received", None)
        if isinstance(received, int) and 0 <= received < total:
            return AttachmentStatus(sha256=sha256, received=received, complete=False)
        return self.attachment_status(sha256)  # raises if the link is still cut

    def _put_chunk(self, sha256: str, offset: int, total: int, chunk: bytes) -> AttachmentStatus:
        response = self._request(
            "PUT",
            f"/v1/attachments/{sha256}",
            params={"offset": offset, "total": total},
            content=chunk,
        )
        return self._decode(response, AttachmentStatus, "PUT /v1/attachments")

    def pull(self, cursor: str | None, limit: int | None = None) -> PullResponse:
        params: dict[str, Any] = {}
        if cursor:
            params["cursor"] = cursor
        if limit:
            params["limit"] = limit
        response = self._request("GET", "/v1/pull", params=params)
        return self._decode(response, PullResponse, "GET /v1/pull")

    # -- the boundary: requests out, foreign errors translated ------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: BaseModel | None = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        auth: bool = True,
        content_type: str = "application/octet-stream",
    ) -> httpx.Response:
        headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION), "Accept": "application/json"}
        if auth:
            if not self._credential:
                raise NotEnrolled("this device has no credential yet")
            headers["Authorization"] = f"Bearer {self._credential}"
        if json_body is not None:
            # Compressed JSON keeps the bytes on the wire near the payload's own entropy.
            raw = canonical_json(json_body.model_dump(mode="json"))
            content = gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0)
            headers["Content-Type"] = "application/json"
            headers["Content-Encoding"] = "gzip"
        elif content is not None:
            headers["Content-Type"] = content_type
        where = f"{method} {path}"
        try:
            request = self._http.build_request(
                method, self.base_url + path, params=params, content=content, headers=headers
            )
            return self._send(request, where)
        except httpx.TransportError as exc:
            refused = pin_refusal(exc, self.server)
            if refused is not None:
                raise refused from exc
            raise Unreachable(
                f"{where}: {type(exc).__name__}", params={"server": self.server}
            ) from exc
        except httpx.HTTPError as exc:  # undecodable answers and the like: not our server talking
            raise CaptivePortal(
                f"{where}: {type(exc).__name__}", params={"server": self.server}
            ) from exc

    def _send(self, request: httpx.Request, where: str) -> httpx.Response:
        """Send, following redirects only on the same host (and never from https to http)."""
        for _ in range(MAX_REDIRECTS + 1):
            response = self._http.send(request, follow_redirects=False)
            if not response.is_redirect:
                return response
            target = request.url.join(response.headers["location"])
            keeps_method = response.status_code in (307, 308) or request.method == "GET"
            if not (_same_server(request.url, target) and keeps_method):
                raise CaptivePortal(
                    f"{where}: redirected away (HTTP {response.status_code})",
                    params={"server": self.server},
                )
            headers = {
                k: v
                for k, v in request.headers.items()
                if k.lower() not in ("host", "content-length")
            }
            request = self._http.build_request(
                request.method, target, headers=headers, content=request.content or None
            )
        raise CaptivePortal(f"{where}: too many redirects", params={"server": self.server})

    def _decode(self, response: httpx.Response, model: type[Model], where: str) -> Model:
        if response.status_code not in SUCCESS:
            raise self._error_for(response, where)
        if not _is_json(response):
            raise CaptivePortal(
                f"{where}: HTTP {response.status_code} but not JSON", params={"server": self.server}
            )
        try:
            data = response.json()
        except ValueError as exc:  # says JSON, is not: not the server talking
            raise CaptivePortal(
                f"{where}: HTTP {response.status_code}, unreadable JSON",
                params={"server": self.server},
            ) from exc
        try:
            return model.model_validate(_known_fields(model, data))
        except ValidationError as exc:
            raise ProtocolMismatch(
                f"{where}: the answer is not a {model.__name__}", params={"server": self.server}
            ) from exc

    def _error_for(self, response: httpx.Response, where: str) -> SyncError:
        status = response.status_code
        detail = f"{where}: HTTP {status}"
        server = {"server": self.server}
        error = _error_body(response)
        code = error.get("code") if error else None
        # 408: the body came too slowly for the server (a weak link); sent again after a pause.
        if status in (408, 429, 503) or code in (ErrorCode.OVERLOADED, ErrorCode.REQUEST_TIMEOUT):
            return ServerBusy(detail, retry_after=_retry_after(response, error), params=server)
        if error is None or not isinstance(code, str):
            if status >= 500:
                return ServerError(detail, params={**server, "status": status})
            return CaptivePortal(detail, params=server)  # a 3xx/4xx that is not the server's JSON
        if code == ErrorCode.REVOKED_DEVICE:
            return AuthRejected(detail, reason="revoked", params=server)
        if code == ErrorCode.UNKNOWN_DEVICE:
            return AuthRejected(detail, reason="unknown", params=server)
        if code == ErrorCode.INVALID_ENROLLMENT_CODE:
            return EnrollmentRefused(detail, params=server)
        if code == ErrorCode.UNSUPPORTED_PROTOCOL:
            return ProtocolMismatch(detail, params=server)
        if status >= 500:
            return ServerError(detail, params={**server, "status": status})
        message = error.get("message")
        received = error.get("received")
        return RequestRefused(
            f"{detail} ({code})",
            error_code=code,
            message=message if isinstance(message, dict) else None,
            status=status,
            received=received if isinstance(received, int) and received >= 0 else None,
            params=server,
        )


def _known_fields(model: type[BaseModel], data: Any) -> Any:
    """`data` without the fields `model` does not know, at every level.

    The protocol's messages refuse unknown fields, which keeps both sides honest about typos; but
    a kiosk in the field must still understand a newer server that added a field to an answer.
    """
    if not isinstance(data, dict):
        return data
    return {
        name: _prune(info.annotation, data[name])
        for name, info in model.model_fields.items()
        if name in data
    }


def _prune(annotation: Any, value: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _known_fields(annotation, value)
    if get_origin(annotation) in (tuple, list) and isinstance(value, list):
        return [_prune(get_args(annotation)[0], item) for item in value]
    if get_origin(annotation) in (Union, UnionType):  # X | None
        for option in get_args(annotation):
            if isinstance(option, type) and issubclass(option, BaseModel):
                return _known_fields(option, value)
    return value


def _same_server(origin: httpx.URL, target: httpx.URL) -> bool:
    if target.host != origin.host:
        return False
    if target.scheme == origin.scheme:
        return bool(target.port == origin.port)
    return bool(origin.scheme == "http" and target.scheme == "https")  # upgrade, never downgrade


def _is_json(response: httpx.Response) -> bool:
    media_type = str(response.headers.get("content-type", "")).split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _error_body(response: httpx.Response) -> dict[str, Any] | None:
    """The `error` object of an ErrorResponse, read leniently so a newer code is still understood."""
    if not _is_json(response):
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else None


def _retry_after(response: httpx.Response, error: dict[str, Any] | None) -> float | None:
    """Seconds to wait: the Retry-After header (seconds or an HTTP date), else the error body's."""
    header = response.headers.get("retry-after")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - _server_now(response)).total_seconds())
    value = error.get("retry_after") if error else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(0.0, float(value))
    return None


def _server_now(response: httpx.Response) -> datetime:
    """The server's own clock from its Date header: a kiosk's clock may be hours off."""
    try:
        when = parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError):
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
