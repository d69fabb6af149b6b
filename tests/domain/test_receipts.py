"""Receipt codes: made with the device key, verified with it, refused when tampered with."""

from __future__ import annotations

import base64
import hashlib
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


# Known answers: the exact QR text for a fixed key and register number. Kiosks in the field verify
# receipts they printed months ago, so the payload's prefix, separators, MAC input, truncation and
# encoding may never change silently; each line was computed once outside this code base.
KNOWN_CODES = [
    (b"\x01" * 32, RegisterNumber("7KQ2ZB", 123), "LKP1:7KQ2ZB-000123-7:YSZUF2FJKS2J3CVN"),
    (bytes(range(32)), RegisterNumber("7KQ2ZB", 42), "LKP1:7KQ2ZB-000042-9:CPZVEHD5CNTLSMAT"),
    (b"lengkap-test-key", RegisterNumber("000000", 1), "LKP1:000000-000001-Y:6OUJY6D427ZERL3D"),
    (b"\x01" * 32, RegisterNumber("HJKMNP", 10**6), "LKP1:HJKMNP-1000000-R:GBC3XNLAJP5IMADG"),
]


@pytest.mark.parametrize(("key", "number", "payload"), KNOWN_CODES)
def test_a_known_key_and_number_give_exactly_the_known_qr_text(key, number, payload):
    assert make_receipt_code(number, key) == payload


@pytest.mark.parametrize(("key", "number", "payload"), KNOWN_CODES)
def test_a_known_qr_text_verifies_under_its_key_even_typed_in_lower_case(key, number, payload):
    assert verify_receipt_code(payload, key) == number
    assert verify_receipt_code(payload.lower(), key) == number


def spec_receipt_code(printed_number: str, key: bytes) -> str:
    """The format as the module's docstring states it, built from the standard library alone:
    "LKP1:<number>:<MAC>", the MAC the first 80 bits of HMAC-SHA256(key, "LKP1:<number>") in
    base32 without padding."""
    message = ("LKP1:" + printed_number).encode("ascii")
    mac = hmac.new(key, message, hashlib.sha256).digest()[: 80 // 8]
    return "LKP1:" + printed_number + ":" + base64.b32encode(mac).decode("ascii").rstrip("=")


def test_the_qr_text_is_the_documented_format_computed_from_the_standard_library():
    key = hashlib.sha256(b"a fixed receipt key for this test").digest()
    number = RegisterNumber("7KQ2ZB", 123)
    expected = spec_receipt_code("7KQ2ZB-000123-7", key)
    assert make_receipt_code(number, key) == expected
    assert len(expected.split(":")[2]) == MAC_LENGTH == 16


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
