"""Card numbers (Luhn) and bank account numbers (digits, bank's length): domain-reference.md §5."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.accounts import (
    is_luhn_valid,
    luhn_check_digit,
    parse_bank_account,
    parse_card_number,
)

LENGTHS: dict[str, tuple[int, ...] | None] = {
    "BRI": (15,),
    "Mandiri": (13,),
    "BNI": (10,),
    "BSI": (10,),
    "BTN": (16,),
    "BCA": (10,),
    "Bank DKI": None,
}

# Made-up card numbers (the test-card style 4111 1111 1111 1111 is Luhn-valid).
GOOD_CARD = "4111111111111111"


def codes(result) -> list[str]:
    return [f.code for f in (*result.errors, *result.warnings)]


# --- Luhn -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["79927398713", GOOD_CARD, "5555555555554444"])
def test_known_luhn_valid_numbers_pass(number: str):
    assert is_luhn_valid(number)


@pytest.mark.parametrize("number", ["79927398710", "4111111111111112", "", "7", "12a4", "４１"])
def test_wrong_or_malformed_numbers_fail_luhn(number: str):
    assert not is_luhn_valid(number)


def test_the_check_digit_of_7992739871_is_3():
    assert luhn_check_digit("7992739871") == "3"


def test_a_check_digit_needs_digits():
    with pytest.raises(ValueError):
        luhn_check_digit("12x")


payloads = st.text(alphabet="0123456789", min_size=1, max_size=18)


@given(payloads)
def test_a_payload_with_its_check_digit_always_passes(payload: str):
    assert is_luhn_valid(payload + luhn_check_digit(payload))


@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_every_single_digit_substitution_fails_the_check(payload: str):
    number = payload + luhn_check_digit(payload)
    for index, original in enumerate(number):
        for digit in "0123456789":
            if digit != original:
                changed = number[:index] + digit + number[index + 1 :]
                assert not is_luhn_valid(changed), (number, changed)


@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_every_adjacent_swap_of_different_digits_fails_except_09_and_90(payload: str):
    number = payload + luhn_check_digit(payload)
    for index in range(len(number) - 1):
        a, b = number[index], number[index + 1]
        if a == b or {a, b} == {"0", "9"}:
            continue
        swapped = number[:index] + b + a + number[index + 2 :]
        assert not is_luhn_valid(swapped), (number, swapped)


def test_swapping_09_to_90_is_the_one_swap_luhn_cannot_see():
    payload = "409000000000000"  # made up; doubling maps 0 to 0 and 9 to 9, so 09/90 sum alike
    number = payload + luhn_check_digit(payload)
    index = number.index("09")
    swapped = number[:index] + "90" + number[index + 2 :]
    assert is_luhn_valid(number) and is_luhn_valid(swapped)


# --- card numbers ---------------------------------------------------------------------------------


def test_a_16_digit_card_number_passing_luhn_is_valid():
    result = parse_card_number("4111 1111 1111 1111")
    assert result.valid
    assert result.number == GOOD_CARD


def test_a_card_number_with_a_typing_mistake_is_rejected_by_luhn():
    result = parse_card_number("4111 1111 1111 1121")
    assert codes(result) == ["card.luhn_failed"]
    assert not result.valid


def test_a_card_number_of_the_wrong_length_is_rejected_with_the_count():
    result = parse_card_number("79927398713")
    assert codes(result) == ["card.wrong_length"]
    assert result.errors[0].params == {"digits": 11}


def test_a_card_number_with_letters_is_rejected():
    assert codes(parse_card_number("4111-1111-1111-111x")) == ["card.not_digits"]


def test_card_to_dict_is_json_ready():
    assert parse_card_number(GOOD_CARD).to_dict() == {
        "kind": "card",
        "valid": True,
        "number": GOOD_CARD,
        "errors": [],
        "warnings": [],
    }


# --- bank accounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bank, length",
    [("BRI", 15), ("Mandiri", 13), ("BNI", 10), ("BSI", 10), ("BTN", 16), ("BCA", 10)],
)
def test_each_bank_accepts_its_own_length_and_rejects_one_digit_more_or_less(
    bank: str, length: int
):
    assert parse_bank_account("1" * length, bank, LENGTHS).valid
    for wrong in (length - 1, length + 1):
        result = parse_bank_account("1" * wrong, bank, LENGTHS)
        assert codes(result) == ["account.wrong_length"]
        assert result.errors[0].params == {"bank": bank, "digits": wrong, "expected": str(length)}


def test_leading_zeros_are_kept_and_the_number_stays_text():
    result = parse_bank_account("0012-01-000123-50-1", "BRI", LENGTHS)
    assert result.valid
    assert result.number == "001201000123501"


def test_letters_in_an_account_number_are_rejected():
    result = parse_bank_account("12345678O0", "BNI", LENGTHS)
    assert codes(result) == ["account.not_digits"]
    assert result.number is None


def test_an_empty_account_number_is_rejected():
    assert codes(parse_bank_account("", "BNI", LENGTHS)) == ["account.empty"]


def test_bank_dki_of_unknown_length_is_accepted_with_a_warning():
    result = parse_bank_account("10123456789", "Bank DKI", LENGTHS)
    assert result.valid
    assert codes(result) == ["account.length_unchecked"]


def test_bank_names_are_compared_without_regard_to_case_or_spaces():
    assert parse_bank_account("1" * 15, "  bri ", LENGTHS).valid
    assert not parse_bank_account("1" * 14, "bri", LENGTHS).valid


def test_a_bank_missing_from_the_table_is_accepted_with_a_warning():
    result = parse_bank_account("123456", "Bank Nusantara Fiktif", LENGTHS)
    assert result.valid
    assert codes(result) == ["account.bank_unknown"]


def test_a_bank_with_several_lengths_accepts_each():
    lengths = {"X": (10, 12)}
    assert parse_bank_account("1" * 10, "X", lengths).valid
    assert parse_bank_account("1" * 12, "X", lengths).valid
    result = parse_bank_account("1" * 11, "X", lengths)
    assert result.errors[0].params["expected"] == "10 / 12"
