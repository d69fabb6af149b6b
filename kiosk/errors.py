"""The kiosk's one exception tree, so callers can catch exactly what they can handle.

    KioskError                 base: every error the kiosk raises on purpose
    ├── InputError             malformed input from a person or a file (number, JSON, CSV, request)
    ├── RuleFileError          a program rule file that cannot be loaded (file, line, reason)
    ├── ImageError             a file that is not a usable image
    ├── NotFoundError          a register number, document or person that is not there
    ├── TransitionError        a state change the lifecycle does not allow
    ├── StoreError             the on-device database cannot be opened or migrated
    └── SyncFailedError        a sync engine error (sync.errors), translated by kiosk.services.sync

Every error carries a translation `code` and `params`, so the edge (CLI, app) can show it in
Bahasa Indonesia and English, and a `where` (file:line, field name) that says where the problem is.
`str(error)` is English and never contains personal data, so it is safe to log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class KioskError(Exception):
    """Base of every error the kiosk raises on purpose."""

    default_code = "error.unexpected"

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


class InputError(KioskError):
    default_code = "error.input"


class RuleFileError(KioskError):
    default_code = "error.rule_file"


class ImageError(KioskError):
    default_code = "error.image"


class NotFoundError(KioskError):
    default_code = "error.not_found"


class TransitionError(KioskError):
    default_code = "error.transition"


class StoreError(KioskError):
    default_code = "error.store"


class SyncFailedError(KioskError):
    """A SyncError met at the service boundary, keeping its code, params and whether to retry."""

    default_code = "sync.error"

    def __init__(self, detail: str, *, retryable: bool = False, **kwargs: Any) -> None:
        self.retryable = retryable
        super().__init__(detail, **kwargs)
