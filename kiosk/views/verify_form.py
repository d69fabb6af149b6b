"""The verification screen's view model: who the person is, what the stage needs, what is missing.

`VerifyForm` holds every decision the screen makes and is tested without Flet. It outlives the
screen's controls (the session keeps it), so switching language or text size keeps what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.domain.identity import Role, mask_nik, parse_kk, parse_nik
from kiosk.domain.payloads import Payload, PayloadKind
from kiosk.domain.requirements import Checklist, Fact, FactKind, facts_needed
from kiosk.errors import KioskError
from kiosk.regions import default_regions
from kiosk.services.checklist import check_documents, list_programs, program_rules
from kiosk.services.counter import RosterCheck, roster_check, save_verification
from kiosk.services.submissions import APPLICANT_ROLE, SubmissionOutcome
from kiosk.views.shell import AppContext

NIK_DIGITS = 16  # a No. KK has as many
TYPED_FIELDS = ("nik", "name", "kk")
NUMBERS = (PayloadKind.NIK, PayloadKind.KK)


def find_keys(value: str, keys: str) -> int:
    """Where a burst's keys sit in a field's text, or -1. Case is ignored: the browser labels
    letter keys in capitals, and a scanner (or a test's robot) need not press Shift for them."""
    return value.casefold().find(keys.casefold()) if keys else -1


def left_to_the_field(payload: Payload) -> bool:
    """A burst that is plain text or digits but no valid NIK or No. KK may be a person's quick
    typing (or a number meant for that field): the field that received it keeps it, and its own
    check speaks. Structured codes (links, receipts, invitations, key=value) never are."""
    if payload.kind in (PayloadKind.UNRECOGNISED, PayloadKind.BINARY, PayloadKind.CARD_NUMBER):
        return True
    return payload.kind in (PayloadKind.NIK, PayloadKind.KK) and not payload.valid


@dataclass(frozen=True)
class Feedback:
    """What to show under a number field: an error (keeps the field red) or a helping sentence."""

    error: str | None = None
    info: str | None = None


@dataclass
class VerifyForm:
    """Everything the verification screen knows, and every decision it makes."""

    ctx: AppContext
    program: str | None = None
    stage: int | None = None
    nik: str = ""
    name: str = ""
    kk: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)
    photos: dict[str, bytes] = field(default_factory=dict)
    saved_number: str | None = None  # once saved, the screen shows this receipt, not a new form

    def __post_init__(self) -> None:
        programs = self.programs()
        if self.program is None and programs:
            self.program = programs[0][0]
        if self.stage is None and self.program:
            self.stage = self.stages()[0][0]

    # --- choices from the rules in force ---------------------------------------------------

    def programs(self) -> list[tuple[str, str]]:
        return [
            (item.rules.program, self.ctx.texts(item.rules.name))
            for item in list_programs(self.ctx.kiosk.data_dir)
        ]

    def _rules(self) -> Any:
        return program_rules(self.program or "", self.ctx.kiosk.data_dir)

    def stages(self) -> list[tuple[int, str]]:
        return [
            (stage.number, f"{self.ctx.texts(stage.title)} ({self.ctx.texts(stage.period)})")
            for stage in self._rules().stages
        ]

    def choose(self, program: str | None = None, stage: int | None = None) -> None:
        """A new program or stage: answers and documents of the old one no longer apply."""
        if program and program != self.program:
            self.program = program
            self.stage = self.stages()[0][0]
        elif stage is not None:
            self.stage = stage
        known = {fact.id for fact in self.questions()}
        self.answers = {k: v for k, v in self.answers.items() if k in known}
        documents = {doc_id for doc_id, _ in self.documents()}
        self.held &= documents
        self.photos = {k: v for k, v in self.photos.items() if k in documents}

    def questions(self) -> tuple[Fact, ...]:
        """Only the questions this stage's rules depend on."""
        return facts_needed(self._rules(), self.stage or 0)

    def answer_options(self, fact: Fact) -> list[tuple[str, str]]:
        if fact.kind is FactKind.BOOLEAN:
            return [("true", self.ctx.t("verify.yes")), ("false", self.ctx.t("verify.no"))]
        return [(choice.value, self.ctx.texts(choice.label)) for choice in fact.choices]

    def documents(self) -> list[tuple[str, str]]:
        """The stage's documents (id, title), each once, in the rule file's order."""
        rules = self._rules()
        wanted = dict.fromkeys(req.document for req in rules.stage(self.stage or 0).requirements)
        return [(doc, self.ctx.texts(rules.document(doc).title)) for doc in wanted]

    # --- live validation -------------------------------------------------------------------

    def role(self) -> Role:
        return APPLICANT_ROLE.get(self.program or "", Role.ANY)

    def clear(self) -> None:
        """A new verification: nothing of the last person stays on screen."""
        self.nik = self.name = self.kk = ""
        self.answers, self.held, self.photos = {}, set(), {}
        self.saved_number = None

    def nik_feedback(self, *, final: bool = False) -> Feedback:
        """Live: while fewer than 16 digits are typed, count them instead of calling it wrong.

        `final` (checking or saving) reports a short NIK as the error it is.
        """
        typed = self.nik.strip()
        if not typed:
            return Feedback()
        result = parse_nik(typed, default_regions(), role=self.role())
        if not result.valid:
            first = result.errors[0]
            digits = int(first.params.get("digits", 0))
            if first.code == "nik.wrong_length" and digits < NIK_DIGITS and not final:
                return Feedback(info=self.ctx.t("verify.nik_partial", count=digits))
            return Feedback(error=self.ctx.t(first.code, **first.params))
        gender = self.ctx.t(
            "verify.gender_female" if result.gender == "P" else "verify.gender_male"
        )
        region = result.region
        place = (region.district or region.regency or region.province or "") if region else ""
        info = [
            self.ctx.t(
                "verify.nik_ok",
                gender=gender,
                birth_date=result.birth_date.isoformat() if result.birth_date else "?",
                region=place,
            )
        ]
        info += [self.ctx.t(w.code, **w.params) for w in result.warnings]
        return Feedback(info=" ".join(info))

    def kk_feedback(self, *, final: bool = False) -> Feedback:
        """Like nik_feedback: a No. KK still being typed is counted, not called wrong."""
        typed = self.kk.strip()
        if not typed:
            return Feedback()
        result = parse_kk(typed, default_regions())
        if not result.valid:
            first = result.errors[0]
            digits = int(first.params.get("digits", 0))
            if first.code == "kk.wrong_length" and digits < NIK_DIGITS and not final:
                return Feedback(info=self.ctx.t("verify.kk_partial", count=digits))
            return Feedback(error=self.ctx.t(first.code, **first.params))
        warnings = [self.ctx.t(w.code, **w.params) for w in result.warnings]
        return Feedback(info=" ".join([self.ctx.t("verify.kk_ok"), *warnings]))

    def apply_scan(self, payloads: list[Payload]) -> Feedback:
        """Fill the NIK or No. KK a scanned code carries; otherwise say what the code is and why
        it fills nothing (a KK's Dukcapil QR, a receipt, an unknown code)."""
        if not payloads:
            return Feedback(error=self.ctx.t("verify.scan_no_code"))
        filled: list[str] = []
        told: list[str] = []
        for payload in payloads:
            if payload.valid and payload.kind is PayloadKind.NIK:
                self.nik = payload.fields["nik"]
                filled.append(self.ctx.t("verify.nik"))
            elif payload.valid and payload.kind is PayloadKind.KK:
                self.kk = payload.fields["kk"]
                filled.append(self.ctx.t("verify.kk"))
            else:
                kind = self.ctx.t(f"payload.kind.{payload.kind.value}")
                reasons = [self.ctx.t(f.code, **f.params) for f in payload.findings]
                told.append(" ".join([f"{kind}:", *reasons]))
        if filled:
            told.insert(0, self.ctx.t("verify.scan_filled", fields=", ".join(filled)))
            return Feedback(info=" ".join(told))
        return Feedback(error=" ".join(told))

    def apply_handheld(self, keys: str, payload: Payload) -> Feedback | None:
        """A handheld scanner's read, routed like a photo's; None when there is nothing to say.

        Its `keys` also went into the focused field, if any: they are taken out again unless the
        read is left to that field (see left_to_the_field; a NIK or No. KK in either number field
        stays there), so a receipt or a Dukcapil link never stays in the NIK field, and a NIK
        scanned into the name field moves to its own.
        """
        for name in TYPED_FIELDS:
            value = getattr(self, name)
            where = find_keys(value, keys)
            if where < 0:
                continue
            if left_to_the_field(payload) or (name != "name" and payload.kind in NUMBERS):
                # A number in a number field stays: a NIK and a No. KK look alike, and the
                # field the officer chose says which it is.
                return None
            setattr(self, name, value[:where] + value[where + len(keys) :])
            break
        return self.apply_scan([payload])

    def nik_is_valid(self) -> bool:
        return bool(self.nik.strip()) and self.nik_feedback(final=True).error is None

    def roster(self) -> RosterCheck | None:
        if not self.nik_is_valid():
            return None
        return roster_check(self.ctx.kiosk, self.nik, self.name, self.program)

    def roster_lines(self) -> list[str]:
        """The roster match and the name comparison's explanation; the NIK shown masked."""
        if not self.nik_is_valid():
            return []
        try:
            found = self.roster()
        except KioskError as exc:
            return [self.ctx.error_text(exc)]
        if found is None:
            return [self.ctx.t("verify.roster_not_found")]
        lines = [
            self.ctx.t(
                "verify.roster_found",
                program=dict(self.programs()).get(found.entry.program, found.entry.program),
                name=found.entry.name,
                nik=mask_nik(found.entry.nik),
            )
        ]
        if found.name_match is not None:
            verdict = self.ctx.t(f"name.verdict.{found.name_match.verdict.value}")
            lines.append(self.ctx.t("verify.name_verdict", verdict=verdict))
            lines += [self.ctx.t(r.code, **r.params) for r in found.name_match.reasons]
        return lines

    # --- the result --------------------------------------------------------------------------

    def checklist(self) -> Checklist:
        return check_documents(
            self.program or "",
            self.stage or 0,
            self.answers,
            self.held,
            data_dir=self.ctx.kiosk.data_dir,
        )

    def result_lines(self) -> tuple[bool, list[str]]:
        """(complete, sentences): complete, or exactly what is missing and why."""
        checklist = self.checklist()
        lines: list[str] = []
        if checklist.missing_facts:
            questions = [self.ctx.texts(fact.question) for fact in checklist.questions]
            lines.append(self.ctx.t("verify.answer_first", questions="; ".join(questions)))
        if checklist.is_complete:
            lines.insert(0, self.ctx.t("verify.complete"))
        else:
            lines.append(self.ctx.t("verify.incomplete"))
            for item in checklist.missing:
                lines.append(
                    self.ctx.t(
                        "verify.missing_item",
                        document=self.ctx.texts(item.title),
                        why=self.ctx.texts(item.why),
                    )
                )
        if checklist.unused_documents:
            titles = ", ".join(self.ctx.texts(doc.title) for doc in checklist.unused_documents)
            lines.append(self.ctx.t("verify.not_needed", documents=titles))
        return checklist.is_complete, lines

    def request(self) -> dict[str, Any]:
        """The submission JSON (README "Submission JSON") for what is on screen."""
        kinds = {fact.id: fact.kind for fact in self.questions()}
        facts: dict[str, Any] = {
            key: (value == "true") if kinds.get(key) is FactKind.BOOLEAN else value
            for key, value in self.answers.items()
        }
        applicant: dict[str, Any] = {"nik": self.nik, "name": self.name}
        if self.kk.strip():
            applicant["kk"] = self.kk
        return {
            "program": self.program,
            "stage": self.stage,
            "applicant": applicant,
            "facts": facts,
            "documents": [{"type": doc} for doc, _ in self.documents() if doc in self.held],
        }

    def blocking_problem(self) -> str | None:
        """Why saving must wait (a field marked wrong, a question unanswered), or None."""
        if self.nik_feedback(final=True).error or not self.nik.strip():
            return self.ctx.t("verify.fix_first")
        if self.kk_feedback(final=True).error:
            return self.ctx.t("verify.fix_first")
        if self.checklist().missing_facts:
            return self.ctx.t("verify.fix_first")
        return None

    def save(self) -> SubmissionOutcome:
        outcome = save_verification(self.ctx.kiosk, self.request(), self.photos)
        self.saved_number = str(outcome.submission.register_number)
        return outcome
