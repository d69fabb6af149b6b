"""Personal data as the console shows it: masked unless the viewer's role needs the whole value.

UU 27/2022 (PDP): a NIK, KK or account number is shown as 3171********0001, enough to tell two
people apart on a call, not enough to use.
"""

from __future__ import annotations

import re

_NIK_IN_TEXT = re.compile(r"(?<!\d)(\d{4})[\s.-]?(\d{8})[\s.-]?(\d{4})(?!\d)")
_LONG_NUMBER = re.compile(r"(?<![\d*])\d{9,15}(?!\d)")  # account and phone numbers


def mask_number(value: str | None, keep_start: int = 4, keep_end: int = 4) -> str | None:
    """`value` with its middle hidden; a short number keeps only its last digits."""
    if value is None:
        return None
    digits = value.strip()
    if len(digits) <= keep_start + keep_end:
        keep_start = 0
        keep_end = min(keep_end, max(0, len(digits) - 4))
    hidden = len(digits) - keep_start - keep_end
    return digits[:keep_start] + "*" * hidden + digits[len(digits) - keep_end :]


def mask_account(value: str | None) -> str | None:
    return mask_number(value, keep_start=0, keep_end=4)


def mask_numbers_in_text(text: str) -> str:
    """A complainant's free text with NIK/KK/card numbers and long account numbers masked."""
    masked = _NIK_IN_TEXT.sub(lambda m: f"{m.group(1)}********{m.group(3)}", text)
    return _LONG_NUMBER.sub(lambda m: "*" * (len(m.group(0)) - 4) + m.group(0)[-4:], masked)
