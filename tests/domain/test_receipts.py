"""Receipt codes: made with the device key, verified with it, refused when tampered with."""

from __future__ import annotations

import hmac
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain import receipts
from kiosk.domain.receipts import (
    MAC_LENGTH,
    Receipt,
    ReceiptKind,
    make_receipt_code,
    read_receipt_code,
    verify_receipt_code,
)
from kiosk.domain.register_numbers import ALPHABET, RegisterNumber

KEY = b"\x01" * 32
OTHER_KEY = b"\x02" * 32
NUMBER = RegisterNumber("7KQ2ZB", 123)
# QR alphanumeric mode: the payload fits it, so the code stays small and robust.
QR_ALPHANUMERIC = re.compile(r"^[0-9A-Z $%*+\-./:]+$")


def test_a_code_names_the_register_number_and_carries_a_mac():
    code = make_receipt_code(NUMBER, KEY)
    prefix, number, mac = code.split(":")
    assert prefix == "LKP1"
    assert number == "7KQ2ZB-000123-" + str(NUMBER)[-1]
    assert len(mac) == MAC_LENGTH
    assert QR_ALPHANUMERIC.match(code)


def test_the_key_that_made_a_code_verifies_it():
    assert verify_receipt_code(make_receipt_code(NUMBER, KEY), KEY) == NUMBER


def test_another_key_does_not_verify_it():
    assert verify_receipt_code(make_receipt_code(NUMBER, KEY), OTHER_KEY) is None


def test_a_tampered_mac_is_refused():
    code = make_receipt_code(NUMBER, KEY)
    last = code[-1]
    tampered = code[:-1] + ("A" if last != "A" else "B")
    assert verify_receipt_code(tampered, KEY) is None


def test_a_mac_moved_to_another_register_number_is_refused():
    mac = make_receipt_code(NUMBER, KEY).split(":")[2]
    other = RegisterNumber("7KQ2ZB", 124)
    assert verify_receipt_code(f"LKP1:{other}:{mac}", KEY) is None


def test_case_and_surrounding_space_do_not_matter():
    code = make_receipt_code(NUMBER, KEY)
    assert verify_receipt_code(f"  {code.lower()}\r\n", KEY) == NUMBER


@pytest.mark.parametrize(
    "text",
    [
        "",
        "LKP1",
        "LKP1:7KQ2ZB-000123-M",
        "LKP2:7KQ2ZB-000123-M:AAAAAAAAAAAAAAAA",
        "LKP1:7KQ2ZB-000123-M:AAAA",
        "LKP1:7KQ2ZB-000123-M:AAAAAAAAAAAAAAA1",  # 1 is not base32
        "LKP1:NOT-A-NUMBER:AAAAAAAAAAAAAAAA",
        "LKP1:7KQ2ZB-000123-M:AAAAAAAAAAAAAAAA:extra",
    ],
)
def test_malformed_codes_are_not_read(text: str):
    assert read_receipt_code(text) is None
    assert verify_receipt_code(text, KEY) is None


def test_an_empty_key_signs_nothing_and_verifies_nothing():
    with pytest.raises(ValueError):
        make_receipt_code(NUMBER, b"")
    assert verify_receipt_code(make_receipt_code(NUMBER, KEY), b"") is None


def test_the_mac_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch):
    calls: list[tuple[str, str]] = []
    original = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(receipts.hmac, "compare_digest", spy)
    assert verify_receipt_code(make_receipt_code(NUMBER, KEY), KEY) == NUMBER
    assert len(calls) == 1


register_numbers = st.builds(
    RegisterNumber,
    st.text(alphabet=ALPHABET, min_size=6, max_size=6),
    st.integers(1, 10**7),
)
keys = st.binary(min_size=1, max_size=64)


@given(register_numbers, keys, keys)
def test_only_the_signing_key_verifies(number: RegisterNumber, key: bytes, other: bytes):
    code = make_receipt_code(number, key)
    assert verify_receipt_code(code, key) == number
    if other != key:
        assert verify_receipt_code(code, other) is None


def test_a_receipt_masks_a_full_nik_whatever_it_is_given():
    receipt = Receipt(
        kind=ReceiptKind.SUBMISSION,
        register_number=NUMBER,
        code=make_receipt_code(NUMBER, KEY),
        issued_on=date(2026, 3, 2),
        next_step={"id": "x", "en": "x"},
        nik_masked="3174011405090003",
    )
    assert receipt.nik_masked == "3174********0003"


def test_an_already_masked_nik_stays_as_it_is():
    receipt = Receipt(
        kind=ReceiptKind.COMPLAINT,
        register_number=NUMBER,
        code="",
        issued_on=date(2026, 3, 2),
        next_step={"id": "x", "en": "x"},
        nik_masked="3174********0003",
    )
    assert receipt.nik_masked == "3174********0003"
