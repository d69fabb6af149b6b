"""Register numbers: shape, round trip, and the check character's error detection."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.register_numbers import (
    ALPHABET,
    RegisterNumber,
    RegisterNumberError,
    check_character,
    has_valid_check,
    parse_register_number,
)

device_codes = st.text(alphabet=ALPHABET, min_size=6, max_size=6)
sequences = st.integers(min_value=1, max_value=10**9)


# Known answers, worked out once by hand from the module's rule (Damm over x*y = 2x + y mod 31,
# folding from 0) and printed on receipts already in people's hands: a change to the alphabet, the
# fold, its start value or the padding would make every one of those receipts unreadable, so these
# strings may never change.
KNOWN_NUMBERS = [
    ("7KQ2ZB", 123, "7KQ2ZB-000123-7"),
    ("7KQ2ZB", 124, "7KQ2ZB-000124-5"),
    ("7KQ2ZB", 42, "7KQ2ZB-000042-9"),
    ("000000", 1, "000000-000001-Y"),
    ("ZZZZZZ", 999999, "ZZZZZZ-999999-H"),
    ("A1B2C3", 45, "A1B2C3-000045-Y"),
    ("DEM001", 1, "DEM001-000001-J"),
    ("QRSTWX", 7, "QRSTWX-000007-7"),
    ("123456", 654321, "123456-654321-S"),
    ("HJKMNP", 1000000, "HJKMNP-1000000-R"),  # a seventh digit once the counter passes 999999
]


@pytest.mark.parametrize(("device", "sequence", "printed"), KNOWN_NUMBERS)
def test_a_known_register_number_prints_exactly_as_on_receipts_in_the_field(
    device, sequence, printed
):
    assert str(RegisterNumber(device, sequence)) == printed


@pytest.mark.parametrize(("device", "sequence", "printed"), KNOWN_NUMBERS)
def test_a_known_register_number_typed_from_a_receipt_reads_back(device, sequence, printed):
    assert parse_register_number(printed) == RegisterNumber(device, sequence)


def test_the_check_character_of_one_number_follows_the_rule_step_by_step():
    # "000000000001": the fold stays 0 over the zeros, then 2*0 + 1 = 1; the check character c
    # must bring 2*1 + c to 0 mod 31, so c = 29, which is "Y" in the alphabet.
    assert check_character("000000000001") == "Y" == ALPHABET[29]
    assert has_valid_check("000000000001Y")
    assert not has_valid_check("000000000001X")


def test_a_register_number_reads_as_device_sequence_and_check():
    number = RegisterNumber("7KQ2ZB", 123)
    text = str(number)
    assert text.startswith("7KQ2ZB-000123-")
    assert len(text) == len("7KQ2ZB-000123-X")


@given(device_codes, sequences)
def test_every_generated_number_parses_back_to_itself(device, sequence):
    number = RegisterNumber(device, sequence)
    assert parse_register_number(str(number)) == number
    assert parse_register_number(str(number).lower().replace("-", " ")) == number


@given(device_codes, sequences, st.data())
def test_every_single_character_error_is_detected(device, sequence, data):
    compact = RegisterNumber(device, sequence).compact
    position = data.draw(st.integers(min_value=0, max_value=len(compact) - 1))
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != compact[position]]))
    mistyped = compact[:position] + replacement + compact[position + 1 :]
    assert not has_valid_check(mistyped)


@given(device_codes, sequences, st.data())
def test_every_swap_of_two_different_neighbours_is_detected(device, sequence, data):
    compact = RegisterNumber(device, sequence).compact
    position = data.draw(st.integers(min_value=0, max_value=len(compact) - 2))
    a, b = compact[position], compact[position + 1]
    if a == b:
        return
    swapped = compact[:position] + b + a + compact[position + 2 :]
    assert not has_valid_check(swapped)


def test_all_single_errors_and_transpositions_are_detected_exhaustively_for_one_number():
    compact = RegisterNumber("A1B2C3", 45).compact
    for position in range(len(compact)):
        for replacement in ALPHABET:
            if replacement != compact[position]:
                mistyped = compact[:position] + replacement + compact[position + 1 :]
                assert not has_valid_check(mistyped), mistyped
    # every pair of distinct characters side by side, in every position of a real payload
    for position in range(len(compact) - 1):
        for a in ALPHABET:
            for b in ALPHABET:
                if a == b:
                    continue
                payload = compact[:position] + a + b + compact[position + 2 : -1]
                good = payload + check_character(payload)
                swapped = good[:position] + b + a + good[position + 2 :]
                assert has_valid_check(good)
                assert not has_valid_check(swapped), (good, swapped)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "register_number.shape"),
        ("7KQ2ZB-12-", "register_number.shape"),
        ("7KQ2Z!-000123-M", "register_number.shape"),
        ("7KQ2ZU-000123-M", "register_number.shape"),
    ],
)
def test_malformed_numbers_say_why(typed, reason):
    with pytest.raises(RegisterNumberError) as caught:
        parse_register_number(typed)
    assert caught.value.reason == reason


def test_look_alike_letters_are_read_as_the_digits_people_meant():
    number = RegisterNumber("70Q2ZB", 101)
    assert parse_register_number(str(number).replace("0", "O").replace("1", "l")) == number


def test_a_wrong_check_character_is_reported_as_such():
    good = str(RegisterNumber("7KQ2ZB", 123))
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(RegisterNumberError) as caught:
        parse_register_number(wrong)
    assert caught.value.reason == "register_number.check"
