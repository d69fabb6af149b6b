"""Every record that arrives is checked again with the kiosk's own domain rules.

The server never trusts a device's verdict: it re-reads identity numbers, program, stage, answers
and documents, evaluates the checklist with the rule files in force on the server, and keeps its
own verdict beside the device's. A record it cannot vouch for is refused with a stable reason (a
translation code) and the field it is about.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NoReturn, Protocol

from kiosk.banks import account_lengths
from kiosk.domain.accounts import parse_bank_account
from kiosk.domain.complaints import (
    DEFAULT_CLOCK_TOLERANCE,
    ClockTolerance,
    ComplaintCategory,
    deadlines_on_receipt,
)
from kiosk.domain.findings import Finding
from kiosk.domain.identity import Role, parse_kk, parse_nik
from kiosk.domain.register_numbers import RegisterNumberError, parse_register_number
from kiosk.domain.requirements import ProgramRules, evaluate
from kiosk.errors import KioskError
from sync.protocol import SHA256_PATTERN, OutboxRecord

log = logging.getLogger("lengkap.server.validation")
SUPPORTED_SCHEMAS = (1,)  # kiosk/store/codec.py SCHEMA values this server can read
MAX_DESCRIPTION = 2000  # the kiosk's own limit for a complaint's description
APPLICANT_ROLE = {"kjp-plus": Role.STUDENT}  # whose NIK it is decides the plausible age
_SHA256 = re.compile(SHA256_PATTERN)
_COMMON = ("schema", "kind", "client_id", "register_number")
SUBMISSION_FIELDS = frozenset(
    {
        *_COMMON,
        "program",
        "stage",
        "applicant",
        "collector",
        "bank_account",
        "facts",
        "documents",
        "device_verdict",
        "created_at",
    }
)
COMPLAINT_FIELDS = frozenset(
    {
        *_COMMON,
        "category",
        "description",
        "complainant",
        "program",
        "related_register_number",
        "filed_at",
        "first_response_due",
        "resolution_due",
    }
)

SURVEY_FIELDS = frozenset(
    {"schema", "kind", "client_id", "score", "flow", "language", "answered_at"}
)
# The kiosk's flows (kiosk/services/survey.py FLOWS); a test keeps the two lists equal.
SURVEY_FLOWS = frozenset({"selfcheck", "complaint", "officer"})
SURVEY_SCORES = range(1, 6)
_LANGUAGE = re.compile(r"[a-z]{2,3}")  # ISO 639 code of the screen's language, e.g. "id"


class RuleSource(Protocol):
    """The program rules in force on the server (published ones first, else the shipped files)."""

    def rules_for(self, program: str) -> ProgramRules | None: ...

    def programs(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Rejection:
    """Why a record was refused: `reason` is a translation code, `field` a path in the record."""

    reason: str
    field: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class CheckedRecord:
    """A record the server accepts, with its own verdict and whether the device's agrees."""

    register_number: str
    program: str | None
    attachments: frozenset[str]
    device_verdict: dict[str, Any] | None
    server_verdict: dict[str, Any]
    agrees: bool
    rules_version: str | None = None


class _Refused(Exception):
    def __init__(self, reason: str, where: str, **params: Any) -> None:
        super().__init__(reason)
        self.rejection = Rejection(reason, where, params)


@dataclass(frozen=True)
class CheckedSurvey:
    """A satisfaction answer the server accepts: no personal data, nothing to re-judge."""

    score: int
    flow: str
    language: str
    answered_at: datetime  # aware, UTC


def validate(
    record: OutboxRecord,
    rules: RuleSource,
    received_at: datetime,
    clock_tolerance: ClockTolerance = DEFAULT_CLOCK_TOLERANCE,
) -> CheckedRecord | CheckedSurvey | Rejection:
    """The server's own reading of `record`, received at `received_at` (the server's clock):
    checked, or the first reason to refuse it."""
    today = received_at.date()
    try:
        body = _Fields(record.body, "")
        schema = body.raw.get("schema")
        if schema not in SUPPORTED_SCHEMAS:
            raise _Refused("server.reject.schema", "schema", schema=str(schema))
        if body.raw.get("kind") != record.kind:
            raise _Refused("server.reject.kind_mismatch", "kind", kind=record.kind)
        if body.raw.get("client_id") != record.client_id:
            raise _Refused("server.reject.client_id_mismatch", "client_id")
        for sha256 in record.attachments:
            if not _SHA256.fullmatch(sha256):
                raise _Refused("server.reject.bad_sha256", "attachments")
        if record.kind == "submission":
            return _submission(record, body, rules, today)
        if record.kind == "survey":
            return _survey(record, body)
        return _complaint(record, body, rules, received_at, clock_tolerance)
    except _Refused as refused:
        return refused.rejection
    except (ValueError, OverflowError, RecursionError) as exc:
        # Input no check above foresaw (a number or date past what Python or the database
        # takes): this record is refused, the rest of its batch goes on. Named, never shown.
        log.warning("unreadable record client_id=%s: %s", record.client_id, type(exc).__name__)
        return Rejection("server.reject.unreadable", "body")


def _submission(
    record: OutboxRecord, body: _Fields, rules: RuleSource, today: date
) -> CheckedRecord:
    body.refuse_unknown(SUBMISSION_FIELDS)
    register_number = body.register_number("register_number")
    program = body.text("program")
    program_rules = _rules(rules, program, "program")
    stage = body.integer("stage")
    role = APPLICANT_ROLE.get(program, Role.ANY)
    applicant = body.child("applicant", {"nik", "name", "kk", "birth_date"})
    applicant.nik("nik", role, today)
    applicant.text("name")
    if applicant.optional_text("kk") is not None:
        applicant.kk("kk", today)
    applicant.optional_text("birth_date")
    if body.raw.get("collector") is not None:
        collector = body.child("collector", {"nik", "name", "relation"})
        collector.nik("nik", Role.PARENT, today)
        collector.text("name")
        collector.text("relation")
    if body.raw.get("bank_account") is not None:
        account = body.child("bank_account", {"bank", "account"})
        found = parse_bank_account(account.text("account"), account.text("bank"), account_lengths())
        if not found.valid:
            account.reject_findings("account", found.errors)
    facts = body.facts("facts")
    documents, photos = body.documents("documents")
    device_verdict = body.device_verdict("device_verdict")
    body.moment("created_at")
    try:
        checklist = evaluate(program_rules, stage, facts, documents)
    except KioskError as exc:
        raise _Refused(exc.code, exc.where or "facts", **exc.params) from exc
    if checklist.missing_facts:
        raise _Refused(
            "submission.missing_facts", "facts", facts=", ".join(checklist.missing_facts)
        )
    missing = sorted(item.document for item in checklist.missing)
    server_verdict = {
        "completeness": "complete" if checklist.is_complete else "incomplete",
        "missing_documents": missing,
        "rules_version": program_rules.version,
    }
    agrees = (
        device_verdict["completeness"] == server_verdict["completeness"]
        and sorted(device_verdict["missing_documents"]) == missing
    )
    return CheckedRecord(
        register_number=register_number,
        program=program,
        attachments=frozenset(record.attachments) | photos,
        device_verdict=device_verdict,
        server_verdict=server_verdict,
        agrees=agrees,
        rules_version=program_rules.version,
    )


def _complaint(
    record: OutboxRecord,
    body: _Fields,
    rules: RuleSource,
    received_at: datetime,
    tolerance: ClockTolerance,
) -> CheckedRecord:
    today = received_at.date()
    body.refuse_unknown(COMPLAINT_FIELDS)
    register_number = body.register_number("register_number")
    category_text = body.text("category")
    try:
        category = ComplaintCategory(category_text)
    except ValueError:
        allowed = ", ".join(c.value for c in ComplaintCategory)
        raise _Refused("complaint.unknown_category", "category", allowed=allowed) from None
    description = body.optional_text("description")
    if description is None:
        raise _Refused("complaint.description_empty", "description")
    if len(description) > MAX_DESCRIPTION:
        raise _Refused("complaint.description_too_long", "description", limit=MAX_DESCRIPTION)
    complainant = body.child("complainant", {"name", "nik", "phone"})
    if complainant.optional_text("name") is None:
        raise _Refused("complaint.name_empty", "complainant.name")
    if complainant.optional_text("nik") is not None:
        complainant.nik("nik", Role.ANY, today)
    complainant.optional_text("phone")
    program = body.optional_text("program")
    if program is not None:
        _rules(rules, program, "program")
    if body.optional_text("related_register_number") is not None:
        body.register_number("related_register_number")
    filed_at = body.aware_moment("filed_at")
    device_dates = (body.moment("first_response_due"), body.moment("resolution_due"))
    # The device's clock is stated evidence, not the server's: the deadlines start at the
    # receipt when the stated filing time is not believable (deadlines_on_receipt).
    kept = deadlines_on_receipt(category, filed_at, received_at, tolerance)
    server_verdict = {
        "first_response_due": kept.deadlines.first_response.isoformat(),
        "resolution_due": kept.deadlines.resolution.isoformat(),
        "deadlines_from": "filed_at" if kept.stated_filing_plausible else "received_at",
        "filed_at_stated": filed_at.isoformat(),
        "filed_at_plausible": kept.stated_filing_plausible,
    }
    return CheckedRecord(
        register_number=register_number,
        program=program,
        attachments=frozenset(record.attachments),
        device_verdict={
            "first_response_due": device_dates[0].isoformat(),
            "resolution_due": device_dates[1].isoformat(),
        },
        server_verdict=server_verdict,
        agrees=kept.stated_filing_plausible
        and device_dates == (kept.deadlines.first_response, kept.deadlines.resolution),
    )


def _survey(record: OutboxRecord, body: _Fields) -> CheckedSurvey:
    body.refuse_unknown(SURVEY_FIELDS)
    if record.attachments:
        raise _Refused("server.reject.survey_attachments", "attachments")
    score = body.integer("score")
    if score not in SURVEY_SCORES:
        raise _Refused("survey.bad_score", "score")
    flow = body.text("flow")
    if flow not in SURVEY_FLOWS:
        raise _Refused("survey.bad_flow", "flow")
    language = body.text("language")
    if not _LANGUAGE.fullmatch(language):
        raise _Refused("server.reject.bad_language", "language")
    answered_at = body.aware_moment("answered_at")
    return CheckedSurvey(
        score=score, flow=flow, language=language, answered_at=answered_at.astimezone(UTC)
    )


def _rules(rules: RuleSource, program: str, where: str) -> ProgramRules:
    found = rules.rules_for(program)
    if found is None:
        raise _Refused(
            "requirements.unknown_program",
            where,
            program=program,
            allowed=", ".join(rules.programs()),
        )
    return found


class _Fields:
    """Reads one JSON object of a record, naming the exact path of anything wrong."""

    def __init__(self, raw: Any, path: str) -> None:
        if not isinstance(raw, Mapping):
            raise _Refused("submission.expected_object", path or "body", field=path or "body")
        self.raw = raw
        self.path = path

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def refuse_unknown(self, allowed: frozenset[str] | set[str]) -> None:
        unknown = sorted(set(self.raw) - allowed)
        if unknown:
            raise _Refused(
                "submission.unknown_field",
                self.where(unknown[0]),
                field=self.where(unknown[0]),
                allowed=", ".join(sorted(allowed)),
            )

    def child(self, key: str, allowed: set[str]) -> _Fields:
        value = self.raw.get(key)
        if not isinstance(value, Mapping):
            raise _Refused("submission.expected_object", self.where(key), field=self.where(key))
        child = _Fields(value, self.where(key))
        child.refuse_unknown(allowed)
        return child

    def optional_text(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _Refused("submission.expected_text", self.where(key), field=self.where(key))
        return value.strip() or None

    def text(self, key: str) -> str:
        value = self.optional_text(key)
        if value is None:
            raise _Refused("submission.required", self.where(key), field=self.where(key))
        return value

    def integer(self, key: str) -> int:
        value = self.raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Refused("submission.expected_number", self.where(key), field=self.where(key))
        return value

    def moment(self, key: str) -> datetime:
        value = self.text(key)
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise _Refused("server.reject.bad_datetime", self.where(key)) from None

    def aware_moment(self, key: str) -> datetime:
        """A moment with its zone: one without could be any of three Indonesian ones, and
        the server refuses rather than guess. One that is not a moment in UTC (9999-12-31 at
        -05:00) is refused too, before any arithmetic overflows on it."""
        value = self.moment(key)
        try:
            if value.tzinfo is None:
                raise ValueError(key)
            value.astimezone(UTC)
        except (ValueError, OverflowError):
            raise _Refused("server.reject.bad_datetime", self.where(key)) from None
        return value

    def register_number(self, key: str) -> str:
        try:
            return str(parse_register_number(self.text(key)))
        except RegisterNumberError as exc:
            raise _Refused(exc.reason, self.where(key)) from None

    def nik(self, key: str, role: Role, today: date) -> None:
        found = parse_nik(self.text(key), role=role, today=today)
        if not found.valid:
            self.reject_findings(key, found.errors)

    def kk(self, key: str, today: date) -> None:
        found = parse_kk(self.text(key), today=today)
        if not found.valid:
            self.reject_findings(key, found.errors)

    def reject_findings(self, key: str, errors: tuple[Finding, ...]) -> NoReturn:
        first = errors[0]
        raise _Refused(first.code, self.where(key), **dict(first.params))

    def facts(self, key: str) -> dict[str, str | bool]:
        value = self.raw.get(key, {})
        if not isinstance(value, Mapping) or not all(
            isinstance(item, str | bool) for item in value.values()
        ):
            raise _Refused("submission.expected_facts", self.where(key), field=self.where(key))
        return dict(value)

    def documents(self, key: str) -> tuple[set[str], frozenset[str]]:
        """(document ids shown, SHA-256s of their photos)."""
        value = self.raw.get(key, [])
        if not isinstance(value, list):
            raise _Refused("submission.expected_list", self.where(key), field=self.where(key))
        shown: set[str] = set()
        photos: set[str] = set()
        for index, item in enumerate(value):
            entry = _Fields(item, f"{self.where(key)}[{index}]")
            entry.refuse_unknown({"document", "photo_sha256"})
            shown.add(entry.text("document"))
            photo = entry.optional_text("photo_sha256")
            if photo is not None:
                if not _SHA256.fullmatch(photo):
                    raise _Refused("server.reject.bad_sha256", entry.where("photo_sha256"))
                photos.add(photo)
        return shown, frozenset(photos)

    def device_verdict(self, key: str) -> dict[str, Any]:
        verdict = self.child(key, {"completeness", "missing_documents"})
        completeness = verdict.text("completeness")
        missing = verdict.raw.get("missing_documents")
        if completeness not in ("complete", "incomplete") or not (
            isinstance(missing, list) and all(isinstance(item, str) for item in missing)
        ):
            raise _Refused("server.reject.bad_verdict", self.where(key))
        return {"completeness": completeness, "missing_documents": list(missing)}
