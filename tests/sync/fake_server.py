"""An in-memory server speaking sync/protocol.py, for httpx.MockTransport.

Fakes stand in only for the outside network: this lets a test cut a connection at any exchange,
lose a response after the server stored the request, or answer like a captive portal. The real
server is exercised end to end in test_end_to_end.py.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from sync.protocol import (
    AttachmentQuery,
    Change,
    EnrollRequest,
    ErrorCode,
    Limits,
    PushRequest,
    RecordStatus,
    body_fingerprint,
    decode_bundle,
)

BASE_URL = "https://lengkap.test"
NOW = datetime(2026, 8, 3, 3, 0, tzinfo=UTC)

Fault = Callable[[httpx.Request], httpx.Response | None]


def error(status: int, code: ErrorCode, headers: dict[str, str] | None = None, **extra: Any):
    body = {"error": {"code": code.value, "message": {"id": f"id:{code}", "en": f"en:{code}"}}}
    body["error"].update(extra)
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class Stored:
    kind: str
    fingerprint: str
    body: dict[str, Any]


@dataclass
class FakeServer:
    limits: Limits = field(default_factory=Limits)
    credential: str = "secret-credential-123"
    revoked: bool = False
    codes: set[str] = field(default_factory=lambda: {"ENROLL-1234"})
    device_code: str = "K7Q2ZB"
    records: dict[str, Stored] = field(default_factory=dict)
    stored_count: dict[str, int] = field(default_factory=dict)  # how often each id was stored
    attachments: dict[str, bytearray] = field(default_factory=dict)
    complete: set[str] = field(default_factory=set)
    changes: list[Change] = field(default_factory=list)
    reject: Callable[[dict[str, Any]], bool] = lambda body: False
    # Consulted before routing: a fault may raise (a cut), answer instead, or pass (None).
    before: list[Fault] = field(default_factory=list)
    # Consulted after the server has done its work: it may lose the answer by raising.
    after: list[Callable[[httpx.Request, httpx.Response], httpx.Response]] = field(
        default_factory=list
    )
    log: list[tuple[str, str, int]] = field(default_factory=list)  # method, path, wire bytes
    put_bytes: int = 0
    bundles: int = 0  # bundle requests that reached the server

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def http(self, trust: object = None) -> httpx.Client:
        """A client on this server; `trust` is the enrolment's, which memory transport has no use for."""
        return httpx.Client(transport=self.transport())

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.log.append((request.method, request.url.path, len(request.content)))
        for fault in list(self.before):
            answer = fault(request)
            if answer is not None:
                return answer
        response = self.route(request)
        for fault in list(self.after):
            response = fault(request, response)
        return response

    # -- routing ---------------------------------------------------------------------------

    def route(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if (method, path) == ("POST", "/v1/enroll"):
            return self.enroll(self.json(request))
        refusal = self.check_auth(request)
        if refusal is not None:
            return refusal
        if (method, path) == ("GET", "/v1/limits"):
            return httpx.Response(200, json=self.limits.model_dump(mode="json"))
        if (method, path) == ("POST", "/v1/push"):
            return self.push(PushRequest.model_validate(self.json(request)))
        if (method, path) == ("POST", "/v1/attachments/query"):
            query = AttachmentQuery.model_validate(self.json(request))
            missing = [sha for sha in query.sha256s if sha not in self.complete]
            return httpx.Response(200, json={"missing": missing})
        if (method, path) == ("POST", "/v1/attachments/bundle"):
            return self.bundle(request)
        if path.startswith("/v1/attachments/"):
            sha = path.rsplit("/", 1)[1]
            if method == "GET":
                return self.attachment_status(sha)
            return self.put_chunk(sha, request)
        if (method, path) == ("GET", "/v1/pull"):
            return self.pull(request)
        return httpx.Response(404, text="<html>not found</html>")

    @staticmethod
    def json(request: httpx.Request) -> Any:
        raw = request.content
        if request.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        return json.loads(raw)

    def check_auth(self, request: httpx.Request) -> httpx.Response | None:
        if request.headers.get("authorization") != f"Bearer {self.credential}":
            return error(401, ErrorCode.UNKNOWN_DEVICE)
        if self.revoked:
            return error(403, ErrorCode.REVOKED_DEVICE)
        return None

    def enroll(self, data: Any) -> httpx.Response:
        request = EnrollRequest.model_validate(data)
        if request.code not in self.codes:
            return error(403, ErrorCode.INVALID_ENROLLMENT_CODE)
        self.codes.discard(request.code)
        return httpx.Response(
            200,
            json={
                "device_name": "Kantor Kelurahan Tebet Barat",
                "device_code": self.device_code,
                "credential": self.credential,
                "area": "31.74.01",
                "server_time": NOW.isoformat(),
            },
        )

    def push(self, request: PushRequest) -> httpx.Response:
        if len(request.records) > self.limits.max_batch_records:
            return error(413, ErrorCode.BATCH_TOO_LARGE)
        results = []
        for record in request.records:
            fingerprint = body_fingerprint(record.body)
            known = self.records.get(record.client_id)
            result: dict[str, Any] = {"client_id": record.client_id}
            lacking = [sha for sha in record.attachments if sha not in self.complete]
            if known is not None:
                same = known.fingerprint == fingerprint
                result["status"] = RecordStatus.DUPLICATE if same else RecordStatus.CONFLICT
            elif lacking:
                result.update(
                    status=RecordStatus.RETRY,
                    code=ErrorCode.MISSING_ATTACHMENTS,
                    missing_attachments=lacking,
                )
            elif self.reject(record.body):
                result.update(
                    status=RecordStatus.REJECTED,
                    code=ErrorCode.INVALID_RECORD,
                    message={"id": "NIK tidak valid.", "en": "The NIK is not valid."},
                    field="applicant.nik",
                )
            else:
                self.records[record.client_id] = Stored(record.kind, fingerprint, record.body)
                self.stored_count[record.client_id] = self.stored_count.get(record.client_id, 0) + 1
                result["status"] = RecordStatus.ACCEPTED
            results.append(result)
        return httpx.Response(200, json={"results": results, "server_time": NOW.isoformat()})

    def attachment_status(self, sha: str) -> httpx.Response:
        held = self.attachments.get(sha, bytearray())
        return httpx.Response(
            200, json={"sha256": sha, "received": len(held), "complete": sha in self.complete}
        )

    def put_chunk(self, sha: str, request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        total = int(request.url.params["total"])
        held = self.attachments.setdefault(sha, bytearray())
        if offset != len(held):
            return error(409, ErrorCode.BAD_OFFSET, received=len(held))
        if total > self.limits.max_attachment_bytes:
            return error(413, ErrorCode.ATTACHMENT_TOO_LARGE)
        held.extend(request.content)
        self.put_bytes += len(request.content)
        if len(held) >= total:
            if hashlib.sha256(held).hexdigest() != sha:
                self.attachments.pop(sha)
                return error(422, ErrorCode.HASH_MISMATCH)
            self.complete.add(sha)
        return self.attachment_status(sha)

    def bundle(self, request: httpx.Request) -> httpx.Response:
        if not self.limits.attachment_bundles:
            return httpx.Response(404, text="<html>not found</html>")
        if len(request.content) > self.limits.max_body_bytes:
            return error(413, ErrorCode.BODY_TOO_LARGE)
        header, parts = decode_bundle(request.content)
        self.bundles += 1
        results: list[dict[str, Any]] = []
        for part, data in zip(header.parts, parts, strict=True):
            self.put_bytes += len(data)
            if hashlib.sha256(data).hexdigest() != part.sha256:
                results.append(
                    {
                        "sha256": part.sha256,
                        "complete": False,
                        "received": 0,
                        "code": ErrorCode.HASH_MISMATCH.value,
                        "message": {"id": "id:hash", "en": "en:hash"},
                    }
                )
                continue
            self.attachments[part.sha256] = bytearray(data)
            self.complete.add(part.sha256)
            results.append({"sha256": part.sha256, "complete": True, "received": len(data)})
        return httpx.Response(200, json={"results": results})

    def pull(self, request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        if cursor is not None and not cursor.isdigit():
            return error(400, ErrorCode.BAD_CURSOR)
        start = int(cursor or 0)
        limit = int(request.url.params.get("limit") or self.limits.max_pull_changes)
        page = self.changes[start : start + limit]
        end = start + len(page)
        return httpx.Response(
            200,
            json={
                "changes": [change.model_dump(mode="json") for change in page],
                "next_cursor": str(end),
                "has_more": end < len(self.changes),
            },
        )

    # -- helpers for tests -----------------------------------------------------------------

    def add_change(self, kind: str, **data: Any) -> None:
        self.changes.append(Change(kind=kind, changed_at=NOW, data=data))


def cut(times: int = 1, *, path: str | None = None, method: str | None = None) -> Fault:
    """A fault that drops the connection for the next `times` matching requests."""
    remaining = [times]

    def fault(request: httpx.Request) -> None:
        if path is not None and request.url.path != path:
            return None
        if method is not None and request.method != method:
            return None
        if remaining[0] <= 0:
            return None
        remaining[0] -= 1
        raise httpx.ConnectError("connection reset", request=request)

    return fault


def answer(response: httpx.Response, times: int = 1, *, path: str | None = None) -> Fault:
    """A fault that answers `response` instead of the server for the next `times` requests."""
    remaining = [times]

    def fault(request: httpx.Request) -> httpx.Response | None:
        if (path is not None and request.url.path != path) or remaining[0] <= 0:
            return None
        remaining[0] -= 1
        return response

    return fault
