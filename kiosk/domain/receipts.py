"""Printed receipts: what one says, and the QR code that lets a kiosk tell its own receipts from forgeries.

The QR payload is "LKP1:<register number>:<MAC>", the MAC a truncated HMAC-SHA256 under the device's
key (injected: this module never reads a key, a clock or a file).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kiosk.domain.identity import mask_nik
from kiosk.domain.register_numbers import (
    RegisterNumber,
    RegisterNumberError,
    parse_register_number,
)
from kiosk.domain.requirements import Texts

RECEIPT_PREFIX = "LKP1"
# 10 bytes = 80 bits: a forger has one chance in 2^80 per try, and no kiosk answers fast enough to
# make trying worthwhile. It is also 16 base32 characters, so the whole payload stays in QR's
# alphanumeric mode (upper case, digits, ":" and "-") and fits a small, robust version 2 code.
MAC_BYTES = 10
MAC_LENGTH = 16  # base32 characters for MAC_BYTES, without padding
_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def _mac(number: RegisterNumber, key: bytes) -> str:
    # The prefix is part of the MAC input, so a later format (LKP2) can never reuse an LKP1 MAC.
    message = f"{RECEIPT_PREFIX}:{number}".encode("ascii")
    digest = hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]
    return base64.b32encode(digest).decode("ascii")


def make_receipt_code(number: RegisterNumber, key: bytes) -> str:
    """The text of a receipt's QR code, e.g. "LKP1:7KQ2ZB-000123-7:3Q5T7JXW4ZK2MABC"."""
    if not key:
        raise ValueError("a receipt key must not be empty")
    return f"{RECEIPT_PREFIX}:{number}:{_mac(number, key)}"


@dataclass(frozen=True)
class ReceiptCode:
    """A receipt code read without any key: its register number and the MAC it claims."""

    number: RegisterNumber
    mac: str

    def is_signed_with(self, key: bytes) -> bool:
        """True when the MAC was made with `key`; compared in constant time."""
        if not key:
            return False
        return hmac.compare_digest(self.mac, _mac(self.number, key))


def looks_like_receipt_code(text: str) -> bool:
    """True for any text that claims to be one of our receipts (whether or not it is well formed)."""
    return text.strip().upper().startswith(f"{RECEIPT_PREFIX}:")


def read_receipt_code(text: str) -> ReceiptCode | None:
    """The parts of a receipt code, or None when the text is not shaped like one.

    Case does not matter: a handheld scanner with Caps Lock on swaps the case of what it types.
    """
    parts = text.strip().upper().split(":")
    if len(parts) != 3 or parts[0] != RECEIPT_PREFIX:
        return None
    mac = parts[2]
    if len(mac) != MAC_LENGTH or not set(mac) <= _BASE32:
        return None
    try:
        number = parse_register_number(parts[1])
    except RegisterNumberError:
        return None
    return ReceiptCode(number, mac)


def verify_receipt_code(text: str, key: bytes) -> RegisterNumber | None:
    """The register number of a receipt this key signed; None for anything else."""
    code = read_receipt_code(text)
    if code is None or not code.is_signed_with(key):
        return None
    return code.number


# --- what a receipt says ------------------------------------------------------------------------


class ReceiptKind(StrEnum):
    SUBMISSION = "submission"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class MissingDocument:
    """A document still to bring, with the program rules' reason and what counts as acceptable."""

    document: str
    title: Texts
    why: Texts | None = None
    accept: Texts | None = None


@dataclass(frozen=True)
class Receipt:
    """Everything printed on one receipt; texts are {"id": ..., "en": ...}, Indonesian first.

    The NIK is masked here, whatever the caller passes, so no renderer can print it in full.
    """

    kind: ReceiptKind
    register_number: RegisterNumber
    code: str
    issued_on: date
    next_step: Texts
    nik_masked: str | None = None
    program: Texts | None = None
    stage: Texts | None = None
    category: Texts | None = None
    missing: tuple[MissingDocument, ...] = ()
    first_response_due: date | None = None
    resolution_due: date | None = None

    def __post_init__(self) -> None:
        if self.nik_masked is not None:
            # mask_nik leaves an already masked NIK as it is, and masks a full one.
            object.__setattr__(self, "nik_masked", mask_nik(self.nik_masked))
