"""A register number's sequence has at most twelve digits: longer ones are not register numbers,
whatever their check character says (a pushed 5,000-digit one must not reach int())."""

from __future__ import annotations

import pytest

from kiosk.domain.register_numbers import (
    MAX_SEQUENCE_DIGITS,
    RegisterNumber,
    RegisterNumberError,
    check_character,
    parse_register_number,
)


def _typed(digits: int) -> str:
    payload = "7KQ2ZB" + "9" * digits
    return payload + check_character(payload)


def test_the_longest_sequence_still_reads():
    assert parse_register_number(_typed(MAX_SEQUENCE_DIGITS)) == RegisterNumber(
        "7KQ2ZB", 10**MAX_SEQUENCE_DIGITS - 1
    )


@pytest.mark.parametrize("digits", [MAX_SEQUENCE_DIGITS + 1, 32, 5000])
def test_a_longer_sequence_is_refused_for_its_shape(digits):
    with pytest.raises(RegisterNumberError) as caught:
        parse_register_number(_typed(digits))
    assert caught.value.reason == "register_number.shape"


def test_a_sequence_past_twelve_digits_cannot_be_made():
    with pytest.raises(ValueError):
        RegisterNumber("7KQ2ZB", 10**MAX_SEQUENCE_DIGITS)


def test_the_longest_number_fits_the_servers_column():
    assert len(str(RegisterNumber("7KQ2ZB", 10**MAX_SEQUENCE_DIGITS - 1))) <= 32
