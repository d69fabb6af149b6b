"""One-time codes (RFC 6238) as kiosk/domain/credentials.py makes and checks them: the RFC's test
values, one step of drift either side, a used step refused, and codes of another shape."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from kiosk.domain.credentials import totp_accepts, totp_code, totp_step

NOW = datetime(2026, 12, 4, 9, 30, 10, tzinfo=UTC)  # 10 s into a time-step
STEP = timedelta(seconds=30)
SECRET = base64.b32encode(bytes(range(20))).decode()

# RFC 6238 appendix B, SHA-1 rows: the 8-digit values' last six digits are the 6-digit codes.
RFC_SEED = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("unix_time", "eight_digits"), RFC_VECTORS)
def test_the_code_function_gives_rfc_6238s_sha1_test_values(unix_time, eight_digits):
    at = datetime.fromtimestamp(unix_time, UTC)
    assert totp_code(RFC_SEED, totp_step(at)) == eight_digits[-6:]


def test_a_code_is_taken_one_step_either_side_and_never_for_a_used_step():
    secret = SECRET
    app = pyotp.TOTP(secret)  # what an authenticator app shows
    step = totp_step(NOW)
    assert totp_accepts(secret, app.at(NOW), NOW, None) == step
    assert totp_accepts(secret, app.at(NOW - STEP), NOW, None) == step - 1
    assert totp_accepts(secret, app.at(NOW + STEP), NOW, None) == step + 1
    assert totp_accepts(secret, app.at(NOW - 2 * STEP), NOW, None) is None
    assert totp_accepts(secret, app.at(NOW + 2 * STEP), NOW, None) is None
    assert totp_accepts(secret, app.at(NOW), NOW, step) is None  # replayed
    assert totp_accepts(secret, app.at(NOW + STEP), NOW, step) == step + 1
    spaced = app.at(NOW)[:3] + " " + app.at(NOW)[3:]
    assert totp_accepts(secret, spaced, NOW, None) == step
    assert totp_accepts(secret, "", NOW, None) is None
    assert totp_accepts(secret, "12345", NOW, None) is None


def test_the_time_step_changes_every_thirty_seconds_from_1970():
    assert totp_step(datetime.fromtimestamp(0, UTC)) == 0
    assert totp_step(datetime.fromtimestamp(29, UTC)) == 0
    assert totp_step(datetime.fromtimestamp(30, UTC)) == 1


def test_codes_are_six_digits_with_their_leading_zeros():
    codes = {totp_code(SECRET, step) for step in range(2000)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert any(code.startswith("0") for code in codes)
    assert totp_code(SECRET, 1) != totp_code(SECRET, 2)
