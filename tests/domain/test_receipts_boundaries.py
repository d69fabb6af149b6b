"""Receipt codes at their edges: the MAC's exact length, and a key that is missing (cases found
by mutation testing)."""

import pytest

from kiosk.domain.receipts import MAC_LENGTH, make_receipt_code, read_receipt_code
from kiosk.domain.register_numbers import RegisterNumber

NUMBER = RegisterNumber("7KQ2ZB", 123)
KEY = b"k" * 32


@pytest.mark.parametrize("length", [MAC_LENGTH - 1, MAC_LENGTH + 1])
def test_a_mac_of_base32_characters_but_the_wrong_length_is_not_read_as_a_receipt(length):
    prefix, number, mac = make_receipt_code(NUMBER, KEY).split(":")
    resized = (mac * 2)[:length]
    assert read_receipt_code(f"{prefix}:{number}:{resized}") is None


def test_a_mac_of_the_right_length_is_read_with_its_register_number():
    code = read_receipt_code(make_receipt_code(NUMBER, KEY))
    assert code is not None
    assert code.number == NUMBER
    assert len(code.mac) == MAC_LENGTH


def test_an_empty_key_is_refused_with_a_reason():
    with pytest.raises(ValueError, match=r"^a receipt key must not be empty$"):
        make_receipt_code(NUMBER, b"")
