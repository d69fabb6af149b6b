"""NIK and No. KK: what a typed number says and what is wrong with it, as data, not a boolean.

Rules follow DOMAIN.md's table (sources in domain-reference.md §1): structure rejects, region and
plausibility only warn. Region names come through `RegionLookup`, so this module stays pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal, Protocol

from kiosk.domain.findings import Finding, error, warning

Gender = Literal["L", "P"]

NUMBER_LENGTH = 16
FEMALE_DAY_OFFSET = 40
# Where no one knew the birth date, Dukcapil recorded 31-12 (before SIAK), 01-07 (since SIAK),
# or the 15th (month known); 01-01 is common too (domain-reference.md §1.3).
DEFAULT_BIRTH_DAYS: frozenset[tuple[int, int]] = frozenset({(1, 7), (31, 12), (1, 1)})
DEFAULT_BIRTH_DAY_OF_MONTH = 15
# A 19yy reading of a KK date is only plausible from here on [INFERENCE]; before it, a date in
# the future (20yy) is the better explanation: a typing mistake or a number that is not a KK.
EARLIEST_KK_YEAR = 1970

# Formatting people add when they copy a number: spaces (any kind), dots and dashes.
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]")
_ASCII_DIGITS = re.compile(r"[0-9]+")


class Role(StrEnum):
    """Who the number belongs to: decides which century is plausible and which age is expected."""

    STUDENT = "student"
    PARENT = "parent"
    GUARDIAN = "guardian"
    ANY = "any"


# Inclusive age ranges in whole years. KJP Plus matches students aged 6-21 (domain-reference.md
# §4.1); a parent or guardian is an adult: 17 is when a KTP-el is issued [INFERENCE for the top].
AGE_RANGES: dict[Role, tuple[int, int]] = {
    Role.STUDENT: (6, 21),
    Role.PARENT: (17, 100),
    Role.GUARDIAN: (17, 100),
    Role.ANY: (0, 120),
}


@dataclass(frozen=True)
class RegionName:
    """A regency's name; `current_code` differs from the code asked for when that is historical."""

    name: str
    current_code: str
    current_province: str | None = None
    historical: bool = False


class RegionLookup(Protocol):
    """What the domain needs from a Kemendagri region table (current and historical codes)."""

    def province(self, code: str) -> str | None:
        """Name of a 2-digit province code, or None."""
        ...

    def regency(self, code: str) -> RegionName | None:
        """Name of a 4-digit regency/city code, historical codes included, or None."""
        ...

    def district(self, code: str) -> str | None:
        """Name of a 6-digit district (kecamatan) code, historical regencies included, or None."""
        ...


@dataclass(frozen=True)
class Region:
    """The region part (digits 1-6) of a NIK or KK, with names where the lookup knows them."""

    province_code: str
    regency_code: str
    district_code: str
    province: str | None = None
    regency: str | None = None
    district: str | None = None
    current_regency_code: str | None = None
    current_province: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "province_code": self.province_code,
            "regency_code": self.regency_code,
            "district_code": self.district_code,
            "province": self.province,
            "regency": self.regency,
            "district": self.district,
            "current_regency_code": self.current_regency_code,
            "current_province": self.current_province,
        }


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {"code": finding.code, "field": finding.field, "params": dict(finding.params)}


@dataclass(frozen=True)
class NikResult:
    """Everything a NIK says; `valid` is False exactly when `errors` is not empty."""

    valid: bool
    number: str | None
    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    gender: Gender | None = None
    birth_date: date | None = None
    birth_date_candidates: tuple[date, ...] = ()
    age: int | None = None
    region: Region | None = None
    serial: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO text, findings as code/field/params (the edge adds messages)."""
        return {
            "kind": "nik",
            "valid": self.valid,
            "number": self.number,
            "errors": [_finding_dict(f) for f in self.errors],
            "warnings": [_finding_dict(f) for f in self.warnings],
            "gender": self.gender,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "birth_date_candidates": [d.isoformat() for d in self.birth_date_candidates],
            "age": self.age,
            "region": self.region.to_dict() if self.region else None,
            "serial": self.serial,
        }


@dataclass(frozen=True)
class KkResult:
    """Everything a No. KK says; `issue_date` is the recording date in digits 7-12."""

    valid: bool
    number: str | None
    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    issue_date: date | None = None
    issue_date_candidates: tuple[date, ...] = ()
    region: Region | None = None
    serial: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO text, findings as code/field/params (the edge adds messages)."""
        return {
            "kind": "kk",
            "valid": self.valid,
            "number": self.number,
            "errors": [_finding_dict(f) for f in self.errors],
            "warnings": [_finding_dict(f) for f in self.warnings],
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "issue_date_candidates": [d.isoformat() for d in self.issue_date_candidates],
            "region": self.region.to_dict() if self.region else None,
            "serial": self.serial,
        }


def clean_digits(text: str) -> str:
    """`text` without the separators people type; full-width digits become ASCII (NFKC)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _SEPARATORS.sub("", text)


def _shape_errors(kind: str, compact: str) -> list[Finding]:
    """Reject anything that is not exactly 16 ASCII digits, saying what was typed instead."""
    if not compact:
        return [error(f"{kind}.empty", kind)]
    stray = _ASCII_DIGITS.sub("", compact)
    if stray:
        digits = len(compact) - len(stray)
        # Name the first stray character: "O" for "0" and "l" for "1" are the usual culprits.
        return [error(f"{kind}.not_digits", kind, char=stray[0], digits=digits)]
    if len(compact) != NUMBER_LENGTH:
        return [error(f"{kind}.wrong_length", kind, digits=len(compact))]
    return []


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dotted(code: str) -> str:
    return ".".join(code[i : i + 2] for i in range(0, len(code), 2))


def _region(kind: str, digits: str, regions: RegionLookup) -> tuple[Region, tuple[Finding, ...]]:
    """Names for digits 1-6, and soft warnings: an unknown prefix never rejects (region splits)."""
    if isinstance(regions, Hashable):
        return _region_of(kind, digits[:6], regions)
    return _region_of.__wrapped__(kind, digits[:6], regions)


# Results are immutable and region tables do not change while a process runs, so a bulk import
# that meets the same few hundred districts a million times asks the table only once each.
@lru_cache(maxsize=16384)
def _region_of(kind: str, code6: str, regions: RegionLookup) -> tuple[Region, tuple[Finding, ...]]:
    code2, code4 = code6[:2], code6[:4]
    findings: list[Finding] = []
    province = regions.province(code2)
    regency = regions.regency(code4)
    district = regions.district(code6) if regency else None
    if regency is None:
        # Also when the province is known: no list, current or historical, has this regency.
        findings.append(warning(f"{kind}.region_unknown", "region", prefix=_dotted(code4)))
    elif district is None:
        findings.append(warning(f"{kind}.district_unknown", "region", prefix=_dotted(code6)))
    if regency is not None and regency.historical:
        findings.append(
            warning(
                f"{kind}.region_pre_split",
                "region",
                prefix=_dotted(code4),
                current_code=_dotted(regency.current_code),
                name=regency.name,
                province=regency.current_province or "",
            )
        )
    region = Region(
        province_code=code2,
        regency_code=code4,
        district_code=code6,
        province=province,
        regency=regency.name if regency else None,
        district=district,
        current_regency_code=regency.current_code if regency and regency.historical else None,
        current_province=regency.current_province if regency else None,
    )
    return region, tuple(findings)


def age_on(born: date, today: date) -> int:
    """Whole years between `born` and `today`; a 29 February birthday counts on 1 March."""
    before_birthday = (today.month, today.day) < (born.month, born.day)
    return today.year - born.year - int(before_birthday)


def _choose_birth_date(
    candidates: list[date], role: Role, today: date | None
) -> tuple[date | None, int | None, bool]:
    """Pick the century the role makes plausible: (date, age, plausible?)."""
    if today is None:
        if len(candidates) == 1:
            return candidates[0], None, True
        # No clock: a student is born in 20yy, a parent or guardian in 19yy; ANY stays open.
        if role is Role.STUDENT:
            return max(candidates), None, True
        if role in (Role.PARENT, Role.GUARDIAN):
            return min(candidates), None, True
        return None, None, True
    past = [d for d in candidates if d <= today]
    if not past:
        # Both readings lie in the future: keep the older one and let the age warning speak.
        chosen = min(candidates)
        return chosen, age_on(chosen, today), False
    low, high = AGE_RANGES[role]
    ages = {d: age_on(d, today) for d in past}
    fitting = [d for d in past if low <= ages[d] <= high]
    if fitting:
        chosen = max(fitting)  # the younger reading when both fit
        return chosen, ages[chosen], True

    def distance(d: date) -> int:
        return low - ages[d] if ages[d] < low else ages[d] - high

    chosen = min(past, key=lambda d: (distance(d), -d.toordinal()))
    return chosen, ages[chosen], False


def parse_nik(
    text: str,
    regions: RegionLookup | None = None,
    *,
    role: Role | None = None,
    today: date | None = None,
) -> NikResult:
    """Check a typed NIK: 16 digits PPRRSS DDMMYY NNNN, women's day + 40 (PP 37/2007 Pasal 37)."""
    compact = clean_digits(text)
    shape = _shape_errors("nik", compact)
    if shape:
        return NikResult(valid=False, number=None, errors=tuple(shape))
    role = role or Role.ANY
    errors: list[Finding] = []
    warnings: list[Finding] = []
    day_code, month, yy = int(compact[6:8]), int(compact[8:10]), int(compact[10:12])
    serial = compact[12:]

    gender: Gender | None = None
    day = day_code - FEMALE_DAY_OFFSET if day_code > FEMALE_DAY_OFFSET else day_code
    if 1 <= day_code <= 31 or 41 <= day_code <= 71:
        gender = "P" if day_code > FEMALE_DAY_OFFSET else "L"
    else:
        errors.append(error("nik.day_out_of_range", "birth_date", day=compact[6:8]))
    if not 1 <= month <= 12:
        errors.append(error("nik.month_out_of_range", "birth_date", month=compact[8:10]))

    candidates: list[date] = []
    birth_date: date | None = None
    age: int | None = None
    if not errors:
        # The century is not encoded: try both, reject only when neither is a real date.
        found = (_real_date(century + yy, month, day) for century in (1900, 2000))
        candidates = [d for d in found if d is not None]
        if not candidates:
            errors.append(
                error(
                    "nik.no_such_date",
                    "birth_date",
                    day=f"{day:02d}",
                    month=f"{month:02d}",
                    year=compact[10:12],
                )
            )
        else:
            birth_date, age, plausible = _choose_birth_date(candidates, role, today)
            if not plausible and age is not None:
                low, high = AGE_RANGES[role]
                warnings.append(
                    warning(
                        "nik.age_unexpected",
                        "birth_date",
                        age=age,
                        role=role.value,
                        low=low,
                        high=high,
                    )
                )
            if (day, month) in DEFAULT_BIRTH_DAYS or day == DEFAULT_BIRTH_DAY_OF_MONTH:
                warnings.append(
                    warning("nik.default_birth_date", "birth_date", date=f"{day:02d}-{month:02d}")
                )
    if serial == "0000":
        errors.append(error("nik.serial_zero", "serial"))

    region = None
    if regions is not None:
        region, region_findings = _region("nik", compact, regions)
        warnings.extend(region_findings)
    else:
        region = Region(compact[:2], compact[:4], compact[:6])
    return NikResult(
        valid=not errors,
        number=compact,
        errors=tuple(errors),
        warnings=tuple(warnings),
        gender=gender,
        birth_date=birth_date,
        birth_date_candidates=tuple(candidates),
        age=age,
        region=region,
        serial=serial,
    )


def _choose_issue_date(candidates: list[date], today: date | None) -> tuple[date, bool]:
    """The recording date a KK most plausibly carries: (date, in the future?)."""
    modern = [d for d in candidates if d.year >= 2000]
    older = [d for d in candidates if d.year < 2000 and d.year >= EARLIEST_KK_YEAR]
    if today is None:
        # No clock: 70-99 read as 19yy, the rest as 20yy.
        return (older or modern or candidates)[0], False
    if modern and modern[0] <= today:
        return modern[0], False
    if older:
        return older[0], False
    chosen = modern[0] if modern else candidates[0]
    return chosen, chosen > today


def parse_kk(
    text: str, regions: RegionLookup | None = None, *, today: date | None = None
) -> KkResult:
    """Check a typed No. KK: 16 digits PPRRSS DDMMYY NNNN, the date being the day of recording."""
    compact = clean_digits(text)
    shape = _shape_errors("kk", compact)
    if shape:
        return KkResult(valid=False, number=None, errors=tuple(shape))
    errors: list[Finding] = []
    warnings: list[Finding] = []
    day, month, yy = int(compact[6:8]), int(compact[8:10]), int(compact[10:12])
    serial = compact[12:]

    if 41 <= day <= 71:
        warnings.append(warning("kk.looks_like_nik", "kk", day=compact[6:8]))
    found = (_real_date(century + yy, month, day) for century in (1900, 2000))
    candidates = [d for d in found if d is not None]
    issue_date: date | None = None
    if not candidates:
        errors.append(
            error(
                "kk.no_such_date",
                "issue_date",
                day=compact[6:8],
                month=compact[8:10],
                year=compact[10:12],
            )
        )
    else:
        issue_date, in_future = _choose_issue_date(candidates, today)
        if in_future:
            warnings.append(
                warning("kk.issue_date_in_future", "issue_date", date=issue_date.isoformat())
            )
    if serial == "0000":
        errors.append(error("kk.serial_zero", "serial"))

    if regions is not None:
        region, region_findings = _region("kk", compact, regions)
        warnings.extend(region_findings)
    else:
        region = Region(compact[:2], compact[:4], compact[:6])
    return KkResult(
        valid=not errors,
        number=compact,
        errors=tuple(errors),
        warnings=tuple(warnings),
        issue_date=issue_date,
        issue_date_candidates=tuple(candidates),
        region=region,
        serial=serial,
    )


def mask_nik(nik: str) -> str:
    """3171014107050001 -> 3171********0001, for screens the public can see (UU 27/2022)."""
    digits = clean_digits(nik)
    if len(digits) <= 8:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]
