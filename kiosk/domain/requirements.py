"""Which documents a program stage needs, as data an operator can change without a release.

Rules come from TOML text (one file per program); `evaluate` turns them, the person's answers and
the documents in hand into a checklist that says what is missing, why, and what is acceptable.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NoReturn

from kiosk.errors import InputError, RuleFileError

LANGUAGES = ("id", "en")  # every text a person sees exists in both; Indonesian first
Texts = Mapping[str, str]  # {"id": ..., "en": ...}
FactValue = str | bool

# --- the model ----------------------------------------------------------------------------------


class FactKind(StrEnum):
    CHOICE = "choice"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Choice:
    value: str
    label: Texts


@dataclass(frozen=True)
class Fact:
    """A question asked of the person, because some requirement depends on its answer."""

    id: str
    question: Texts
    kind: FactKind
    choices: tuple[Choice, ...] = ()

    @property
    def allowed(self) -> tuple[FactValue, ...]:
        if self.kind is FactKind.BOOLEAN:
            return (True, False)
        return tuple(choice.value for choice in self.choices)

    def allowed_text(self) -> str:
        return ", ".join(_value_text(value) for value in self.allowed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": dict(self.question),
            "kind": self.kind.value,
            "choices": [{"value": c.value, "label": dict(c.label)} for c in self.choices],
        }


@dataclass(frozen=True)
class Document:
    id: str
    title: Texts


@dataclass(frozen=True)
class Condition:
    """The requirement applies only when `fact` has one of `allowed`."""

    fact: str
    allowed: tuple[FactValue, ...]

    def holds(self, value: FactValue) -> bool:
        return value in self.allowed


@dataclass(frozen=True)
class Requirement:
    document: str
    when: tuple[Condition, ...]  # all must hold; empty means always
    why: Texts  # a sentence for the person: why this document is needed
    accept: Texts  # what counts: original or copy, legible photo, matching NIK, ...


@dataclass(frozen=True)
class Stage:
    number: int
    title: Texts
    period: Texts
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True)
class ProgramRules:
    program: str
    name: Texts
    version: str
    facts: tuple[Fact, ...]
    documents: tuple[Document, ...]
    stages: tuple[Stage, ...]
    source: str = ""

    def fact(self, fact_id: str) -> Fact:
        for fact in self.facts:
            if fact.id == fact_id:
                return fact
        known = ", ".join(fact.id for fact in self.facts)
        raise InputError(
            f"{self.program} has no question {fact_id!r}; known: {known}",
            code="requirements.unknown_fact",
            where=f"facts.{fact_id}",
            params={"program": self.program, "fact": fact_id, "allowed": known},
        )

    def document(self, document_id: str) -> Document:
        for document in self.documents:
            if document.id == document_id:
                return document
        known = ", ".join(document.id for document in self.documents)
        raise InputError(
            f"{self.program} has no document {document_id!r}; known: {known}",
            code="requirements.unknown_document",
            where="documents",
            params={"program": self.program, "document": document_id, "allowed": known},
        )

    def stage(self, number: int) -> Stage:
        for stage in self.stages:
            if stage.number == number:
                return stage
        known = ", ".join(str(stage.number) for stage in self.stages)
        raise InputError(
            f"{self.program} has no stage {number}; stages: {known}",
            code="requirements.unknown_stage",
            where="stage",
            params={"program": self.program, "stage": number, "allowed": known},
        )


# --- evaluation ---------------------------------------------------------------------------------


class ItemStatus(StrEnum):
    SATISFIED = "satisfied"
    MISSING = "missing"
    DEPENDS_ON_ANSWER = "depends_on_answer"  # needed or not, depending on unanswered questions


@dataclass(frozen=True)
class ChecklistItem:
    document: str
    title: Texts
    satisfied: bool
    why: Texts
    accept: Texts
    depends_on: tuple[str, ...] = ()  # unanswered facts that decide whether it is needed

    @property
    def status(self) -> ItemStatus:
        if self.satisfied:
            return ItemStatus.SATISFIED
        return ItemStatus.DEPENDS_ON_ANSWER if self.depends_on else ItemStatus.MISSING

    def to_dict(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "title": dict(self.title),
            "status": self.status.value,
            "satisfied": self.satisfied,
            "why": dict(self.why),
            "accept": dict(self.accept),
            "depends_on": list(self.depends_on),
        }


@dataclass(frozen=True)
class Checklist:
    """What a person must bring for one stage: complete, or exactly what is missing and why."""

    program: str
    stage: int
    items: tuple[ChecklistItem, ...]
    missing_facts: tuple[str, ...]  # fact ids still to answer, in the rule file's order
    unused_documents: tuple[Document, ...]  # brought but not needed: hand them back
    questions: tuple[Fact, ...] = field(default=())  # the missing facts, to ask them

    @property
    def missing(self) -> tuple[ChecklistItem, ...]:
        """Items certainly needed and not in hand (not those that depend on an answer)."""
        return tuple(item for item in self.items if item.status is ItemStatus.MISSING)

    @property
    def undecided(self) -> tuple[ChecklistItem, ...]:
        return tuple(item for item in self.items if item.depends_on)

    @property
    def is_complete(self) -> bool:
        return not self.missing_facts and not self.missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "program": self.program,
            "stage": self.stage,
            "complete": self.is_complete,
            "items": [item.to_dict() for item in self.items],
            "missing": [item.document for item in self.missing],
            "missing_facts": list(self.missing_facts),
            "questions": [fact.to_dict() for fact in self.questions],
            "not_needed": [
                {"document": doc.id, "title": dict(doc.title)} for doc in self.unused_documents
            ],
        }


def facts_needed(rules: ProgramRules, stage: int) -> tuple[Fact, ...]:
    """Only the facts that the stage's conditions use: the app asks nothing else."""
    used = {cond.fact for req in rules.stage(stage).requirements for cond in req.when}
    return tuple(fact for fact in rules.facts if fact.id in used)


def check_fact_values(rules: ProgramRules, facts: Mapping[str, FactValue]) -> None:
    """Refuse a fact the program does not know, or a value not among its choices."""
    for fact_id, value in facts.items():
        fact = rules.fact(fact_id)
        if isinstance(value, bool) != (fact.kind is FactKind.BOOLEAN) or value not in fact.allowed:
            raise InputError(
                f"{fact_id} cannot be {_value_text(value)!r}; allowed: {fact.allowed_text()}",
                code="requirements.bad_fact_value",
                where=f"facts.{fact_id}",
                params={
                    "fact": fact_id,
                    "value": _value_text(value),
                    "allowed": fact.allowed_text(),
                },
            )


def evaluate(
    rules: ProgramRules, stage: int, facts: Mapping[str, FactValue], have: Collection[str]
) -> Checklist:
    """Every document the stage requires for these answers: in hand or not, why, what counts."""
    chosen = rules.stage(stage)
    check_fact_values(rules, facts)
    for document_id in have:
        rules.document(document_id)

    items: list[ChecklistItem] = []
    unanswered: set[str] = set()
    for requirement in chosen.requirements:
        applies, depends_on = _applies(requirement, facts)
        if not applies:
            continue
        unanswered.update(depends_on)
        document = rules.document(requirement.document)
        items.append(
            ChecklistItem(
                document=document.id,
                title=document.title,
                satisfied=document.id in have,
                why=requirement.why,
                accept=requirement.accept,
                depends_on=depends_on,
            )
        )
    listed = {item.document for item in items}
    questions = tuple(fact for fact in rules.facts if fact.id in unanswered)
    return Checklist(
        program=rules.program,
        stage=stage,
        items=tuple(items),
        missing_facts=tuple(fact.id for fact in questions),
        unused_documents=tuple(d for d in rules.documents if d.id in have and d.id not in listed),
        questions=questions,
    )


def _applies(
    requirement: Requirement, facts: Mapping[str, FactValue]
) -> tuple[bool, tuple[str, ...]]:
    """(could apply, facts still unanswered); an answered condition that fails settles it."""
    unanswered: list[str] = []
    for condition in requirement.when:
        if condition.fact not in facts:
            unanswered.append(condition.fact)
        elif not condition.holds(facts[condition.fact]):
            return False, ()
    return True, tuple(unanswered)


def _value_text(value: FactValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- parsing ------------------------------------------------------------------------------------

# Where a value sits in the TOML document, e.g. ("requirements", 3, "when").
_TomlPath = tuple[str | int, ...]

_ID = re.compile(r"[a-z][a-z0-9_]*")  # fact and document ids: typed by officers on a CLI
_CHOICE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_PROGRAM_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_TOP_KEYS = ("program", "facts", "documents", "stages", "requirements")
_PROGRAM_KEYS = ("id", "name", "version")
_FACT_KEYS = ("question", "type", "choices")
_DOCUMENT_KEYS = ("title",)
_STAGE_KEYS = ("number", "title", "period")
_REQUIREMENT_KEYS = ("document", "stages", "when", "why", "accept")
_SYNTAX_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


MAX_NESTING = 16  # a rule file needs three or four levels of lists and inline tables


def _line_nested_past(text: str, limit: int) -> int | None:
    """The first line where inline arrays and tables open more than `limit` deep, else None.
    Brackets inside quoted text and comments do not count; table headers close on their line."""
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        quote = ""
        for char in line:
            if quote:
                quote = "" if char == quote else quote
            elif char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char in "[{":
                depth += 1
                if depth > limit:
                    return number
            elif char in "]}":
                depth = max(0, depth - 1)
    return None


def parse_rules(text: str, source: str, *, program: str | None = None) -> ProgramRules:
    """Read one program's rules; a RuleFileError says "file:line" and why, in both languages.

    `program`, when given, is the id the file must declare (a file is found by its name).
    """
    too_deep = _line_nested_past(text, MAX_NESTING)
    if too_deep is not None:
        # tomllib recurses once per level: a file nested thousands deep would overflow the stack.
        raise RuleFileError(
            f"lists or tables nested more than {MAX_NESTING} deep",
            code="rules.too_deep",
            where=f"{source}:{too_deep}",
            params={"limit": MAX_NESTING},
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _SYNTAX_POSITION.search(message)
        # Without a position tomllib says "(at end of document)": the file stopped mid-value.
        line = int(found.group(1)) if found else max(1, len(text.splitlines()))
        reason = _SYNTAX_POSITION.sub("", message)
        raise RuleFileError(
            f"TOML syntax: {reason}",
            code="rules.syntax",
            where=f"{source}:{line}",
            params={"reason": reason},
        ) from exc
    return _RuleParser(text, source).parse(data, program)


class _Locator:
    """Finds the line of a table or key in raw TOML text, which tomllib does not report."""

    _HEADER = re.compile(r"\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(?:#.*)?")
    _SEGMENT = r"(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"
    _KEY = re.compile(rf"^\s*({_SEGMENT}(?:\s*\.\s*{_SEGMENT})*)\s*=")
    _SPLIT = re.compile(_SEGMENT)

    def __init__(self, text: str) -> None:
        self.lines: dict[_TomlPath, int] = {}
        arrays: dict[_TomlPath, int] = {}  # array-of-tables path -> how many elements so far
        table: _TomlPath = ()
        in_string = False
        for number, line in enumerate(text.splitlines(), start=1):
            quotes = line.count('"""') + line.count("'''")
            if in_string:
                in_string = quotes % 2 == 0
                continue
            header = self._HEADER.fullmatch(line)
            if header and not line.lstrip().startswith("#"):
                table = self._resolve(
                    self._segments(header.group(2)), header.group(1) == "[[", arrays
                )
                for size in range(1, len(table) + 1):  # also "stages" for [[stages]]
                    self.lines.setdefault(table[:size], number)
            else:
                key = self._KEY.match(line)
                if key:
                    path = table
                    for segment in self._segments(key.group(1)):
                        path = (*path, segment)
                        self.lines.setdefault(path, number)
            in_string = quotes % 2 == 1

    def _segments(self, dotted: str) -> list[str]:
        return [segment.strip("\"'") for segment in self._SPLIT.findall(dotted)]

    @staticmethod
    def _resolve(segments: list[str], is_array: bool, arrays: dict[_TomlPath, int]) -> _TomlPath:
        path: _TomlPath = ()
        for position, segment in enumerate(segments):
            path = (*path, segment)
            last = position == len(segments) - 1
            if last and is_array:
                arrays[path] = arrays.get(path, 0) + 1
                path = (*path, arrays[path] - 1)
            elif path in arrays:
                path = (*path, arrays[path] - 1)
        return path

    def line(self, path: _TomlPath) -> int:
        for size in range(len(path), 0, -1):
            if path[:size] in self.lines:
                return self.lines[path[:size]]
        return 1


def _dotted(path: _TomlPath) -> str:
    """("requirements", 3, "when") -> "requirements[4].when": counted from 1, as officers count."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else f".{part}" if text else part
    return text


class _RuleParser:
    """Turns parsed TOML into ProgramRules, refusing anything it cannot vouch for."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.locator = _Locator(text)

    def fail(self, path: _TomlPath, kind: str, detail: str, **params: str | int) -> NoReturn:
        raise RuleFileError(
            f"{_dotted(path)}: {detail}" if path else detail,
            code=f"rules.{kind}",
            where=f"{self.source}:{self.locator.line(path)}",
            params={"path": _dotted(path), **params},
        )

    # generic shapes

    def table(self, value: object, path: _TomlPath) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, "wrong_type", "must be a table", expected="table")
        return value

    def keys(self, table: Mapping[str, Any], path: _TomlPath, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                self.fail(
                    (*path, key),
                    "unknown_key",
                    f"unknown key {key!r}; allowed: {', '.join(allowed)}",
                    key=key,
                    allowed=", ".join(allowed),
                )

    def required(self, table: Mapping[str, Any], key: str, path: _TomlPath) -> Any:
        if key not in table:
            self.fail(path, "missing_key", f"missing {key!r}", key=key)
        return table[key]

    def string(self, value: object, path: _TomlPath, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "wrong_type", "must be non-empty text", expected="text")
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(path, "bad_id", f"{value!r} is not a valid id", id=value)
        return value

    def integer(self, value: object, path: _TomlPath) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(path, "wrong_type", "must be a whole number from 1", expected="number")
        return value

    def texts(self, table: Mapping[str, Any], key: str, path: _TomlPath) -> Texts:
        where = (*path, key)
        if key not in table:
            self.fail(
                path, "missing_text", f"missing {key!r} (id and en)", key=key, language="id, en"
            )
        value = self.table(table[key], where)
        self.keys(value, where, LANGUAGES)
        for language in LANGUAGES:
            if not isinstance(value.get(language), str) or not value[language].strip():
                self.fail(
                    where,
                    "missing_text",
                    f"missing the {language!r} text",
                    key=key,
                    language=language,
                )
        return MappingProxyType({language: value[language].strip() for language in LANGUAGES})

    # the document

    def parse(self, data: dict[str, Any], expected: str | None) -> ProgramRules:
        self.keys(data, (), _TOP_KEYS)
        program = self.table(self.required(data, "program", ()), ("program",))
        self.keys(program, ("program",), _PROGRAM_KEYS)
        program_id = self.string(
            self.required(program, "id", ("program",)), ("program", "id"), _PROGRAM_ID
        )
        if expected is not None and program_id != expected:
            self.fail(
                ("program", "id"),
                "wrong_file_name",
                f"the file declares {program_id!r}, so it must be named {program_id}.toml",
                program=program_id,
                expected=f"{program_id}.toml",
            )
        version = self.required(program, "version", ("program",))
        if not isinstance(version, str | int) or isinstance(version, bool):
            self.fail(("program", "version"), "wrong_type", "must be text", expected="text")
        facts = self.facts(self.table(data.get("facts", {}), ("facts",)))
        documents = self.documents(self.table(self.required(data, "documents", ()), ("documents",)))
        stages = self.stages(self.required(data, "stages", ()))
        requirements = self.requirements(
            data.get("requirements", []), facts, {d.id for d in documents}, stages
        )
        return ProgramRules(
            program=program_id,
            name=self.texts(program, "name", ("program",)),
            version=str(version),
            facts=tuple(facts.values()),
            documents=documents,
            stages=tuple(
                Stage(number, title, period, tuple(req for req, on in requirements if number in on))
                for number, title, period in stages
            ),
            source=self.source,
        )

    def facts(self, table: Mapping[str, Any]) -> dict[str, Fact]:
        facts: dict[str, Fact] = {}
        for fact_id, raw in table.items():
            path: _TomlPath = ("facts", fact_id)
            self.string(fact_id, path, _ID)
            spec = self.table(raw, path)
            self.keys(spec, path, _FACT_KEYS)
            kind_text = spec.get("type", "choice" if "choices" in spec else None)
            if kind_text not in (FactKind.CHOICE, FactKind.BOOLEAN):
                self.fail(
                    (*path, "type"),
                    "fact_kind",
                    'type must be "boolean", or "choice" with choices',
                    fact=fact_id,
                )
            kind = FactKind(kind_text)
            choices: list[Choice] = []
            if kind is FactKind.BOOLEAN and "choices" in spec:
                self.fail((*path, "choices"), "fact_kind", "a boolean has no choices", fact=fact_id)
            if kind is FactKind.CHOICE:
                options = self.table(self.required(spec, "choices", path), (*path, "choices"))
                if not options:
                    self.fail((*path, "choices"), "missing_key", "no choices", key="choices")
                for value, label in options.items():
                    where = (*path, "choices", value)
                    self.string(value, where, _CHOICE)
                    self.table(label, where)
                    choices.append(Choice(value, self.texts(options, value, (*path, "choices"))))
            question = self.texts(spec, "question", path)
            facts[fact_id] = Fact(fact_id, question, kind, tuple(choices))
        return facts

    def documents(self, table: Mapping[str, Any]) -> tuple[Document, ...]:
        if not table:
            self.fail(("documents",), "missing_key", "no documents", key="documents")
        documents: list[Document] = []
        for document_id, raw in table.items():
            path: _TomlPath = ("documents", document_id)
            self.string(document_id, path, _ID)
            spec = self.table(raw, path)
            self.keys(spec, path, _DOCUMENT_KEYS)
            documents.append(Document(document_id, self.texts(spec, "title", path)))
        return tuple(documents)

    def stages(self, raw: object) -> list[tuple[int, Texts, Texts]]:
        if not isinstance(raw, list) or not raw:
            self.fail(("stages",), "missing_key", "no [[stages]]", key="stages")
        stages: list[tuple[int, Texts, Texts]] = []
        seen: set[int] = set()
        for index, item in enumerate(raw):
            path: _TomlPath = ("stages", index)
            spec = self.table(item, path)
            self.keys(spec, path, _STAGE_KEYS)
            number = self.integer(self.required(spec, "number", path), (*path, "number"))
            if number in seen:
                self.fail(
                    (*path, "number"), "duplicate_stage", f"stage {number} twice", stage=number
                )
            seen.add(number)
            stages.append(
                (number, self.texts(spec, "title", path), self.texts(spec, "period", path))
            )
        return stages

    def requirements(
        self,
        raw: object,
        facts: Mapping[str, Fact],
        documents: set[str],
        stages: list[tuple[int, Texts, Texts]],
    ) -> list[tuple[Requirement, tuple[int, ...]]]:
        if not isinstance(raw, list):
            self.fail(("requirements",), "wrong_type", "must be [[requirements]]", expected="list")
        numbers = tuple(number for number, _, _ in stages)
        parsed: list[tuple[Requirement, tuple[int, ...]]] = []
        for index, item in enumerate(raw):
            path: _TomlPath = ("requirements", index)
            spec = self.table(item, path)
            self.keys(spec, path, _REQUIREMENT_KEYS)
            document = self.string(self.required(spec, "document", path), (*path, "document"))
            if document not in documents:
                self.fail(
                    (*path, "document"),
                    "unknown_document",
                    f"document {document!r} is not defined under [documents]",
                    document=document,
                )
            on = self.stage_numbers(spec, path, numbers)
            for earlier, earlier_on in parsed:
                both = sorted(set(on) & set(earlier_on))
                if earlier.document == document and both:
                    self.fail(
                        (*path, "document"),
                        "duplicate_requirement",
                        f"{document!r} is already required in stage {both[0]}",
                        document=document,
                        stage=both[0],
                    )
            requirement = Requirement(
                document=document,
                when=self.conditions(spec.get("when", {}), (*path, "when"), facts),
                why=self.texts(spec, "why", path),
                accept=self.texts(spec, "accept", path),
            )
            parsed.append((requirement, on))
        return parsed

    def stage_numbers(
        self, spec: Mapping[str, Any], path: _TomlPath, numbers: tuple[int, ...]
    ) -> tuple[int, ...]:
        if "stages" not in spec:
            return numbers
        where = (*path, "stages")
        raw = spec["stages"]
        if not isinstance(raw, list) or not raw:
            self.fail(where, "wrong_type", "must be a list of stage numbers", expected="list")
        for number in raw:
            if number not in numbers or isinstance(number, bool):
                self.fail(
                    where,
                    "unknown_stage",
                    f"stage {number!r} is not defined; stages: {', '.join(map(str, numbers))}",
                    stage=str(number),
                    allowed=", ".join(map(str, numbers)),
                )
        return tuple(raw)

    def conditions(
        self, raw: object, path: _TomlPath, facts: Mapping[str, Fact]
    ) -> tuple[Condition, ...]:
        table = self.table(raw, path)
        conditions: list[Condition] = []
        for fact_id, wanted in table.items():
            where = (*path, fact_id)
            if fact_id not in facts:
                self.fail(
                    where,
                    "unknown_fact",
                    f"fact {fact_id!r} is not defined under [facts]",
                    fact=fact_id,
                )
            fact = facts[fact_id]
            values = wanted if isinstance(wanted, list) else [wanted]
            if not values:
                self.fail(
                    where,
                    "bad_value",
                    "empty list",
                    fact=fact_id,
                    value="[]",
                    allowed=fact.allowed_text(),
                )
            for value in values:
                if (
                    isinstance(value, bool) != (fact.kind is FactKind.BOOLEAN)
                    or value not in fact.allowed
                ):
                    # As written in the file: a TOML date shows as 2020-01-01, not as its repr.
                    shown = _value_text(value)
                    self.fail(
                        where,
                        "bad_value",
                        f"{shown!r} is not a value of {fact_id}; allowed: {fact.allowed_text()}",
                        fact=fact_id,
                        value=shown,
                        allowed=fact.allowed_text(),
                    )
            conditions.append(Condition(fact_id, tuple(values)))
        return tuple(conditions)
