"""Use cases on the roster: import a program's beneficiary list from CSV, and look people up.

Import streams the file (a province's list has millions of rows), checks every row with the same
rules as the kiosk screens, keeps the good rows, and reports each bad one by its line number.

CSV columns (header row required; names in Indonesian or English, any case, spaces or
underscores; `;`, `,` or tab as separator):

    nik                             required   NIK, 16 digits
    nama | name | nama_lengkap      required   full name as registered
    no_kk | kk | nomor_kk           optional   family card number
    tanggal_lahir | birth_date      optional   YYYY-MM-DD or DD-MM-YYYY (also with / or .)
    bank | nama_bank                optional   bank name, alias or BI code (assets/banks.toml)
    rekening | no_rekening | account optional  account number; checked against the bank's length
    kode_wilayah | region_code      optional   Kemendagri code, dotted or not

Other columns are kept, as text, in the entry's `extra`.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import itertools
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import sqlite_utils

from kiosk.domain.accounts import parse_bank_account
from kiosk.domain.identity import RegionLookup, Role, clean_digits, parse_kk, parse_nik
from kiosk.domain.names import name_key
from kiosk.errors import InputError
from kiosk.store import roster as store
from kiosk.store.roster import RosterEntry as RosterEntry  # re-exported for the CLI and views
from kiosk.store.roster import RosterMatch as RosterMatch

PROGRAMS = ("kjp-plus", "pkh")
BATCH_SIZE = 5_000
MAX_PROBLEMS = 50

# Canonical field -> header spellings (after lower-casing and turning spaces/dashes into _).
HEADER_ALIASES: Mapping[str, tuple[str, ...]] = {
    "nik": ("nik", "no_nik", "nomor_nik", "nik_penerima"),
    "name": ("nama", "name", "nama_lengkap", "full_name", "nama_penerima"),
    "kk": ("no_kk", "kk", "nomor_kk", "nkk", "no_kartu_keluarga", "family_card"),
    "birth_date": ("tanggal_lahir", "tgl_lahir", "birth_date", "date_of_birth", "dob"),
    "bank": ("bank", "nama_bank", "bank_name"),
    "account": ("rekening", "no_rekening", "nomor_rekening", "no_rek", "account", "account_number"),
    "region_code": ("kode_wilayah", "region_code", "kode_kelurahan", "kode_desa"),
}
REQUIRED_FIELDS = ("nik", "name")
_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_HEADER_NOISE = re.compile(r"[\s\-.]+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_REGION_CODE = re.compile(r"\d{2}(\.?\d{2}(\.?\d{2}(\.?\d{4})?)?)?")
_SNIFF_BYTES = 4096


@dataclass(frozen=True)
class RowProblem:
    """Why one line of the file was not imported; `code` and `params` are a translation."""

    line: int
    field: str
    code: str
    params: Mapping[str, str | int] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "field": self.field,
            "code": self.code,
            "params": dict(self.params),
        }


@dataclass(frozen=True)
class ImportReport:
    """What an import did; `problems` lists the first few rejected lines, `rejected` counts all."""

    file: str
    program: str
    columns: tuple[str, ...]
    rows_read: int
    imported: int
    updated: int
    rejected: int
    problems: tuple[RowProblem, ...]
    seconds: float
    # Lines whose NIK an earlier line of the same file already had: kept (the later row wins),
    # but worth a look, since two rows for one person usually means a mistake in the register.
    repeated: int = 0
    repeats: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "program": self.program,
            "columns": list(self.columns),
            "rows_read": self.rows_read,
            "imported": self.imported,
            "updated": self.updated,
            "rejected": self.rejected,
            "problems": [problem.to_dict() for problem in self.problems],
            "problems_shown": len(self.problems),
            "repeated": self.repeated,
            "repeats": [{"line": line, "first_line": first} for line, first in self.repeats],
            "seconds": round(self.seconds, 3),
        }


class _Rejected(Exception):
    """A row that cannot be kept; carries the first reason (never the row's content)."""

    def __init__(self, field: str, code: str, params: Mapping[str, str | int] | None = None):
        super().__init__(code)
        self.field = field
        self.code = code
        self.params = dict(params or {})


def check_program(program: str) -> str:
    if program not in PROGRAMS:
        raise InputError(
            f"unknown program {program!r}",
            where="program",
            code="roster.unknown_program",
            params={"program": program, "known": ", ".join(PROGRAMS)},
        )
    return program


def _header_key(raw: str) -> str:
    return _HEADER_NOISE.sub("_", raw.strip().lower()).strip("_")


def _parse_birth_date(text: str) -> str:
    """ISO text for a birth date written YYYY-MM-DD or the Indonesian DD-MM-YYYY."""
    iso = _ISO_DATE.fullmatch(text)
    dmy = _DMY_DATE.fullmatch(text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3])).isoformat()
        if dmy:
            return date(int(dmy[3]), int(dmy[2]), int(dmy[1])).isoformat()
    except ValueError:
        pass
    raise _Rejected("birth_date", "roster.birth_date_invalid")


class _FileReader:
    """Decodes the file line by line, so one bad byte costs one row, not the whole import."""

    def __init__(self, handle: BinaryIO, where: str) -> None:
        self.handle = handle
        self.where = where
        self.undecodable: set[int] = set()
        self.lines_read = 0

    def lines(self) -> Iterator[str]:
        for number, raw in enumerate(self.handle, start=1):
            self.lines_read = number
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                if number == 1:
                    raise InputError(
                        "the file is not UTF-8 text",
                        where=f"{self.where}:1",
                        code="roster.not_utf8",
                        params={"file": self.where, "line": 1},
                    ) from None
                self.undecodable.add(number)
                yield raw.decode("utf-8", errors="replace")


def _refuse_non_csv(head: bytes, where: str) -> None:
    """Name the usual wrong files (a workbook, UTF-16 text, a binary) before reading any row."""
    if not head.strip().lstrip(codecs.BOM_UTF8).strip():
        raise InputError(
            "the file is empty", where=where, code="roster.empty_file", params={"file": where}
        )
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            "this is a spreadsheet workbook, not CSV",
            where=where,
            code="roster.workbook",
            params={"file": where},
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(
            "the file is UTF-16 text", where=where, code="roster.utf16", params={"file": where}
        )
    if b"\x00" in head:
        raise InputError(
            "the file is not text", where=where, code="roster.not_text", params={"file": where}
        )


def _delimiter(header_line: str) -> str:
    """`;` is what Excel writes in an Indonesian locale (the comma is the decimal mark)."""
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _map_header(header: list[str], where: str) -> dict[int, str]:
    """Column position -> field (or `extra:<name>`); refuses missing or doubled columns."""
    canonical_of = {
        position: _ALIAS_TO_FIELD.get(key, f"extra:{key}")
        for position, raw in enumerate(header)
        if (key := _header_key(raw))
    }
    known = [field for field in canonical_of.values() if not field.startswith("extra:")]
    missing = [name for name in REQUIRED_FIELDS if name not in known]
    if missing:
        # A file without a header row has a beneficiary in its first line: name only the
        # columns recognised, never the cells themselves.
        found = ", ".join(dict.fromkeys(known)) or "-"
        raise InputError(
            f"missing column(s) {', '.join(missing)}; recognised: {found}",
            where=f"{where}:1",
            code="roster.missing_columns",
            params={"missing": ", ".join(missing), "found": found},
        )
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    for position, canonical in canonical_of.items():
        raw = header[position].strip()
        if canonical in seen:
            raise InputError(
                f"two columns mean the same field: {seen[canonical]!r} and {raw!r}",
                where=f"{where}:1",
                code="roster.duplicate_column",
                params={"first": seen[canonical], "second": raw},
            )
        seen[canonical] = raw
        mapping[position] = canonical
    return mapping


class _RowChecker:
    """Turns one CSV record into a RosterEntry, or raises _Rejected with the first reason."""

    def __init__(
        self,
        program: str,
        source: str,
        regions: RegionLookup | None,
        today: date,
        imported_at: str,
        bank_lengths: Mapping[str, tuple[int, ...] | None],
    ) -> None:
        self.program = program
        self.source = source
        self.regions = regions
        self.today = today
        self.imported_at = imported_at
        self.bank_lengths = bank_lengths

    def entry(self, values: dict[str, str], extra: dict[str, str], line: int) -> RosterEntry:
        nik = parse_nik(values.get("nik", ""), self.regions, role=Role.ANY, today=self.today)
        if not nik.valid:
            first = nik.errors[0]
            raise _Rejected("nik", first.code, first.params)
        assert nik.number is not None
        name = " ".join(values.get("name", "").split())
        key = name_key(name)
        if not key:
            raise _Rejected("name", "roster.name_missing")
        kk_number = None
        if values.get("kk", "").strip():
            kk = parse_kk(values["kk"], self.regions, today=self.today)
            if not kk.valid:
                first = kk.errors[0]
                raise _Rejected("kk", first.code, first.params)
            kk_number = kk.number
        birth = values.get("birth_date", "").strip()
        bank = values.get("bank", "").strip() or None
        account_number = None
        if values.get("account", "").strip():
            account = parse_bank_account(values["account"], bank or "", self.bank_lengths)
            if not account.valid:
                first = account.errors[0]
                raise _Rejected("account", first.code, first.params)
            account_number = account.number
        region = values.get("region_code", "").strip()
        if region and not _REGION_CODE.fullmatch(region):
            raise _Rejected("region_code", "roster.region_code_invalid")
        return RosterEntry(
            program=self.program,
            nik=nik.number,
            name=name,
            name_key=key,
            kk=kk_number,
            birth_date=_parse_birth_date(birth) if birth else None,
            region_code=clean_digits(region) or None,
            bank=bank,
            account=account_number,
            extra=extra,
            source=self.source,
            source_line=line,
            imported_at=self.imported_at,
        )


def import_roster(
    db: sqlite_utils.Database,
    csv_path: str | Path,
    program: str,
    *,
    regions: RegionLookup | None,
    now: datetime,
    bank_lengths: Mapping[str, tuple[int, ...] | None] | None = None,
    batch_size: int = BATCH_SIZE,
    max_problems: int = MAX_PROBLEMS,
) -> ImportReport:
    """Import `csv_path` into `program`'s roster; bad rows are skipped and reported by line.

    Each batch is one transaction, so a crash or power cut leaves whole batches only. Raises
    InputError (naming the file and line) when the file cannot be read as CSV at all.
    """
    started = time.perf_counter()
    check_program(program)
    path = Path(csv_path)
    where = path.name
    if bank_lengths is None:
        from kiosk.banks import account_lengths  # read the asset only when an import runs

        bank_lengths = account_lengths()
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(
            f"cannot open the file: {exc.strerror}",
            where=where,
            code="roster.cannot_open",
            params={"file": where, "detail": exc.strerror or type(exc).__name__},
        ) from exc
    with handle:
        _refuse_non_csv(handle.read(_SNIFF_BYTES), where)
        handle.seek(0)
        reader = _FileReader(handle, where)
        lines = reader.lines()
        first = next(lines)
        delimiter = _delimiter(first)
        records = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
        try:
            header = next(records)
        except csv.Error as exc:
            # The csv module's reason names the problem (a field past its size limit), not data.
            raise InputError(
                f"the header row cannot be read as CSV: {exc}",
                where=f"{where}:1",
                code="roster.header_unreadable",
                params={"file": where, "line": 1, "detail": str(exc)},
            ) from None
        mapping = _map_header(header, where)
        checker = _RowChecker(
            program,
            where,
            regions,
            now.date(),
            now.isoformat(timespec="seconds"),
            bank_lengths,
        )
        counts = {"read": 0, "inserted": 0, "updated": 0, "rejected": 0, "repeated": 0}
        problems: list[RowProblem] = []
        repeats: list[tuple[int, int]] = []
        batch: list[RosterEntry] = []

        def reject(line: int, field_name: str, code: str, params: Mapping[str, str | int]) -> None:
            counts["rejected"] += 1
            if len(problems) < max_problems:
                problems.append(RowProblem(line, field_name, code, dict(params)))

        def flush() -> None:
            done = store.upsert_entries(db, batch)
            counts["inserted"] += done.inserted
            counts["updated"] += done.updated
            counts["repeated"] += len(done.repeated)
            repeats.extend(done.repeated[: max(0, max_problems - len(repeats))])
            batch.clear()

        last_line = records.line_num
        while True:
            try:
                record = next(records)
            except StopIteration:
                break
            except csv.Error as exc:
                line = records.line_num
                last_line = line
                counts["read"] += 1
                reject(line, "", "roster.row_unreadable", {"detail": str(exc)})
                continue
            line, end = last_line + 1, records.line_num
            last_line = end
            if not any(value.strip() for value in record):
                continue  # blank lines and rows of empty cells, as spreadsheets leave at the end
            counts["read"] += 1
            if any(number in reader.undecodable for number in range(line, end + 1)):
                reject(line, "", "roster.row_not_utf8", {"line": line})
                continue
            if len(record) != len(header):
                reject(
                    line,
                    "",
                    "roster.row_field_count",
                    {"expected": len(header), "found": len(record)},
                )
                continue
            values: dict[str, str] = {}
            extra: dict[str, str] = {}
            for position, canonical in mapping.items():
                value = record[position]
                if canonical.startswith("extra:"):
                    if value.strip():
                        extra[canonical[len("extra:") :]] = value.strip()
                else:
                    values[canonical] = value
            try:
                batch.append(checker.entry(values, extra, line))
            except _Rejected as rejected:
                reject(line, rejected.field, rejected.code, rejected.params)
                continue
            if len(batch) >= batch_size:
                flush()
        flush()
    return ImportReport(
        file=where,
        program=program,
        columns=tuple(column.strip() for column in header),
        rows_read=counts["read"],
        imported=counts["inserted"],
        updated=counts["updated"],
        rejected=counts["rejected"],
        problems=tuple(problems),
        repeated=counts["repeated"],
        repeats=tuple(repeats),
        seconds=time.perf_counter() - started,
    )


def find_by_nik(
    db: sqlite_utils.Database, nik: str, program: str | None = None
) -> list[RosterEntry]:
    """Entries for a typed NIK; a NIK that is not well-formed raises InputError with the reason."""
    result = parse_nik(nik)
    if not result.valid:
        first = result.errors[0]
        raise InputError(first.code, where="nik", code=first.code, params=dict(first.params))
    assert result.number is not None
    return store.find_by_nik(db, result.number, check_program(program) if program else None)


def find_by_kk(db: sqlite_utils.Database, kk: str, program: str | None = None) -> list[RosterEntry]:
    """Entries on a typed family card number; a malformed number raises InputError."""
    result = parse_kk(kk)
    if not result.valid:
        first = result.errors[0]
        raise InputError(first.code, where="kk", code=first.code, params=dict(first.params))
    assert result.number is not None
    return store.find_by_kk(db, result.number, check_program(program) if program else None)


def search_by_name(
    db: sqlite_utils.Database, query: str, program: str | None = None, limit: int = 10
) -> list[RosterMatch]:
    """Roster entries whose name may be `query`, best first, with the verdict and reasons."""
    return store.search_by_name(db, query, check_program(program) if program else None, limit)
