"""Reading request bodies with a hard bound: counted while they arrive, never buffered unbounded.

A gzip body (Content-Encoding: gzip) is inflated under the same bound, so a small compressed
body cannot expand into a large one in memory.

A body is bounded in time too (`BodyPace`): whole within a deadline, and after a short grace at
a minimum rate. A client that trickles a byte now and then would otherwise hold its connection,
its memory and its device's request allowance for as long as it likes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import zlib
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request

from sync.protocol import ErrorCode
from sync.server.errors import RequestError

log = logging.getLogger("lengkap.server.body")
M = TypeVar("M", bound=BaseModel)
_GZIP_WINDOW = 16 + zlib.MAX_WBITS  # gzip header and trailer around a deflate stream


def _too_large(limit: int) -> RequestError:
    return RequestError(ErrorCode.BODY_TOO_LARGE, "body", limit=limit)


@dataclass(frozen=True)
class BodyPace:
    """How slowly a body may arrive: whole within `seconds`, and from `grace_seconds` on at
    `min_rate` bytes a second on average since the start."""

    seconds: float
    grace_seconds: float
    min_rate: int

    def wait_allowed(self, received: int, elapsed: float) -> float:
        """How much longer the next piece of the body may take, after `received` bytes in
        `elapsed` seconds; 0 or less means the body is already too slow."""
        deadline = self.seconds
        if self.min_rate > 0:
            deadline = min(deadline, self.grace_seconds + received / self.min_rate)
        return deadline - elapsed

    def refusal(self) -> RequestError:
        return RequestError(
            ErrorCode.REQUEST_TIMEOUT,
            "body too slow",
            seconds=round(self.seconds),
            rate=self.min_rate,
        )


async def read_body(request: Request, limit: int, pace: BodyPace | None = None) -> bytes:
    """The (inflated) body; 413 body_too_large past `limit` bytes on the wire or inflated,
    408 request_timeout when it arrives slower than `pace` allows."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RequestError(
                ErrorCode.MALFORMED_REQUEST, "content-length", field="Content-Length"
            )
        if int(declared) > limit:
            raise _too_large(limit)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "encoding", field="Content-Encoding")
    inflater = zlib.decompressobj(_GZIP_WINDOW) if encoding == "gzip" else None
    body = bytearray()
    wire = 0
    started = time.monotonic()
    pieces = aiter(request.stream())
    try:
        while True:
            wait = None if pace is None else pace.wait_allowed(wire, time.monotonic() - started)
            if wait is not None and wait <= 0:
                raise _too_slow(request, pace)
            try:
                async with asyncio.timeout(wait):
                    chunk = await anext(pieces)
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise _too_slow(request, pace) from None
            wire = _take(chunk, wire, body, inflater, limit)
    except ClientDisconnect:
        # A device on a bad link went away mid-body: routine, worth a line, not a traceback.
        log.info("client went away while sending %s %s", request.method, request.url.path)
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "client went away", field="body") from None
    if inflater is not None and not inflater.eof:
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "truncated gzip", field="body")
    return bytes(body)


def _too_slow(request: Request, pace: BodyPace | None) -> RequestError:
    assert pace is not None
    log.info("body too slow on %s %s", request.method, request.url.path)
    return pace.refusal()


def _take(chunk: bytes, wire: int, body: bytearray, inflater: Any, limit: int) -> int:
    """Add one received chunk to `body`; returns the bytes received on the wire so far."""
    wire += len(chunk)
    if wire > limit:
        raise _too_large(limit)
    if inflater is None:
        body += chunk
        return wire
    try:
        _inflate(inflater, chunk, body, limit)
    except zlib.error as exc:
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "gzip", field="body") from exc
    return wire


def _inflate(inflater: Any, chunk: bytes, body: bytearray, limit: int) -> None:
    data = chunk
    while data:
        # Ask for at most one byte past the limit: enough to know it was crossed.
        body += inflater.decompress(data, limit - len(body) + 1)
        if len(body) > limit:
            raise _too_large(limit)
        data = inflater.unconsumed_tail


# A kiosk's deepest message is a handful of levels; past this, nothing downstream (fingerprints,
# storage, the parser itself past about a thousand) is asked to recurse through it.
MAX_JSON_DEPTH = 128
_TOO_DEEP = object()


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON `value` nests more than `limit` arrays and objects (iteratively)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_message(model: type[M], raw: bytes) -> M:
    """The message `model` from JSON bytes; 400 malformed_request naming the field, not the value."""
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "not JSON", field="body") from None
    except RecursionError:
        value = _TOO_DEEP
    if value is _TOO_DEEP or _deeper_than(value, MAX_JSON_DEPTH):
        # Anyone may send this, signed in or not: one line, not a traceback per request.
        log.info("refused a body nested deeper than %d levels", MAX_JSON_DEPTH)
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "nesting", field="body")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "shape", field=where) from None
