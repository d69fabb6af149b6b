"""The server's exception tree, so every refusal becomes the same ErrorResponse or one CLI line.

    ServerError            base: refused on purpose; `key` and `params` make a translated sentence
    ├── RequestError       a device's request: carries the wire ErrorCode and the HTTP status
    └── AdminError         an operator's command (kiosk-server ...): exit code 1

`str(error)` is English and names ids and fields only, never personal data, so it is safe to log.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk.i18n import LANGUAGES, text
from sync.protocol import ErrorBody, ErrorCode, ErrorResponse, LocalisedText

STATUS: Mapping[ErrorCode, int] = {
    ErrorCode.MALFORMED_REQUEST: 400,
    ErrorCode.UNSUPPORTED_PROTOCOL: 400,
    ErrorCode.UNKNOWN_DEVICE: 401,
    ErrorCode.REVOKED_DEVICE: 403,
    ErrorCode.INVALID_ENROLLMENT_CODE: 400,
    ErrorCode.BODY_TOO_LARGE: 413,
    ErrorCode.BATCH_TOO_LARGE: 413,
    ErrorCode.INVALID_RECORD: 422,
    ErrorCode.CONFLICT: 409,
    ErrorCode.MISSING_ATTACHMENTS: 409,
    ErrorCode.ATTACHMENT_TOO_LARGE: 413,
    ErrorCode.HASH_MISMATCH: 422,
    ErrorCode.SIZE_MISMATCH: 422,
    ErrorCode.BAD_OFFSET: 409,
    ErrorCode.BAD_CURSOR: 400,
    ErrorCode.OVERLOADED: 429,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.REQUEST_TIMEOUT: 408,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    ErrorCode.UPLOAD_QUOTA: 429,
    ErrorCode.STORAGE_FULL: 507,
    ErrorCode.UNSUPPORTED_MEDIA: 415,
    ErrorCode.TOO_MANY_PIXELS: 422,
    ErrorCode.UNAVAILABLE: 503,
}


@dataclass(frozen=True)
class Nested:
    """A placeholder filled with another translated sentence, in the same language."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


def localised(key: str, **params: Any) -> LocalisedText:
    """The sentence for `key` in Bahasa Indonesia and English."""

    def render(language: str) -> str:
        filled = {
            name: text(value.key, language, **value.params) if isinstance(value, Nested) else value
            for name, value in params.items()
        }
        return text(key, language, **filled)

    id_text, en_text = (render(language) for language in LANGUAGES)
    return LocalisedText(id=id_text, en=en_text)


def _whole_seconds(seconds: float) -> int:
    """Retry-After takes whole seconds: round up, and never say 0 (that invites a stampede)."""
    return max(1, math.ceil(seconds))


class ServerError(Exception):
    """Base of every error the server raises on purpose."""

    def __init__(self, key: str, detail: str, **params: Any) -> None:
        self.key = key
        self.detail = detail
        self.params = params
        super().__init__(detail)

    def message(self, language: str = "id") -> str:
        return str(getattr(localised(self.key, **self.params), language))


class RequestError(ServerError):
    """A request the server refuses; answered with `status` and an ErrorResponse."""

    def __init__(
        self,
        code: ErrorCode,
        detail: str = "",
        *,
        status: int | None = None,
        retry_after: float | None = None,
        received: int | None = None,
        **params: Any,
    ) -> None:
        if received is not None:
            params.setdefault("received", received)
        if retry_after is not None:
            params.setdefault("seconds", _whole_seconds(retry_after))
        super().__init__(f"server.error.{code.value}", detail or code.value, **params)
        self.code = code
        self.status = status or STATUS[code]
        self.retry_after = retry_after
        self.received = received

    def response(self) -> ErrorResponse:
        return ErrorResponse(
            error=ErrorBody(
                code=self.code,
                message=localised(self.key, **self.params),
                retry_after=self.retry_after,
                received=self.received,
            )
        )

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(_whole_seconds(self.retry_after))}


class AdminError(ServerError):
    """An operator's command that cannot be carried out; the CLI prints one line and exits 1."""

    def __init__(self, problem: str, detail: str, **params: Any) -> None:
        super().__init__(f"server.admin.{problem}", detail, **params)
        self.problem = problem


class StaffError(ServerError):
    """A staff member's action in the console that cannot be carried out; nothing was changed.

        StaffError
        ├── PermissionDenied       the role may not do this
        ├── StaleEdit              someone else changed the case since it was read
        ├── TransitionNotAllowed   the case's state does not allow this action
        ├── StaffNotFound          no such staff account (or case)
        ├── AmbiguousNumber        several records share the register number (an old database)
        └── BadFilter              a filter or export parameter that cannot be read

    `code` is stable (tests and the console match on it); the sentence is `staff.error.<code>`.
    """

    def __init__(self, code: str, detail: str, **params: Any) -> None:
        super().__init__(f"staff.error.{code}", detail, **params)
        self.code = code


class PermissionDenied(StaffError):
    def __init__(self, role: str, action: str) -> None:
        super().__init__(
            "permission_denied",
            f"role {role} may not {action}",
            role=Nested(f"staff.role.{role}"),
            action=Nested(f"staff.action.{action}"),
        )
        self.role = role
        self.action = action


class StaleEdit(StaffError):
    def __init__(self, register_number: str, expected: int, current: int) -> None:
        super().__init__(
            "stale_edit",
            f"{register_number}: version {expected} was read, the case is at {current}",
            register_number=register_number,
            expected=expected,
            current=current,
        )
        self.current = current


class TransitionNotAllowed(StaffError):
    def __init__(self, register_number: str, action: str, state: str) -> None:
        super().__init__(
            "transition_not_allowed",
            f"{register_number}: {action} is not allowed in state {state}",
            register_number=register_number,
            action=Nested(f"staff.action.{action}"),
            state=Nested(f"staff.state.{state}"),
        )
        self.action = action
        self.state = state


class AmbiguousNumber(StaffError):
    """Several records carry one register number (an old database): which is meant is unknown.

    Names the number only, never the devices or people behind the records.
    """

    def __init__(self, register_number: str) -> None:
        super().__init__(
            "ambiguous_number",
            f"{register_number}: several records",
            register_number=register_number,
        )


class StaffNotFound(StaffError):
    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"{what}_not_found", f"no {what} {name!r}", name=name)


class BadFilter(StaffError):
    """`field` names the filter or export parameter; `reason` is a translation code."""

    def __init__(self, field_name: str, reason: str, **params: Any) -> None:
        super().__init__(
            "bad_filter",
            f"filter {field_name}: {reason}",
            field=field_name,
            reason=Nested(f"staff.filter.{reason}", params),
        )
        self.field = field_name
        self.reason = reason
