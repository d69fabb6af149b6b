"""The device's sync errors: one tree, so the worker can tell "try later" from "a person must act".

    SyncError                   base, with a translation code and params like KioskError (but
                                not one: the kiosk translates at its service boundary)
    ├── Unreachable             no answer: no network, DNS, refused, timeout, cut mid-way  [retry]
    │   └── CaptivePortal       something else answered: a Wi-Fi login page, a proxy,
    │                           a redirect to another host, a wrong address              [retry]
    ├── ServerBusy              429 / 503, with retry_after seconds when the server gave one [retry]
    ├── ServerError             any other 5xx                                              [retry]
    ├── AuthRejected            the credential is revoked or unknown (reason: revoked | unknown)
    ├── EnrollmentRefused       the one-time code is unknown, used or expired
    ├── ProtocolMismatch        the server speaks another protocol version or an unexpected shape
    ├── RequestRefused          the server refused this request with a stable ErrorCode
    ├── BadServerAddress        the configured server URL is not an http(s) address
    ├── PlainHttpRefused        http:// to another machine without the operator's leave
    ├── PinMismatch             the server's certificate is not the one pinned at enrolment
    ├── NotEnrolled             the device has no credential yet
    ├── AlreadyEnrolled         enrolling again would replace the credential (use --force)
    └── SyncAlreadyRunning      another process on this device is syncing right now

Foreign exceptions (httpx, pydantic) are translated where they happen with `raise ... from exc`.
`str(error)` is English and never holds a credential, a body or personal data, so it is safe to log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SyncError(Exception):
    """Base of every error the sync client and engine raise on purpose.

    `code` and `params` name a translation, so whoever shows it can say it in the person's language.
    """

    default_code = "sync.error"
    retryable = False  # True only where waiting can make the same request succeed

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        where: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.detail = detail
        self.code = code or self.default_code
        self.where = where
        self.params: dict[str, Any] = dict(params or {})
        super().__init__(f"{where}: {detail}" if where else detail)


class Unreachable(SyncError):
    default_code = "sync.unreachable"
    retryable = True


class CaptivePortal(Unreachable):
    default_code = "sync.captive_portal"


class ServerBusy(SyncError):
    default_code = "sync.server_busy"
    retryable = True

    def __init__(self, detail: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        params = {"seconds": round(retry_after) if retry_after is not None else "?"}
        super().__init__(detail, params={**params, **kwargs.pop("params", {})}, **kwargs)


class ServerError(SyncError):
    default_code = "sync.server_error"
    retryable = True


class AuthRejected(SyncError):
    """The server no longer (or never) knows this device; `reason` is "revoked" or "unknown"."""

    default_code = "sync.unknown_device"

    def __init__(self, detail: str, *, reason: str, **kwargs: Any) -> None:
        self.reason = reason
        kwargs.setdefault("code", f"sync.{reason}_device")
        super().__init__(detail, **kwargs)


class EnrollmentRefused(SyncError):
    default_code = "sync.enrollment_refused"


class ProtocolMismatch(SyncError):
    default_code = "sync.protocol_mismatch"


class RequestRefused(SyncError):
    """A refusal with the server's stable ErrorCode and its sentence for a person (id, en)."""

    default_code = "sync.request_refused"

    def __init__(
        self,
        detail: str,
        *,
        error_code: str,
        message: Mapping[str, str] | None = None,
        status: int | None = None,
        received: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.error_code = error_code
        self.message = dict(message or {})
        self.status = status
        self.received = received  # bad_offset: the bytes the server holds; resume from there
        params = {"error_code": error_code, **kwargs.pop("params", {})}
        super().__init__(detail, params=params, **kwargs)


class BadServerAddress(SyncError):
    default_code = "sync.bad_server_address"


class PlainHttpRefused(SyncError):
    """http:// to another machine: everything sent would be readable on the office's network."""

    default_code = "sync.plain_http_refused"


class PinMismatch(SyncError):
    """Another certificate than the pinned one: maybe someone in the middle; a person must look."""

    default_code = "sync.pin_mismatch"


class NotEnrolled(SyncError):
    default_code = "sync.not_enrolled"


class AlreadyEnrolled(SyncError):
    default_code = "sync.already_enrolled"


class SyncAlreadyRunning(SyncError):
    default_code = "sync.already_running"
