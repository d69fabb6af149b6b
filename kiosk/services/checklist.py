"""The document check at the counter: which papers a person still needs for a stage, and why.

Answers arrive as text (`--fact level=sma`, a form field, JSON); this is where they become typed
facts, so that every caller gets the same clear message for a mistyped answer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.domain.requirements import (
    Checklist,
    FactKind,
    FactValue,
    ProgramRules,
    evaluate,
)
from kiosk.errors import InputError
from kiosk.settings import resolve_data_dir
from kiosk.store.rules import (
    install_rule_file,
    is_override,
    load_program,
    load_programs,
    read_rule_file,
)

# Both languages' words, because the same kiosk serves officers typing either.
_YES = frozenset({"true", "ya", "y", "yes", "1", "benar", "iya"})
_NO = frozenset({"false", "tidak", "n", "no", "0", "bukan", "tdk", "enggak", "gak"})
BOOLEAN_ANSWERS = "ya, tidak, yes, no"


@dataclass(frozen=True)
class ProgramSummary:
    """One program's rules in force on this device, for listing."""

    rules: ProgramRules
    overridden: bool  # from <data_dir>/programs rather than from the release

    def to_dict(self) -> dict[str, Any]:
        return {
            "program": self.rules.program,
            "name": dict(self.rules.name),
            "version": self.rules.version,
            "stages": [
                {"number": s.number, "title": dict(s.title), "period": dict(s.period)}
                for s in self.rules.stages
            ],
            "source": self.rules.source,
            "overridden": self.overridden,
        }


def _data_dir(data_dir: str | Path | None) -> Path:
    return resolve_data_dir(data_dir)


def program_rules(program: str, data_dir: str | Path | None = None) -> ProgramRules:
    return load_program(program, _data_dir(data_dir))


def list_programs(data_dir: str | Path | None = None) -> tuple[ProgramSummary, ...]:
    folder = _data_dir(data_dir)
    return tuple(
        ProgramSummary(rules, is_override(rules, folder)) for rules in load_programs(folder)
    )


def validate_rule_file(path: str | Path) -> ProgramRules:
    """Parse a rule file without installing it; RuleFileError says file:line and why."""
    return read_rule_file(Path(path))


def install_rules(path: str | Path, data_dir: str | Path | None = None) -> ProgramRules:
    return install_rule_file(Path(path), _data_dir(data_dir))


def parse_fact_assignments(assignments: Iterable[str]) -> dict[str, str]:
    """["level=sma", "recipient=new"] -> {"level": "sma", "recipient": "new"}; still untyped."""
    answers: dict[str, str] = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not equals or not name or not value:
            raise InputError(
                f"{assignment!r} must be name=value, e.g. level=sma",
                code="requirements.fact_syntax",
                where="--fact",
                params={"text": assignment},
            )
        if name in answers and answers[name].lower() != value.lower():
            raise InputError(
                f"{name} answered twice",
                code="requirements.fact_twice",
                where="--fact",
                params={"fact": name},
            )
        answers[name] = value
    return answers


def parse_document_list(values: Iterable[str]) -> set[str]:
    """["kk,ktp_wali", "sptjm"] -> {"kk", "ktp_wali", "sptjm"}: commas or repeats, any case."""
    return {part.strip().lower() for value in values for part in value.split(",") if part.strip()}


def typed_facts(rules: ProgramRules, answers: Mapping[str, object]) -> dict[str, FactValue]:
    """Answers from text or JSON as the program's typed facts; unknown or invalid -> InputError."""
    facts: dict[str, FactValue] = {}
    for name, raw in answers.items():
        fact = rules.fact(name.strip().lower())
        if fact.kind is FactKind.BOOLEAN:
            facts[fact.id] = _boolean(fact.id, raw)
            continue
        value = raw.strip().lower() if isinstance(raw, str) else raw
        if not isinstance(value, str) or value not in fact.allowed:
            raise InputError(
                f"{fact.id} cannot be {raw!r}; allowed: {fact.allowed_text()}",
                code="requirements.bad_fact_value",
                where=f"facts.{fact.id}",
                params={"fact": fact.id, "value": str(raw), "allowed": fact.allowed_text()},
            )
        facts[fact.id] = value
    return facts


def _boolean(fact_id: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _YES:
        return True
    if isinstance(raw, str) and raw.strip().lower() in _NO:
        return False
    raise InputError(
        f"{fact_id} is a yes/no question, not {raw!r}",
        code="requirements.bad_fact_value",
        where=f"facts.{fact_id}",
        params={"fact": fact_id, "value": str(raw), "allowed": BOOLEAN_ANSWERS},
    )


def check_documents(
    program: str,
    stage: int,
    facts: Mapping[str, object],
    have: Collection[str],
    data_dir: str | Path | None = None,
) -> Checklist:
    """The checklist for one person: what is here, what is missing and why, what to ask first."""
    rules = program_rules(program, data_dir)
    documents = {document.strip().lower() for document in have}
    return evaluate(rules, stage, typed_facts(rules, facts), documents)
