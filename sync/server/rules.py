"""Program rules on the server: the shipped files, overridden by what an operator publishes.

Publishing validates the file with the kiosk's own parser, keeps its text, and adds a change that
every device pulls. The same rules re-validate every submission that arrives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from threading import Lock

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from kiosk.assets import assets_dir
from kiosk.domain.requirements import ProgramRules, parse_rules
from sync.protocol import ChangeKind
from sync.server import audit, changes
from sync.server.storage import Database, rules

SHIPPED_FOLDER = "programs"


@dataclass(frozen=True)
class PublishedRules:
    program: str
    version: str
    sha256: str
    changed: bool  # False when the same text was already in force


@cache
def shipped_rules() -> dict[str, ProgramRules]:
    """The rule files that came with the release, parsed once."""
    folder = assets_dir() / SHIPPED_FOLDER
    found: dict[str, ProgramRules] = {}
    for path in sorted(folder.glob("*.toml")):
        parsed = parse_rules(path.read_text(encoding="utf-8-sig"), str(path), program=path.stem)
        found[parsed.program] = parsed
    return found


def _latest(connection: Connection) -> dict[str, tuple[int, str]]:
    """program -> (row id, sha256) of the newest published rule file."""
    newest = select(func.max(rules.c.id)).group_by(rules.c.program).scalar_subquery()
    rows = connection.execute(
        select(rules.c.id, rules.c.program, rules.c.sha256).where(rules.c.id.in_(newest))
    )
    return {row.program: (row.id, row.sha256) for row in rows}


class RuleBook:
    """The rules in force, read from the database once per batch and parsed once per version."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._parsed: dict[int, ProgramRules] = {}
        self._lock = Lock()

    def snapshot(self) -> RuleSet:
        with self.database.read() as connection:
            latest = _latest(connection)
            unknown = [row_id for row_id, _ in latest.values() if row_id not in self._parsed]
            texts: dict[int, str] = {}
            if unknown:
                found = connection.execute(
                    select(rules.c.id, rules.c.text).where(rules.c.id.in_(unknown))
                )
                texts = {row.id: row.text for row in found}
        with self._lock:
            for row_id, text in texts.items():
                self._parsed[row_id] = parse_rules(text, f"published:{row_id}")
            published = {program: self._parsed[row_id] for program, (row_id, _) in latest.items()}
        return RuleSet({**shipped_rules(), **published})


class RuleSet:
    """One consistent view of the rules, handed to validation."""

    def __init__(self, by_program: dict[str, ProgramRules]) -> None:
        self.by_program = by_program

    def rules_for(self, program: str) -> ProgramRules | None:
        return self.by_program.get(program)

    def programs(self) -> tuple[str, ...]:
        return tuple(sorted(self.by_program))


def publish_rules(database: Database, text: str, source: str, *, now: datetime) -> PublishedRules:
    """Validate a rule file and put it in force; RuleFileError says file:line and why."""
    parsed = parse_rules(text, source)
    sha256 = hashlib.sha256(text.encode()).hexdigest()
    with database.write() as connection:
        current = _latest(connection).get(parsed.program)
        if current is None and parsed.program in shipped_rules():
            shipped = shipped_rules()[parsed.program]
            if Path(shipped.source).read_text(encoding="utf-8-sig") == text:
                current = (0, sha256)
        if current is not None and current[1] == sha256:
            return PublishedRules(parsed.program, parsed.version, sha256, changed=False)
        connection.execute(
            rules.insert().values(
                program=parsed.program,
                version=parsed.version,
                sha256=sha256,
                text=text,
                published_at=now,
            )
        )
        changes.append(
            database,
            connection,
            [
                changes.NewChange(
                    kind=ChangeKind.RULES,
                    data={"program": parsed.program, "version": parsed.version, "text": text},
                    supersede_key=f"rules:{parsed.program}",
                )
            ],
            now,
        )
        audit.append(connection, at=now, action="rules", outcome="published", fingerprint=sha256)
    return PublishedRules(parsed.program, parsed.version, sha256, changed=True)
