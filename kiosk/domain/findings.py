"""Findings: what a check found, as data the edge can translate into Indonesian and English."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # rejects the value
    WARNING = "warning"  # only informs; the value is still accepted


@dataclass(frozen=True)
class Finding:
    """One thing a check found: `code` is a translation key, `params` fill its placeholders."""

    code: str
    severity: Severity
    field: str = ""
    params: Mapping[str, str | int] = dataclasses.field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(code: str, field: str = "", **params: str | int) -> Finding:
    return Finding(code, Severity.ERROR, field, params)


def warning(code: str, field: str = "", **params: str | int) -> Finding:
    return Finding(code, Severity.WARNING, field, params)
