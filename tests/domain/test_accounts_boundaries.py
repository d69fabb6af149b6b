"""Bank accounts and cards, whole results compared: every field a caller reads, the finding's field
and parameters included (cases found by mutation testing)."""

from __future__ import annotations

import pytest

from kiosk.domain.accounts import (
    AccountResult,
    CardResult,
    bank_key,
    parse_bank_account,
    parse_card_number,
)
from kiosk.domain.findings import error, warning

LENGTHS: dict[str, tuple[int, ...] | None] = {"BRI": (15,), "BNI": (10,), "Bank DKI": None}
NORMALISED: dict[str, tuple[int, ...] | None] = {bank_key(k): v for k, v in LENGTHS.items()}


def test_a_bank_name_is_compared_in_upper_case_with_single_spaces():
    assert bank_key("  bank   dki ") == "BANK DKI"
    assert bank_key("Bank\tDKI") == "BANK DKI"


@pytest.mark.parametrize("lengths", [LENGTHS, NORMALISED])
def test_an_account_of_the_bank_s_length_is_valid_and_keeps_the_bank_as_typed(lengths):
    assert parse_bank_account("1234-567-890", " bni", lengths) == AccountResult(
        valid=True, number="1234567890", bank=" bni"
    )


def test_an_account_with_a_letter_is_invalid_and_says_which_character_and_field():
    assert parse_bank_account("12345678O0", "BNI", LENGTHS) == AccountResult(
        valid=False,
        number=None,
        bank="BNI",
        errors=(error("account.not_digits", "account", char="O", digits=9),),
    )


def test_an_account_of_the_wrong_length_keeps_its_digits_for_correction():
    assert parse_bank_account("123456789", " BNI ", LENGTHS) == AccountResult(
        valid=False,
        number="123456789",
        bank=" BNI ",
        errors=(error("account.wrong_length", "account", bank="BNI", digits=9, expected="10"),),
    )


def test_an_account_at_an_unknown_bank_is_valid_with_a_warning_on_the_bank_field():
    assert parse_bank_account("123456", " Bank Fiktif ", LENGTHS) == AccountResult(
        valid=True,
        number="123456",
        bank=" Bank Fiktif ",
        warnings=(warning("account.bank_unknown", "bank", bank="Bank Fiktif"),),
    )


def test_an_account_at_a_bank_of_unpublished_length_is_valid_with_its_digit_count():
    assert parse_bank_account("10123456789", "bank dki ", LENGTHS) == AccountResult(
        valid=True,
        number="10123456789",
        bank="bank dki ",
        warnings=(warning("account.length_unchecked", "account", bank="bank dki", digits=11),),
    )


def test_an_account_result_as_json_names_its_kind_bank_and_findings():
    result = parse_bank_account("123456789", "BNI", LENGTHS)
    assert result.to_dict() == {
        "kind": "account",
        "valid": False,
        "number": "123456789",
        "bank": "BNI",
        "errors": [
            {
                "code": "account.wrong_length",
                "field": "account",
                "params": {"bank": "BNI", "digits": 9, "expected": "10"},
            }
        ],
        "warnings": [],
    }
    unknown = parse_bank_account("123456", "X", LENGTHS).to_dict()
    assert unknown["errors"] == []
    assert unknown["warnings"] == [
        {"code": "account.bank_unknown", "field": "bank", "params": {"bank": "X"}}
    ]


def test_a_card_result_as_json_lists_its_findings():
    mistyped = parse_card_number("4111111111111112").to_dict()
    assert mistyped["valid"] is False
    assert mistyped["errors"] == [{"code": "card.luhn_failed", "field": "card", "params": {}}]
    assert mistyped["warnings"] == []


def test_a_card_result_as_json_keeps_a_warning_it_carries():
    note = warning("card.note", "card", digits=16)
    result = CardResult(valid=True, number="4111111111111111", warnings=(note,))
    assert result.to_dict()["warnings"] == [
        {"code": "card.note", "field": "card", "params": {"digits": 16}}
    ]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", CardResult(valid=False, number=None, errors=(error("card.empty", "card"),))),
        (
            "4111 1111 1111",
            CardResult(
                valid=False, number=None, errors=(error("card.wrong_length", "card", digits=12),)
            ),
        ),
        (
            "4111-1111-1111-1112",
            CardResult(
                valid=False, number="4111111111111112", errors=(error("card.luhn_failed", "card"),)
            ),
        ),
        ("4111 1111 1111 1111", CardResult(valid=True, number="4111111111111111")),
    ],
)
def test_a_typed_card_number_gives_exactly_this_result(typed, expected):
    assert parse_card_number(typed) == expected


def test_a_check_digit_is_refused_for_anything_but_digits_saying_so():
    from kiosk.domain.accounts import luhn_check_digit

    with pytest.raises(ValueError, match=r"^a Luhn payload must be one or more ASCII digits$"):
        luhn_check_digit("12a")
