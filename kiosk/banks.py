"""The bank table (assets/banks.toml): account lengths an operator can change without a release.

`account_lengths()` is what `kiosk.domain.accounts.parse_bank_account` needs: every way of naming a
bank (short name, full name, aliases, BI codes) mapped to its allowed lengths, None when unknown.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kiosk.assets import assets_dir
from kiosk.domain.accounts import bank_key
from kiosk.errors import RuleFileError

BANKS_FILE = "banks.toml"


@dataclass(frozen=True)
class Bank:
    """One bank: `lengths` is None when nobody knows how long its account numbers are."""

    key: str
    name: str
    code: str
    lengths: tuple[int, ...] | None
    legacy_codes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every name a roster or form may use for this bank."""
        return (self.key, self.name, self.code, *self.legacy_codes, *self.aliases)


def _strings(value: Any, where: str, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RuleFileError(f"`{field}` must be a list of text", where=where)
    return tuple(value)


def _bank(key: str, table: Any, where: str) -> Bank:
    if not isinstance(table, dict):
        raise RuleFileError("each bank must be a table", where=where)
    code = table.get("code")
    if not (isinstance(code, str) and code.isdigit() and len(code) == 3):
        raise RuleFileError("`code` must be the 3-digit Bank Indonesia code, as text", where=where)
    lengths = table.get("lengths", [])
    if not isinstance(lengths, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 30 for n in lengths
    ):
        raise RuleFileError("`lengths` must be a list of whole numbers from 1 to 30", where=where)
    name = table.get("name", key)
    if not isinstance(name, str):
        raise RuleFileError("`name` must be text", where=where)
    return Bank(
        key=key,
        name=name,
        code=code,
        lengths=tuple(lengths) or None,
        legacy_codes=_strings(table.get("legacy_codes", []), where, "legacy_codes"),
        aliases=_strings(table.get("aliases", []), where, "aliases"),
    )


def load_banks(path: Path) -> dict[str, Bank]:
    """Read and check a banks file; a problem names the file and the bank."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleFileError(f"cannot read {path}: {exc}", where=str(path)) from exc
    tables = data.get("banks")
    if not isinstance(tables, dict) or not tables:
        raise RuleFileError("no [banks.<name>] tables found", where=str(path))
    banks = {key: _bank(key, table, f"{path} [banks.{key}]") for key, table in tables.items()}
    owner: dict[str, str] = {}
    for bank in banks.values():
        for spelling in bank.spellings:
            other = owner.setdefault(bank_key(spelling), bank.key)
            if other != bank.key:
                raise RuleFileError(
                    f"'{spelling}' names both {other} and {bank.key}",
                    where=f"{path} [banks.{bank.key}]",
                )
    return banks


@cache
def banks(root: Path | None = None) -> Mapping[str, Bank]:
    """The shipped bank table, read once per assets folder."""
    return MappingProxyType(load_banks((root or assets_dir()) / BANKS_FILE))


@cache
def account_lengths(root: Path | None = None) -> Mapping[str, tuple[int, ...] | None]:
    """Every spelling of every bank (normalised with `bank_key`) -> its allowed account lengths."""
    table: dict[str, tuple[int, ...] | None] = {}
    for bank in banks(root).values():
        for spelling in bank.spellings:
            table[bank_key(spelling)] = bank.lengths
    return MappingProxyType(table)


def find_bank(name: str, root: Path | None = None) -> Bank | None:
    """The bank a roster or form means by `name` (short name, full name, alias or BI code)."""
    wanted = bank_key(name)
    for bank in banks(root).values():
        if any(bank_key(spelling) == wanted for spelling in bank.spellings):
            return bank
    return None
