"""Officer PINs: stored as salted scrypt hashes, five misses lock the officer out for five minutes."""

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.errors import InputError
from kiosk.services.officers import LOCKOUT, MAX_ATTEMPTS, add_officer, officer_names, sign_in
from kiosk.store.officers import find_officer

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=7)))


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def test_a_pin_is_stored_only_as_a_salted_hash(kiosk):
    add_officer(kiosk, "Budi", "1234")
    add_officer(kiosk, "Ani", "1234")
    budi, ani = find_officer(kiosk.db, "Budi"), find_officer(kiosk.db, "Ani")
    assert b"1234" not in budi.pin_hash and len(budi.salt) == 16
    assert budi.salt != ani.salt and budi.pin_hash != ani.pin_hash
    assert officer_names(kiosk) == ["Ani", "Budi"]


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "١٢٣٤"])
def test_a_pin_must_be_four_to_eight_ascii_digits(kiosk, pin):
    with pytest.raises(InputError) as caught:
        add_officer(kiosk, "Budi", pin)
    assert caught.value.code == "officer.pin_format"


def test_the_same_name_cannot_be_added_twice_in_any_case(kiosk):
    add_officer(kiosk, "Budi Santoso", "1234")
    with pytest.raises(InputError) as caught:
        add_officer(kiosk, "budi  santoso", "5678")
    assert caught.value.code == "officer.exists"


def test_the_right_pin_signs_in_and_a_wrong_one_counts_down(kiosk):
    add_officer(kiosk, "Budi", "1234")
    assert sign_in(kiosk, "budi", "1234").officer == "Budi"
    wrong = sign_in(kiosk, "Budi", "0000")
    assert not wrong.ok and wrong.code == "officer.login.wrong"
    assert wrong.attempts_left == MAX_ATTEMPTS - 1


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_pin(kiosk):
    add_officer(kiosk, "Budi", "1234")
    answer = sign_in(kiosk, "Nobody", "1234")
    assert not answer.ok and answer.code == "officer.login.wrong" and answer.officer is None


def test_five_wrong_pins_lock_out_even_the_right_pin_for_five_minutes(kiosk):
    clock = FakeClock()
    add_officer(kiosk, "Budi", "1234", clock=clock)
    for _ in range(MAX_ATTEMPTS):
        last = sign_in(kiosk, "Budi", "0000", clock=clock)
    assert last.code == "officer.login.locked"
    assert last.seconds_locked(clock()) == LOCKOUT.total_seconds()
    clock.now += LOCKOUT - timedelta(seconds=1)
    still = sign_in(kiosk, "Budi", "1234", clock=clock)
    assert not still.ok and still.seconds_locked(clock()) == 1
    clock.now += timedelta(seconds=1)
    assert sign_in(kiosk, "Budi", "1234", clock=clock).ok


def test_a_served_lockout_gives_five_new_attempts(kiosk):
    clock = FakeClock()
    add_officer(kiosk, "Budi", "1234", clock=clock)
    for _ in range(MAX_ATTEMPTS):
        sign_in(kiosk, "Budi", "0000", clock=clock)
    clock.now += LOCKOUT
    assert sign_in(kiosk, "Budi", "0000", clock=clock).attempts_left == MAX_ATTEMPTS - 1


def test_a_good_sign_in_resets_the_count(kiosk):
    add_officer(kiosk, "Budi", "1234")
    for _ in range(MAX_ATTEMPTS - 1):
        sign_in(kiosk, "Budi", "0000")
    assert sign_in(kiosk, "Budi", "1234").ok
    assert sign_in(kiosk, "Budi", "0000").attempts_left == MAX_ATTEMPTS - 1


def test_officer_add_asks_the_pin_twice_and_refuses_a_mismatch(data_dir):
    runner = CliRunner()
    differ = runner.invoke(cli, ["officer", "add", "Budi"], input="1234\n4321\n")
    assert differ.exit_code == 1 and "tidak sama" in differ.output
    same = runner.invoke(cli, ["officer", "add", "Budi"], input="1234\n1234\n")
    assert same.exit_code == 0, same.output
    scripted = runner.invoke(cli, ["officer", "add", "Ani", "--pin", "5678", "--json"])
    assert scripted.exit_code == 0 and '"name": "Ani"' in scripted.output
