"""A submission's data checked against the server's roster: the seed's three data problems.

Wrong account number, a name spelt differently from the register, not registered at all. Pure:
the caller hands in the roster entry (or None). Names never decide alone (DOMAIN.md): a name that
differs is a mismatch to look at, the NIK decides who the person is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.domain.names import NameVerdict, compare_names
from sync.server.staff.masking import mask_account, mask_number


@dataclass(frozen=True)
class Mismatch:
    """One difference: `code` is a translation key under staff.mismatch; values as shown."""

    field: str
    code: str
    submitted: str | None
    registered: str | None


def roster_mismatches(
    body: Mapping[str, Any], entry: Mapping[str, Any] | None, *, reveal: bool = False
) -> tuple[Mismatch, ...]:
    """Differences between a submission's JSON `body` and its roster `entry` (masked)."""
    applicant = body.get("applicant") or {}
    nik = str(applicant.get("nik") or "")
    show_nik = (lambda v: v) if reveal else mask_number
    show_account = (lambda v: v) if reveal else mask_account
    if entry is None:
        return (Mismatch("applicant.nik", "not_registered", show_nik(nik), None),)
    found: list[Mismatch] = []
    name, registered_name = str(applicant.get("name") or ""), str(entry.get("name") or "")
    if name and registered_name:
        verdict = compare_names(name, registered_name).verdict
        if verdict is not NameVerdict.MATCH:
            code = "name_review" if verdict is NameVerdict.REVIEW else "name_differs"
            found.append(Mismatch("applicant.name", code, name, registered_name))
    account = (body.get("bank_account") or {}).get("account")
    registered_account = entry.get("account")
    if account and registered_account and str(account) != str(registered_account):
        found.append(
            Mismatch(
                "bank_account.account",
                "account_differs",
                show_account(str(account)),
                show_account(str(registered_account)),
            )
        )
    return tuple(found)


def mismatch_flags(mismatches: tuple[Mismatch, ...]) -> dict[str, bool]:
    """The denormalised flags monitoring counts."""
    codes = {m.code for m in mismatches}
    flags = {
        "account_mismatch": "account_differs" in codes,
        "name_mismatch": bool(codes & {"name_review", "name_differs"}),
        "not_registered": "not_registered" in codes,
    }
    return {**flags, "mismatch": any(flags.values())}
