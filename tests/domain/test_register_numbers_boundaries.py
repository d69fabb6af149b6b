"""Register numbers: the refusal's reason travels with the exception (found by mutation testing)."""

import pytest

from kiosk.domain.register_numbers import RegisterNumberError, parse_register_number


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("7KQ2ZB", "register_number.shape"), ("7KQ2ZB-000123-A", "register_number.check")],
)
def test_a_refused_number_carries_its_translation_code_as_reason_and_message(typed, reason):
    with pytest.raises(RegisterNumberError) as refused:
        parse_register_number(typed)
    assert refused.value.reason == reason
    assert str(refused.value) == reason
