"""The roster table: who each program has registered, found by NIK, by No. KK, or by a spoken name.

Writers go through `upsert_entries`, which bumps a version in `meta`; the in-memory name index
compares that version on every search, so a new import is never searched with stale keys.
Entries hide NIK, names and account numbers from repr(), so logging one leaks nothing.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlite_utils
from rapidfuzz import process

from kiosk.domain.findings import Finding
from kiosk.domain.identity import mask_nik
from kiosk.domain.names import NAME_SEARCH_CUTOFF, compare_names, name_key, name_scorer

ROSTER_VERSION_KEY = "roster_version"
_COLUMNS = (
    "program",
    "nik",
    "kk",
    "name",
    "name_key",
    "birth_date",
    "region_code",
    "bank",
    "account",
    "extra",
    "source",
    "source_line",
    "imported_at",
)
_UPSERT = (
    f"INSERT INTO roster ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)}) "
    "ON CONFLICT(program, nik) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in _COLUMNS[2:])
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM roster"
# Verdicts first, then the name comparison's score: a "match" always outranks a "review".
_VERDICT_RANK = {"match": 0, "review": 1, "no_match": 2}


@dataclass(frozen=True)
class RosterEntry:
    """One registered person in one program, as stored (text, leading zeros kept)."""

    program: str
    nik: str = field(repr=False)
    name: str = field(repr=False)
    name_key: str = field(repr=False)
    kk: str | None = field(default=None, repr=False)
    birth_date: str | None = None
    region_code: str | None = None
    bank: str | None = None
    account: str | None = field(default=None, repr=False)
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)
    source: str | None = None
    source_line: int | None = None
    imported_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; `nik_masked` is what a screen the public can see may show."""
        return {
            "program": self.program,
            "nik": self.nik,
            "nik_masked": mask_nik(self.nik),
            "kk": self.kk,
            "name": self.name,
            "birth_date": self.birth_date,
            "region_code": self.region_code,
            "bank": self.bank,
            "account": self.account,
            "extra": dict(self.extra),
            "source": self.source,
            "source_line": self.source_line,
            "imported_at": self.imported_at,
        }


@dataclass(frozen=True)
class RosterMatch:
    """A roster entry found by name, with the name comparison's verdict and reasons."""

    entry: RosterEntry
    verdict: str
    score: float
    search_score: float
    reasons: tuple[Finding, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry": self.entry.to_dict(),
            "verdict": self.verdict,
            "score": self.score,
            "search_score": self.search_score,
            "reasons": [
                {"code": r.code, "field": r.field, "params": dict(r.params)} for r in self.reasons
            ],
        }


def _entry(row: Sequence[Any]) -> RosterEntry:
    values = dict(zip(_COLUMNS, row, strict=True))
    extra = json.loads(values["extra"]) if values["extra"] else {}
    return RosterEntry(**{**values, "extra": extra})


def _row(entry: RosterEntry) -> tuple[Any, ...]:
    extra = (
        json.dumps(dict(entry.extra), ensure_ascii=False, sort_keys=True) if entry.extra else None
    )
    return tuple(extra if column == "extra" else getattr(entry, column) for column in _COLUMNS)


def roster_version(db: sqlite_utils.Database) -> int:
    """Changes whenever the roster does; 0 for a roster never written."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [ROSTER_VERSION_KEY]).fetchone()
    return int(row[0]) if row else 0


def bump_roster_version(db: sqlite_utils.Database) -> None:
    """Mark the roster as changed; call in the same transaction as the change."""
    db.execute(
        "INSERT INTO meta(key, value) VALUES (?, '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        [ROSTER_VERSION_KEY],
    )


class Upserted(NamedTuple):
    """What one `upsert_entries` call did; `repeated` pairs (line, earlier line) of one import."""

    inserted: int
    updated: int
    repeated: tuple[tuple[int, int], ...] = ()


def upsert_entries(db: sqlite_utils.Database, entries: Sequence[RosterEntry]) -> Upserted:
    """Insert or update `entries` in one transaction.

    Nothing of the batch is written if anything fails. A NIK repeated within one import (same
    source and import time) counts as an update of its first occurrence, exactly as a later import
    would, and is listed in `repeated` so the person importing can check the file.
    """
    if not entries:
        return Upserted(0, 0)
    inserted = updated = 0
    repeated: list[tuple[int, int]] = []
    with db.atomic():
        # (program, nik) -> (source, line, imported_at) of the row already there.
        existing: dict[tuple[str, str], tuple[str | None, int | None, str]] = {}
        by_program: dict[str, list[str]] = {}
        for entry in entries:
            by_program.setdefault(entry.program, []).append(entry.nik)
        for program, niks in by_program.items():
            found = db.execute(
                "SELECT nik, source, source_line, imported_at FROM roster"
                " WHERE program = ? AND nik IN (SELECT value FROM json_each(?))",
                [program, json.dumps(niks)],
            )
            existing.update(((program, nik), (src, line, at)) for nik, src, line, at in found)
        for entry in entries:
            key = (entry.program, entry.nik)
            before = existing.get(key)
            if before is None:
                inserted += 1
            else:
                updated += 1
                source, line, imported_at = before
                # Same file, same import time, another line: the file names this NIK twice (the
                # same line again is the same file imported twice within one second).
                same_import = source == entry.source and imported_at == entry.imported_at
                here = entry.source_line
                if same_import and here is not None and line is not None and line != here:
                    repeated.append((here, line))
            existing[key] = (entry.source, entry.source_line, entry.imported_at)
        db.conn.executemany(_UPSERT, [_row(entry) for entry in entries])
        bump_roster_version(db)
    return Upserted(inserted, updated, tuple(repeated))


def find_by_nik(
    db: sqlite_utils.Database, nik: str, program: str | None = None
) -> list[RosterEntry]:
    """Every program's entry for `nik` (16 digits), or only `program`'s."""
    if program is None:
        rows = db.execute(f"{_SELECT} WHERE nik = ? ORDER BY program", [nik])
    else:
        rows = db.execute(f"{_SELECT} WHERE program = ? AND nik = ?", [program, nik])
    return [_entry(row) for row in rows]


def find_by_kk(db: sqlite_utils.Database, kk: str, program: str | None = None) -> list[RosterEntry]:
    """Everyone registered on the family card `kk` (16 digits)."""
    if program is None:
        rows = db.execute(f"{_SELECT} WHERE kk = ? ORDER BY program, nik", [kk])
    else:
        rows = db.execute(f"{_SELECT} WHERE kk = ? AND program = ? ORDER BY nik", [kk, program])
    return [_entry(row) for row in rows]


def count_entries(db: sqlite_utils.Database, program: str | None = None) -> int:
    if program is None:
        return int(db.execute("SELECT count(*) FROM roster").fetchone()[0])
    return int(db.execute("SELECT count(*) FROM roster WHERE program = ?", [program]).fetchone()[0])


@dataclass
class _NameIndex:
    """Distinct name keys of one roster slice, each with the (program, nik, name) it stands for."""

    version: int
    keys: list[str]
    people: list[list[tuple[str, str, str]]]


# One index per open database and program (None = all programs). Weak keys: closing and
# dropping a database frees its index.
_indexes: weakref.WeakKeyDictionary[sqlite_utils.Database, dict[str | None, _NameIndex]] = (
    weakref.WeakKeyDictionary()
)
_indexes_lock = threading.Lock()


def _build_index(db: sqlite_utils.Database, program: str | None, version: int) -> _NameIndex:
    if program is None:
        rows = db.execute("SELECT name_key, program, nik, name FROM roster")
    else:
        rows = db.execute(
            "SELECT name_key, program, nik, name FROM roster WHERE program = ?", [program]
        )
    positions: dict[str, int] = {}
    keys: list[str] = []
    people: list[list[tuple[str, str, str]]] = []
    for key, entry_program, nik, name in rows:
        position = positions.get(key)
        if position is None:
            position = positions[key] = len(keys)
            keys.append(key)
            people.append([])
        people[position].append((entry_program, nik, name))
    return _NameIndex(version, keys, people)


def name_index(db: sqlite_utils.Database, program: str | None = None) -> _NameIndex:
    """The current name index for `program`, rebuilt only when the roster version moved."""
    version = roster_version(db)
    with _indexes_lock:
        per_db = _indexes.setdefault(db, {})
        index = per_db.get(program)
        if index is None or index.version != version:
            index = per_db[program] = _build_index(db, program, version)
    return index


def search_by_name(
    db: sqlite_utils.Database, query: str, program: str | None = None, limit: int = 10
) -> list[RosterMatch]:
    """Roster entries whose names may be `query`, best first, each with a verdict and reasons."""
    wanted = name_key(query)
    if not wanted or limit < 1:
        return []
    index = name_index(db, program)
    # Shortlist by key with rapidfuzz's C++ scorer, then judge each shortlisted person with the
    # full name comparison, which explains itself but is too slow to run on every key.
    shortlist = process.extract(
        wanted,
        index.keys,
        scorer=name_scorer,
        limit=max(limit * 5, 50),
        score_cutoff=NAME_SEARCH_CUTOFF,
    )
    judged: list[tuple[tuple[int, float, float], str, str, Any, float]] = []
    for _key, search_score, position in shortlist:
        for entry_program, nik, name in index.people[position]:
            verdict = compare_names(query, name)
            rank = (_VERDICT_RANK.get(verdict.verdict.value, 3), -verdict.score, -search_score)
            judged.append((rank, entry_program, nik, verdict, search_score))
    judged.sort(key=lambda item: item[0])
    matches: list[RosterMatch] = []
    for _rank, entry_program, nik, verdict, search_score in judged:
        found = find_by_nik(db, nik, entry_program)
        if not found:  # removed since the index was built without a version bump
            continue
        matches.append(
            RosterMatch(
                entry=found[0],
                verdict=verdict.verdict.value,
                score=verdict.score,
                search_score=float(search_score),
                reasons=verdict.reasons,
            )
        )
        if len(matches) == limit:
            break
    return matches
