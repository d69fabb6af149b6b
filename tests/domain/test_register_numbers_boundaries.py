"""Register numbers at their edges: the shortest checked text, characters outside the alphabet,
and what a refusal says (cases found by mutation testing)."""

import pytest

from kiosk.domain.register_numbers import (
    RegisterNumber,
    RegisterNumberError,
    check_character,
    has_valid_check,
    is_device_code,
    parse_register_number,
)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("7KQ2ZB", "register_number.shape"), ("7KQ2ZB-000123-A", "register_number.check")],
)
def test_a_refused_number_carries_its_translation_code_as_reason_and_message(typed, reason):
    with pytest.raises(RegisterNumberError) as refused:
        parse_register_number(typed)
    assert refused.value.reason == reason
    assert str(refused.value) == reason


def test_a_one_character_payload_with_its_check_is_valid_but_one_character_alone_is_not():
    assert check_character("0") == "0"
    assert has_valid_check("00")
    assert not has_valid_check("0")
    assert not has_valid_check("")


def test_a_character_outside_the_alphabet_never_passes_the_check():
    # "I" and lower case are not in the alphabet; only parse_register_number translates them.
    assert not has_valid_check("7KQ2ZB000123I")
    assert not has_valid_check("7kq2zb0001237")
    assert has_valid_check("7KQ2ZB0001237")


@pytest.mark.parametrize("code", ["ABC", "ABCDEFG", "ABCDEI", "abcdef"])
def test_a_device_code_needs_exactly_six_characters_of_the_alphabet(code):
    assert not is_device_code(code)
    assert is_device_code("ABCDEF")


def test_a_register_number_refuses_a_bad_device_code_or_sequence_saying_what_is_allowed():
    with pytest.raises(ValueError, match=r"^device code must be 6 characters from 0123456789A"):
        RegisterNumber("ABC", 1)
    with pytest.raises(ValueError, match=r"^sequence starts at 1$"):
        RegisterNumber("ABCDEF", 0)


def test_a_sequence_longer_than_allowed_is_refused_saying_the_limit():
    from kiosk.domain.register_numbers import MAX_SEQUENCE_DIGITS

    with pytest.raises(ValueError, match=rf"^sequence has at most {MAX_SEQUENCE_DIGITS} digits$"):
        RegisterNumber("ABCDEF", 10**MAX_SEQUENCE_DIGITS)
