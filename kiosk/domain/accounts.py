"""Card numbers and bank account numbers: the only offline checks that exist for them.

A card number (KJP's Bank DKI card, PKH's KKS) is an ISO/IEC 7812 PAN with a Luhn check digit.
An account number has no public check digit, so only digits and the bank's length can be checked
(domain-reference.md §5). Both stay text: leading zeros are part of the number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.domain.findings import Finding, error, warning
from kiosk.domain.identity import clean_digits

CARD_LENGTH = 16
_DIGITS = frozenset("0123456789")


def _luhn_sum(digits: str, double_first: bool) -> int:
    """Luhn's sum from the rightmost digit; `double_first` doubles that rightmost digit."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if (position % 2 == 0) == double_first:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total


def is_luhn_valid(number: str) -> bool:
    """True when `number` (ASCII digits only) ends in a correct Luhn check digit."""
    if len(number) < 2 or not set(number) <= _DIGITS:
        return False
    return _luhn_sum(number, double_first=False) % 10 == 0


def luhn_check_digit(payload: str) -> str:
    """The digit that, appended to `payload`, makes a Luhn-valid number."""
    if not payload or not set(payload) <= _DIGITS:
        raise ValueError("a Luhn payload must be one or more ASCII digits")
    return str((10 - _luhn_sum(payload, double_first=True) % 10) % 10)


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {"code": finding.code, "field": finding.field, "params": dict(finding.params)}


def _digit_errors(kind: str, compact: str) -> list[Finding]:
    if not compact:
        return [error(f"{kind}.empty", kind)]
    stray = [char for char in compact if char not in _DIGITS]
    if stray:
        return [error(f"{kind}.not_digits", kind, char=stray[0], digits=len(compact) - len(stray))]
    return []


@dataclass(frozen=True)
class CardResult:
    """A typed card number (PAN): valid when it has 16 digits and passes Luhn."""

    valid: bool
    number: str | None
    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "card",
            "valid": self.valid,
            "number": self.number,
            "errors": [_finding_dict(f) for f in self.errors],
            "warnings": [_finding_dict(f) for f in self.warnings],
        }


@dataclass(frozen=True)
class AccountResult:
    """A typed bank account number, checked against the bank's known lengths."""

    valid: bool
    number: str | None
    bank: str
    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "account",
            "valid": self.valid,
            "number": self.number,
            "bank": self.bank,
            "errors": [_finding_dict(f) for f in self.errors],
            "warnings": [_finding_dict(f) for f in self.warnings],
        }


def parse_card_number(text: str) -> CardResult:
    """Check a typed card number: spaces and dashes allowed, then 16 digits and Luhn."""
    compact = clean_digits(text)
    errors = _digit_errors("card", compact)
    if not errors and len(compact) != CARD_LENGTH:
        errors.append(error("card.wrong_length", "card", digits=len(compact)))
    if errors:
        return CardResult(valid=False, number=None, errors=tuple(errors))
    if not is_luhn_valid(compact):
        return CardResult(valid=False, number=compact, errors=(error("card.luhn_failed", "card"),))
    return CardResult(valid=True, number=compact)


def bank_key(bank: str) -> str:
    """How bank names are compared: case and surrounding spaces do not matter."""
    return " ".join(bank.split()).upper()


def parse_bank_account(
    text: str, bank: str, lengths: Mapping[str, tuple[int, ...] | None]
) -> AccountResult:
    """Check a typed account number for `bank`; `lengths` maps bank names to allowed lengths.

    A bank whose lengths are None (Bank DKI: not published) or that is not in `lengths` is
    accepted with a warning that the length could not be checked.
    """
    compact = clean_digits(text)
    errors = _digit_errors("account", compact)
    if errors:
        return AccountResult(valid=False, number=None, bank=bank, errors=tuple(errors))
    key = bank_key(bank)
    # kiosk.banks hands in keys already normalised; any other mapping is normalised here.
    table = lengths if key in lengths else {bank_key(name): n for name, n in lengths.items()}
    if key not in table:
        found = warning("account.bank_unknown", "bank", bank=bank.strip())
        return AccountResult(valid=True, number=compact, bank=bank, warnings=(found,))
    allowed = table[key]
    if not allowed:
        found = warning(
            "account.length_unchecked", "account", bank=bank.strip(), digits=len(compact)
        )
        return AccountResult(valid=True, number=compact, bank=bank, warnings=(found,))
    if len(compact) not in allowed:
        expected = " / ".join(str(n) for n in sorted(allowed))
        problem = error(
            "account.wrong_length",
            "account",
            bank=bank.strip(),
            digits=len(compact),
            expected=expected,
        )
        return AccountResult(valid=False, number=compact, bank=bank, errors=(problem,))
    return AccountResult(valid=True, number=compact, bank=bank)
