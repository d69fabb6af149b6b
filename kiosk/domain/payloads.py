"""What a scanned code says: its kind, what it pre-fills, and why, so a scan never fills a form blindly.

Pure: invitation patterns, the receipt key, this device's code and today's date are handed in.
The raw bytes are always kept as evidence, and a text that fails its kind's checks is never
reported as valid data (valid=False, with the findings that failed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from kiosk.domain.accounts import is_luhn_valid, parse_card_number
from kiosk.domain.findings import Finding, error, warning
from kiosk.domain.identity import (
    NUMBER_LENGTH,
    RegionLookup,
    clean_digits,
    parse_kk,
    parse_nik,
)
from kiosk.domain.receipts import looks_like_receipt_code, read_receipt_code

# Notes that explain a classification use Severity.WARNING: they inform and never reject.

# Dukcapil's electronic-signature links on KK printed since 2019/2020 (DOMAIN.md, "What barcodes
# really exist"). Only https counts: a plain-http "Dukcapil" link is not what Dukcapil prints.
DUKCAPIL_DOMAIN = "dukcapil.kemendagri.go.id"

# A rough ordering for the screen, not a probability: which reading to offer first.
CONFIDENT = 0.95
TIED = 0.5
# When the KK reading would put the recording date in the future, the NIK reading is far likelier.
KK_DATE_IMPLAUSIBLE = 0.2
# About one number in ten passes the Luhn check by chance, so a Luhn pass alone says little.
CHANCE_LUHN = 0.1
# A Luhn pass AND a region no Kemendagri list knows (e.g. a Visa card's 41xx): the card reading is
# then nearly as likely as the NIK/KK one, but never first: region lists lag behind new provinces
# and splits, while the structure is the law (so a NIK's unknown region only warns).
CARD_WITHOUT_REGION = 0.3


class PayloadKind(StrEnum):
    DUKCAPIL_LINK = "dukcapil_link"
    INVITATION = "invitation"
    RECEIPT = "receipt"
    NIK = "nik"
    KK = "kk"
    CARD_NUMBER = "card_number"
    KEY_VALUE = "key_value"
    URL = "url"
    UNRECOGNISED = "unrecognised"
    BINARY = "binary"


@dataclass(frozen=True)
class InvitationPattern:
    """One program's invitation-letter code: data from assets/scan/invitations.toml, not code.

    A text that starts with `prefix` claims to be this program's invitation; it is valid only when
    `pattern` matches all of it. Named groups become fields; a "stage" group must be in `stages`
    (when given) and a "year" group must not lie in the future.
    """

    program: str
    prefix: str
    pattern: re.Pattern[str]
    example: str
    stages: tuple[int, ...] = ()

    def claims(self, text: str) -> bool:
        return bool(self.prefix) and text.upper().startswith(self.prefix.upper())


@dataclass(frozen=True)
class Reading:
    """One way to read a bare 16-digit number, with how much to trust it and why."""

    kind: PayloadKind
    valid: bool
    confidence: float
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Payload:
    """A classified scan. `fields` holds only what passed its checks; `raw` is the evidence.

    The text, raw bytes and fields stay out of repr(): they may hold a NIK, and a repr ends up in
    logs and tracebacks.
    """

    kind: PayloadKind
    raw: bytes = field(repr=False)
    text: str | None = field(repr=False)
    valid: bool = False
    fields: dict[str, str] = field(default_factory=dict, repr=False)
    confidence: float | None = None
    findings: tuple[Finding, ...] = ()
    readings: tuple[Reading, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.is_error)

    @property
    def is_ambiguous(self) -> bool:
        """True when more than one reading of a number passes its checks."""
        return sum(reading.valid for reading in self.readings) > 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; findings as code/field/params (the edge adds the sentences)."""
        return {
            "kind": self.kind.value,
            "valid": self.valid,
            "fields": dict(self.fields),
            "confidence": self.confidence,
            "findings": [_finding_dict(finding) for finding in self.findings],
            "readings": [
                {
                    "kind": reading.kind.value,
                    "valid": reading.valid,
                    "confidence": reading.confidence,
                    "findings": [_finding_dict(finding) for finding in reading.findings],
                }
                for reading in self.readings
            ],
            "text": self.text,
            "raw_hex": self.raw.hex(),
        }


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "field": finding.field,
        "params": dict(finding.params),
    }


def classify_payload(
    text: str | None,
    raw: bytes,
    *,
    invitation_patterns: Sequence[InvitationPattern] = (),
    receipt_key: bytes | None = None,
    device_code: str | None = None,
    today: date | None = None,
    regions: RegionLookup | None = None,
) -> Payload:
    """Say what a decoded code is. `text` is None when the bytes are not UTF-8 text.

    `device_code` is this kiosk's code: with it, a receipt whose MAC fails can be told apart as
    "from another kiosk" (not verifiable here) or "claims to be ours" (altered or forged).
    `regions` (a Kemendagri table) lets a card number with an unknown region prefix rank higher.
    Never raises on any text or bytes.
    """
    if text is None:
        return Payload(PayloadKind.BINARY, raw, None, findings=(warning("payload.binary"),))
    stripped = text.strip()
    if not stripped:
        return Payload(PayloadKind.UNRECOGNISED, raw, text, findings=(error("payload.empty"),))
    if looks_like_receipt_code(stripped):
        return _receipt(stripped, raw, text, receipt_key, device_code)
    if _URL_START.match(stripped):
        return _url(stripped, raw, text)
    for pattern in invitation_patterns:
        if pattern.claims(stripped):
            return _invitation(pattern, stripped, raw, text, today)
    compact = clean_digits(stripped)
    if _DIGITS.fullmatch(compact):
        if len(compact) == NUMBER_LENGTH:
            return _number(compact, raw, text, today, regions)
        return Payload(
            PayloadKind.UNRECOGNISED,
            raw,
            text,
            findings=(error("payload.number.wrong_length", "number", digits=len(compact)),),
        )
    pairs = _pairs(stripped)
    if pairs is not None:
        return _key_value(pairs, raw, text, today)
    return Payload(PayloadKind.UNRECOGNISED, raw, text, findings=(warning("payload.unrecognised"),))


# --- receipts -----------------------------------------------------------------------------------


def _receipt(
    stripped: str, raw: bytes, text: str, key: bytes | None, device_code: str | None
) -> Payload:
    code = read_receipt_code(stripped)
    if code is None:
        found = error("payload.receipt.malformed", "receipt")
        return Payload(PayloadKind.RECEIPT, raw, text, findings=(found,))
    number = str(code.number)
    if key and code.is_signed_with(key):
        return Payload(
            PayloadKind.RECEIPT,
            raw,
            text,
            valid=True,
            fields={"register_number": number},
            findings=(warning("payload.receipt.verified", "receipt", number=number),),
        )
    if key and device_code is not None and code.number.device_code == device_code:
        # Our device code with a MAC our key did not make: someone altered or made this receipt.
        found = error("payload.receipt.forged", "receipt", number=number)
    else:
        # Another kiosk's key (or none here yet): the server will share keys later (issue #4).
        # Until then the honest answer is "cannot check here", never "forged".
        found = error("payload.receipt.not_verifiable_here", "receipt", number=number)
    return Payload(PayloadKind.RECEIPT, raw, text, findings=(found,))


# --- links --------------------------------------------------------------------------------------

_URL_START = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def _url(stripped: str, raw: bytes, text: str) -> Payload:
    try:
        parts = urlsplit(stripped)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        # e.g. an unbalanced "[" in the host: not a link anyone could open.
        return Payload(
            PayloadKind.URL, raw, text, findings=(error("payload.url.malformed", "url"),)
        )
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        found = error("payload.url.unsupported", "url", scheme=scheme)
        return Payload(PayloadKind.URL, raw, text, findings=(found,))
    if not host:
        return Payload(
            PayloadKind.URL, raw, text, findings=(error("payload.url.malformed", "url"),)
        )
    # hostname ignores "user@" tricks: https://dukcapil.kemendagri.go.id@example.com is example.com.
    if scheme == "https" and (host == DUKCAPIL_DOMAIN or host.endswith("." + DUKCAPIL_DOMAIN)):
        return Payload(
            PayloadKind.DUKCAPIL_LINK,
            raw,
            text,
            valid=True,
            fields={"url": stripped},
            findings=(
                warning("payload.dukcapil.verify_in_ikd", "url"),
                warning("payload.dukcapil.type_numbers", "url"),
            ),
        )
    return Payload(
        PayloadKind.URL,
        raw,
        text,
        valid=True,
        fields={"url": stripped},
        findings=(warning("payload.url.not_opened", "url", host=host),),
    )


# --- invitation letters -------------------------------------------------------------------------

# A letter names the disbursement it invites to; a year far ahead is a misprint or a fake.
EARLIEST_INVITATION_YEAR = 2000


def _invitation(
    pattern: InvitationPattern, stripped: str, raw: bytes, text: str, today: date | None
) -> Payload:
    # Upper case: a handheld scanner with Caps Lock on swaps the case of what it types.
    match = pattern.pattern.fullmatch(stripped.upper())
    program = pattern.program
    if match is None:
        found = error("payload.invitation.bad_shape", "invitation", example=pattern.example)
        return Payload(PayloadKind.INVITATION, raw, text, fields={}, findings=(found,))
    groups = {name: value for name, value in match.groupdict().items() if value is not None}
    problems: list[Finding] = []
    stage = groups.get("stage")
    if stage is not None and pattern.stages and _as_int(stage) not in pattern.stages:
        allowed = ", ".join(str(number) for number in pattern.stages)
        problems.append(
            error("payload.invitation.bad_stage", "stage", stage=stage, allowed=allowed)
        )
    year = groups.get("year")
    if year is not None:
        value = _as_int(year)
        latest = today.year + 1 if today else None
        if value is None or value < EARLIEST_INVITATION_YEAR or (latest and value > latest):
            problems.append(error("payload.invitation.bad_year", "year", year=year))
    if problems:
        return Payload(PayloadKind.INVITATION, raw, text, findings=tuple(problems))
    return Payload(
        PayloadKind.INVITATION,
        raw,
        text,
        valid=True,
        fields={"program": program, "code": stripped.upper(), **groups},
        findings=(warning("payload.invitation.recognised", "invitation", program=program),),
    )


def _as_int(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() else None


# --- bare 16-digit numbers ----------------------------------------------------------------------

_DIGITS = re.compile(r"[0-9]+")


def _scaled(readings: list[Reading], factor: float) -> list[Reading]:
    return [Reading(r.kind, r.valid, round(r.confidence * factor, 3), r.findings) for r in readings]


def _number(
    digits: str, raw: bytes, text: str, today: date | None, regions: RegionLookup | None
) -> Payload:
    """NIK, No. KK or card number, decided by structure (DOMAIN.md "Identity numbers").

    Both NIK and KK carry a ddmmyy date in digits 7-12, but only a NIK's day may have 40 added (a
    woman's). So every valid KK is also a structurally valid NIK: a day above 40 settles "NIK",
    otherwise the number is ambiguous and both readings are given. A card number has no date;
    its only check is Luhn, which one random number in ten passes, so a number that is a valid NIK
    or KK is read as that, with the card reading offered last. Only a Luhn-valid number whose
    digits 7-12 are no date at all is read as a card number.
    """
    nik = parse_nik(digits, regions, today=today)
    kk = parse_kk(digits, regions, today=today)
    luhn = is_luhn_valid(digits)
    card = parse_card_number(digits)
    nik_findings = nik.errors + nik.warnings
    kk_findings = kk.errors + kk.warnings

    if not nik.valid:
        nik_reading = Reading(PayloadKind.NIK, False, 0.0, nik_findings)
        kk_reading = Reading(PayloadKind.KK, False, 0.0, kk_findings)
        if luhn:
            reason = warning("payload.number.card_not_date", "card_number")
            return Payload(
                PayloadKind.CARD_NUMBER,
                raw,
                text,
                valid=True,
                fields={"card_number": digits},
                confidence=CONFIDENT,
                findings=(reason,),
                readings=(
                    Reading(PayloadKind.CARD_NUMBER, True, CONFIDENT, (reason,)),
                    nik_reading,
                    kk_reading,
                ),
            )
        card_reading = Reading(PayloadKind.CARD_NUMBER, False, 0.0, card.errors)
        return Payload(
            PayloadKind.UNRECOGNISED,
            raw,
            text,
            findings=(error("payload.number.invalid", "number"), *nik.errors),
            readings=(nik_reading, kk_reading, card_reading),
        )

    readings: list[Reading]
    reasons: list[Finding]
    if not kk.valid:
        # The only way a valid NIK is an invalid KK: a day code of 41-71.
        reasons = [warning("payload.number.female_day", "nik", day=digits[6:8])]
        readings = [
            Reading(PayloadKind.NIK, True, CONFIDENT, (*reasons, *nik.warnings)),
            Reading(PayloadKind.KK, False, 0.0, kk_findings),
        ]
    elif any(w.code == "kk.issue_date_in_future" for w in kk.warnings):
        reasons = [warning("payload.number.kk_date_in_future", "kk")]
        readings = [
            Reading(PayloadKind.NIK, True, 1 - KK_DATE_IMPLAUSIBLE, (*reasons, *nik.warnings)),
            Reading(PayloadKind.KK, True, KK_DATE_IMPLAUSIBLE, kk_findings),
        ]
    else:
        # Nothing in the digits tells them apart. NIK first: people are matched on NIK, and the
        # officer is asked which document the number came from.
        reasons = [warning("payload.number.nik_or_kk", "number")]
        readings = [
            Reading(PayloadKind.NIK, True, TIED, (*reasons, *nik.warnings)),
            Reading(PayloadKind.KK, True, TIED, (*reasons, *kk.warnings)),
        ]
    if luhn:
        if any(w.code == "nik.region_unknown" for w in nik.warnings):
            not_card = warning("payload.number.maybe_card", "card_number")
            card_confidence = CARD_WITHOUT_REGION
        else:
            not_card = warning("payload.number.luhn_by_chance", "card_number")
            card_confidence = CHANCE_LUHN
        reasons.append(not_card)
        readings = _scaled(readings, 1 - card_confidence)
        readings.append(Reading(PayloadKind.CARD_NUMBER, True, card_confidence, (not_card,)))
    else:
        readings.append(Reading(PayloadKind.CARD_NUMBER, False, 0.0, card.errors))
    chosen = readings[0]
    return Payload(
        chosen.kind,
        raw,
        text,
        valid=True,
        fields={chosen.kind.value: digits},
        confidence=chosen.confidence,
        findings=(*reasons, *(nik.warnings if chosen.kind is PayloadKind.NIK else kk.warnings)),
        readings=tuple(readings),
    )


# --- key=value payloads -------------------------------------------------------------------------

_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_ .\-]{0,39}")
_PAIR = re.compile(r"\s*([^=:]+?)\s*[=:]\s*(.*?)\s*", re.DOTALL)
_LINE_SEPARATORS = re.compile(r"[;\r\n|]+")
_KEY_SEPARATORS = re.compile(r"[\s.\-]+")
# What people and other systems call the fields we can check.
_ALIASES = {
    "nik": "nik",
    "no_nik": "nik",
    "nomor_nik": "nik",
    "kk": "kk",
    "nkk": "kk",
    "nokk": "kk",
    "no_kk": "kk",
    "nomor_kk": "kk",
    "no_kartu_keluarga": "kk",
    "card": "card_number",
    "card_number": "card_number",
    "no_kartu": "card_number",
    "nomor_kartu": "card_number",
    "nama": "name",
    "name": "name",
}


def _canonical_key(key: str) -> str:
    plain = _KEY_SEPARATORS.sub("_", key.strip().lower()).strip("_")
    return _ALIASES.get(plain, plain)


def _pairs(stripped: str) -> list[tuple[str, str]] | None:
    """The key/value pairs of a JSON object, "a=1&b=2", or "NIK=...;NAMA=..." lines; else None."""
    if stripped.startswith("{"):
        return _json_pairs(stripped)
    if "&" in stripped and not _LINE_SEPARATORS.search(stripped):
        pieces, decode = stripped.split("&"), True
    else:
        pieces, decode = _LINE_SEPARATORS.split(stripped), False
    pairs: list[tuple[str, str]] = []
    for piece in pieces:
        if not piece.strip():
            continue
        match = _PAIR.fullmatch(piece)
        if match is None or not _KEY.fullmatch(match.group(1)):
            return None
        key, value = match.group(1), match.group(2)
        if decode:
            key, value = unquote_plus(key), unquote_plus(value)
        pairs.append((key, value))
    return pairs or None


def _json_pairs(stripped: str) -> list[tuple[str, str]] | None:
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not data:
        return None
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, str | int | float):
            pairs.append((key, str(value)))
        elif value is None:
            pairs.append((key, ""))
        else:
            pairs.append((key, json.dumps(value, ensure_ascii=False)))
    return pairs


def _key_value(pairs: list[tuple[str, str]], raw: bytes, text: str, today: date | None) -> Payload:
    values: dict[str, str] = {}
    conflicting: list[str] = []
    for key, value in pairs:
        name = _canonical_key(key) or key
        if name in values and values[name] != value and name not in conflicting:
            conflicting.append(name)
        values.setdefault(name, value)
    fields: dict[str, str] = {}
    # Two different values under one key: neither is pre-filled, whichever came last.
    findings = [error("payload.key_value.duplicate", name, key=name) for name in conflicting]
    for name, value in values.items():
        if name in conflicting:
            continue
        checked, problems = _check_field(name, value, today)
        findings.extend(problems)
        if checked is not None:
            fields[name] = checked
    valid = not any(finding.is_error for finding in findings)
    return Payload(
        PayloadKind.KEY_VALUE, raw, text, valid=valid, fields=fields, findings=tuple(findings)
    )


def _check_field(name: str, value: str, today: date | None) -> tuple[str | None, list[Finding]]:
    """The value to pre-fill (None when it failed) and what its check found."""
    if name == "nik":
        nik = parse_nik(value, today=today)
        if not nik.valid:
            return None, [error("payload.key_value.field_invalid", name, key=name), *nik.errors]
        return nik.number, list(nik.warnings)
    if name == "kk":
        kk = parse_kk(value, today=today)
        if not kk.valid:
            return None, [error("payload.key_value.field_invalid", name, key=name), *kk.errors]
        return kk.number, list(kk.warnings)
    if name == "card_number":
        card = parse_card_number(value)
        if not card.valid:
            return None, [error("payload.key_value.field_invalid", name, key=name), *card.errors]
        return card.number, []
    return value, []
