"""Register numbers that people read, type and quote: made offline, unique per device, self-checking.

Shape: DEVICE-SEQUENCE-C, e.g. "7KQ2ZB-000123-7". DEVICE is the device's code, SEQUENCE its own
counter (so two devices never collide as long as their codes differ), and C a check character.

The check is Damm's scheme over the quasigroup x*y = 2x + y (mod 31), on a 31-character alphabet
without the look-alikes I, L, O, U, V. Being totally anti-symmetric, it catches every single wrong
character and every swap of two different neighbours, the check character included. (ISO 7064
MOD 37,36 was tried first: it misses some swaps, e.g. IJ <-> JI, which the tests found.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTWXYZ"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
MODULUS = len(ALPHABET)  # 31: odd, so doubling is invertible and x*y is a quasigroup
# What people mistype for a character of the alphabet.
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
DEVICE_CODE_LENGTH = 6
SEQUENCE_DIGITS = 6
# No device numbers a trillion records; the bound keeps a typed or pushed number to a sane
# length (the server's column holds 32 characters) and its digits cheap to read.
MAX_SEQUENCE_DIGITS = 12
_CHAR = f"[{ALPHABET}]"
_SHAPE = re.compile(
    rf"({_CHAR}{{{DEVICE_CODE_LENGTH}}})([0-9]{{{SEQUENCE_DIGITS},{MAX_SEQUENCE_DIGITS}}})({_CHAR})"
)
_SEPARATORS = re.compile(r"[\s\-./]")


def _interim(text: str) -> int:
    """Fold `text` through the quasigroup, starting from 0."""
    interim = 0
    for char in text:
        interim = (2 * interim + _VALUE[char]) % MODULUS
    return interim


def check_character(payload: str) -> str:
    """The character that, appended to `payload`, folds the whole string to 0."""
    return ALPHABET[(-2 * _interim(payload)) % MODULUS]


def has_valid_check(compact: str) -> bool:
    """True when `compact` (payload and check character) folds to 0."""
    if len(compact) < 2 or any(char not in _VALUE for char in compact):
        return False
    return _interim(compact) == 0


def is_device_code(code: str) -> bool:
    return len(code) == DEVICE_CODE_LENGTH and all(char in _VALUE for char in code)


@dataclass(frozen=True)
class RegisterNumber:
    device_code: str
    sequence: int

    def __post_init__(self) -> None:
        if not is_device_code(self.device_code):
            raise ValueError(f"device code must be {DEVICE_CODE_LENGTH} characters from {ALPHABET}")
        if self.sequence < 1:
            raise ValueError("sequence starts at 1")
        if self.sequence >= 10**MAX_SEQUENCE_DIGITS:
            raise ValueError(f"sequence has at most {MAX_SEQUENCE_DIGITS} digits")

    @property
    def compact(self) -> str:
        payload = f"{self.device_code}{self.sequence:0{SEQUENCE_DIGITS}d}"
        return payload + check_character(payload)

    def __str__(self) -> str:
        compact = self.compact
        return f"{compact[:DEVICE_CODE_LENGTH]}-{compact[DEVICE_CODE_LENGTH:-1]}-{compact[-1]}"


class RegisterNumberError(ValueError):
    """A typed register number that cannot be one; `reason` is a translation code."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def parse_register_number(text: str) -> RegisterNumber:
    """Read what a person typed or a scanner read: case and separators do not matter."""
    compact = _SEPARATORS.sub("", text).upper().translate(_LOOK_ALIKES)
    match = _SHAPE.fullmatch(compact)
    if not match:
        raise RegisterNumberError("register_number.shape")
    if not has_valid_check(compact):
        raise RegisterNumberError("register_number.check")
    return RegisterNumber(match.group(1), int(match.group(2)))
