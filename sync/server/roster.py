"""Roster publishing: an operator imports a program's beneficiaries for an area from CSV, and each
new or changed row becomes a change that devices of that area pull.

Rows are checked with the kiosk's own rules; a bad row is reported by its line (never by its
content) and the good rows are kept. A row whose entry did not change produces no change, so
publishing the same file twice sends nothing. A `removed` column (1/ya/true) withdraws a person.

CSV columns (header row; `,` `;` or tab): nik, nama|name, kode_wilayah|region_code (required);
no_kk|kk, tanggal_lahir|birth_date, bank, rekening|account, removed|hapus (optional); any other
column is kept as text under `extra`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from kiosk.banks import account_lengths
from kiosk.domain.accounts import parse_bank_account
from kiosk.domain.identity import parse_kk, parse_nik
from sync.protocol import ChangeKind
from sync.server import audit, changes
from sync.server.errors import AdminError
from sync.server.storage import Database, dumps, roster

BATCH_ROWS = 1000
MAX_PROBLEMS = 20
ALIASES: Mapping[str, tuple[str, ...]] = {
    "nik": ("nik",),
    "name": ("nama", "name", "nama_lengkap"),
    "region_code": ("kode_wilayah", "region_code"),
    "kk": ("no_kk", "kk", "nomor_kk"),
    "birth_date": ("tanggal_lahir", "birth_date"),
    "bank": ("bank", "nama_bank"),
    "account": ("rekening", "no_rekening", "account"),
    "removed": ("removed", "hapus", "dihapus"),
}
_FIELD_OF = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_TRUE = frozenset({"1", "ya", "y", "true", "yes"})
_REGION = re.compile(r"\d{2}(\d{2}(\d{2}(\d{4})?)?)?")
_HEADER_NOISE = re.compile(r"[\s\-.]+")


@dataclass(frozen=True)
class RowProblem:
    """Why one line was not published: a translation code and its params, never the row itself."""

    line: int
    column: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class RosterReport:
    program: str
    rows_read: int = 0
    published: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "program": self.program,
            "rows_read": self.rows_read,
            "published": self.published,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "problems": [
                {**vars(problem), "params": dict(problem.params)} for problem in self.problems
            ],
        }


@dataclass(frozen=True)
class _Stored:
    entry: str
    removed: bool
    area: str


class _BadRow(Exception):
    def __init__(self, where: str, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(code)
        self.where = where
        self.code = code
        self.params = dict(params or {})


def _entry(
    row: Mapping[str, str], extra: Mapping[str, str]
) -> tuple[str, str, dict[str, Any], bool]:
    """(nik, area, entry, removed) of one CSV row; _BadRow names the first problem."""
    nik = parse_nik(row.get("nik", ""))
    if not nik.valid or nik.number is None:
        raise _BadRow("nik", nik.errors[0].code, nik.errors[0].params)
    name = row.get("name", "").strip()
    if not name:
        raise _BadRow("name", "submission.required")
    area = row.get("region_code", "").replace(".", "").strip()
    if not _REGION.fullmatch(area):
        raise _BadRow("region_code", "server.admin.bad_region")
    kk = row.get("kk", "").strip() or None
    if kk is not None:
        found = parse_kk(kk)
        if not found.valid:
            raise _BadRow("kk", found.errors[0].code, found.errors[0].params)
        kk = found.number
    bank = row.get("bank", "").strip() or None
    account = row.get("account", "").strip() or None
    if account is not None:
        checked = parse_bank_account(account, bank or "", account_lengths())
        if not checked.valid:
            raise _BadRow("account", checked.errors[0].code, checked.errors[0].params)
        account = checked.number
    entry = {
        "nik": nik.number,
        "name": name,
        "kk": kk,
        "birth_date": row.get("birth_date", "").strip() or None,
        "region_code": area,
        "bank": bank,
        "account": account,
        "extra": dict(extra),
    }
    return nik.number, area, entry, row.get("removed", "").strip().lower() in _TRUE


def _rows(text: str, source: str) -> Iterator[tuple[int, dict[str, str] | None, dict[str, str]]]:
    """(line, known fields, extra columns) for every data row; (line, None, {"detail": why})
    for a line the csv module cannot read."""
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise AdminError(
            "roster_unreadable", "header", path=source, line=1, reason=str(exc)
        ) from None
    if header is None:
        raise AdminError("roster_empty", "empty file")
    keys = [_HEADER_NOISE.sub("_", column.strip().lower()).strip("_") for column in header]
    fields = [_FIELD_OF.get(key) for key in keys]
    for required in ("nik", "name", "region_code"):
        if required not in fields:
            raise AdminError("roster_column", "missing column", column=ALIASES[required][0])
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # One unreadable line (a cell past the csv module's size limit) is that line's
            # problem; the reason names the limit, never the cell.
            yield reader.line_num, None, {"detail": str(exc)}
            continue
        if not any(value.strip() for value in values):
            continue
        known: dict[str, str] = {}
        extra: dict[str, str] = {}
        for key, name, value in zip(keys, fields, values, strict=False):
            if name:
                known[name] = value
            elif value.strip():
                extra[key] = value.strip()
        yield reader.line_num, known, extra


def publish_roster(database: Database, path: Path, program: str, *, now: datetime) -> RosterReport:
    """Publish every good row of `path` for `program`; returns what happened, line by line."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AdminError("file_unreadable", "cannot read", path=str(path)) from exc
    report = RosterReport(program=program)
    batch: dict[str, tuple[str, dict[str, Any], bool]] = {}
    for line, known, extra in _rows(text, str(path)):
        report.rows_read += 1
        try:
            if known is None:
                raise _BadRow("-", "roster.row_unreadable", extra)
            nik, area, entry, removed = _entry(known, extra)
        except _BadRow as bad:
            report.rejected += 1
            if len(report.problems) < MAX_PROBLEMS:
                report.problems.append(RowProblem(line, bad.where, bad.code, bad.params))
            continue
        batch[nik] = (area, entry, removed)  # a later line for the same NIK wins
        if len(batch) >= BATCH_ROWS:
            _write(database, program, batch, report, now)
            batch = {}
    _write(database, program, batch, report, now)
    return report


def _write(
    database: Database,
    program: str,
    batch: Mapping[str, tuple[str, dict[str, Any], bool]],
    report: RosterReport,
    now: datetime,
) -> None:
    if not batch:
        return
    with database.write() as connection:
        current = _current(connection, program, list(batch))
        new: list[changes.NewChange] = []
        for nik, (area, entry, removed) in batch.items():
            stored = dumps(entry)
            before = current.get(nik)
            if before is not None and (before.entry, before.removed) == (stored, removed):
                report.unchanged += 1
                continue
            if before is not None and before.area != area and not before.removed:
                # The person moved: devices of the old area must drop the row they hold.
                new.append(
                    changes.NewChange(
                        kind=ChangeKind.ROSTER,
                        data={
                            "program": program,
                            "entry": json.loads(before.entry),
                            "removed": True,
                        },
                        area=before.area,
                        supersede_key=f"roster:{program}:{nik}:{before.area}",
                    )
                )
            values = {"area": area, "entry": stored, "removed": removed, "updated_at": now}
            if nik in current:
                connection.execute(
                    roster.update()
                    .where(roster.c.program == program, roster.c.nik == nik)
                    .values(**values)
                )
            else:
                connection.execute(roster.insert().values(program=program, nik=nik, **values))
            new.append(
                changes.NewChange(
                    kind=ChangeKind.ROSTER,
                    data={"program": program, "entry": json.loads(stored), "removed": removed},
                    area=area,
                    supersede_key=f"roster:{program}:{nik}",
                )
            )
            report.published += 1
        changes.append(database, connection, new, now)
        if new:
            audit.append(connection, at=now, action="roster", outcome="published", code=program)


def _current(connection: Connection, program: str, niks: list[str]) -> dict[str, _Stored]:
    rows = connection.execute(
        select(roster.c.nik, roster.c.entry, roster.c.removed, roster.c.area).where(
            roster.c.program == program, roster.c.nik.in_(niks)
        )
    )
    return {row.nik: _Stored(row.entry, bool(row.removed), row.area) for row in rows}
