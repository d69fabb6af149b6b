"""Officer PINs: one shared scrypt format, five misses lock a name for fifteen minutes, and an
unknown name is answered like a wrong PIN, in the same time."""

import hashlib
import statistics
import time
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.domain.credentials import LOCKOUT_RULE, verify
from kiosk.errors import InputError
from kiosk.services.officers import add_officer, officer_names, sign_in
from kiosk.store.officers import find_officer

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=7)))
MISSES, LOCK = LOCKOUT_RULE.max_misses, LOCKOUT_RULE.lock_for


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def stored_columns(kiosk, name: str) -> tuple[bytes, bytes]:
    return kiosk.db.execute("SELECT salt, pin_hash FROM officers WHERE name = ?", [name]).fetchone()


def test_a_pin_is_stored_only_as_a_salted_hash_in_the_shared_format(kiosk):
    add_officer(kiosk, "Budi", "1234")
    add_officer(kiosk, "Ani", "1234")
    budi, ani = find_officer(kiosk.db, "Budi"), find_officer(kiosk.db, "Ani")
    assert budi.pin_hash.startswith("scrypt$16384$8$1$") and "1234" not in budi.pin_hash
    assert budi.pin_hash != ani.pin_hash  # same PIN, another salt
    assert verify("1234", budi.pin_hash) and not budi.legacy
    assert stored_columns(kiosk, "Budi") == (b"", budi.pin_hash.encode())
    assert officer_names(kiosk) == ["Ani", "Budi"]


def test_a_pin_kept_the_old_way_still_signs_in_and_is_rewritten_then(kiosk):
    salt = bytes(range(16))
    old_hash = hashlib.scrypt(b"1234", salt=salt, n=2**14, r=8, p=1, dklen=32)
    kiosk.db.execute(
        "INSERT INTO officers(name, salt, pin_hash, created_at) VALUES (?, ?, ?, ?)",
        ["Budi", salt, old_hash, START.isoformat()],
    )
    assert not sign_in(kiosk, "Budi", "0000").ok
    assert stored_columns(kiosk, "Budi") == (salt, old_hash)  # a miss rewrites nothing
    assert sign_in(kiosk, "Budi", "1234").ok
    salt_after, hash_after = stored_columns(kiosk, "Budi")
    assert salt_after == b"" and hash_after.startswith(b"scrypt$16384$8$1$")
    assert not find_officer(kiosk.db, "Budi").legacy
    assert sign_in(kiosk, "Budi", "1234").ok and not sign_in(kiosk, "Budi", "4321").ok


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


def test_the_right_pin_signs_in_whatever_the_case_of_the_name(kiosk):
    add_officer(kiosk, "Budi", "1234")
    assert sign_in(kiosk, "  budi ", "1234").officer == "Budi"
    wrong = sign_in(kiosk, "Budi", "0000")
    assert (wrong.ok, wrong.code, wrong.officer) == (False, "officer.login.wrong", None)


def test_an_unknown_name_gets_the_same_answers_as_a_wrong_pin_up_to_the_lock(kiosk):
    clock = FakeClock()
    add_officer(kiosk, "Budi", "1234")
    for _ in range(MISSES + 2):
        wrong = sign_in(kiosk, "Budi", "0000", clock=clock)
        unknown = sign_in(kiosk, "Bodi", "1234", clock=clock)
        assert wrong == unknown
    assert wrong.code == "officer.login.locked"
    assert wrong.seconds_locked(clock()) == LOCK.total_seconds()


def test_an_unknown_name_locks_in_any_case_as_a_real_name_does(kiosk):
    clock = FakeClock()
    add_officer(kiosk, "Budi", "1234")
    for typed in ["Budi", "BUDI", "budi", "Budi", "bUdI"]:
        wrong = sign_in(kiosk, typed, "0000", clock=clock)
        unknown = sign_in(kiosk, typed.replace("u", "o").replace("U", "O"), "0000", clock=clock)
        assert wrong == unknown
    assert wrong.code == "officer.login.locked"


def test_five_wrong_pins_lock_out_even_the_right_pin_for_fifteen_minutes(kiosk):
    clock = FakeClock()
    add_officer(kiosk, "Budi", "1234", clock=clock)
    for _ in range(MISSES):
        last = sign_in(kiosk, "Budi", "0000", clock=clock)
    assert last.code == "officer.login.locked"
    assert last.seconds_locked(clock()) == 15 * 60
    clock.now += LOCK - timedelta(seconds=1)
    still = sign_in(kiosk, "Budi", "1234", clock=clock)
    assert not still.ok and still.seconds_locked(clock()) == 1
    clock.now += timedelta(seconds=1)
    assert sign_in(kiosk, "Budi", "1234", clock=clock).ok


def test_a_served_lockout_gives_five_new_attempts(kiosk):
    clock = FakeClock()
    add_officer(kiosk, "Budi", "1234", clock=clock)
    for _ in range(MISSES):
        sign_in(kiosk, "Budi", "0000", clock=clock)
    clock.now += LOCK
    answers = [sign_in(kiosk, "Budi", "0000", clock=clock).code for _ in range(MISSES)]
    assert answers == ["officer.login.wrong"] * (MISSES - 1) + ["officer.login.locked"]


def test_a_good_sign_in_resets_the_count(kiosk):
    add_officer(kiosk, "Budi", "1234")
    for _ in range(MISSES - 1):
        sign_in(kiosk, "Budi", "0000")
    assert sign_in(kiosk, "Budi", "1234").ok
    answers = [sign_in(kiosk, "Budi", "0000").code for _ in range(MISSES - 1)]
    assert answers == ["officer.login.wrong"] * (MISSES - 1)


def test_an_unknown_name_takes_as_long_to_refuse_as_a_wrong_pin(kiosk):
    # Interleaved, so both see the same load; each try a new lock window, so no name stays locked.
    clock = FakeClock()
    add_officer(kiosk, "Budi", "1234")
    unknown, wrong, right = [], [], []
    for _ in range(7):
        clock.now += LOCK
        for name, pin, times in [("Bodi", "1234", unknown), ("Budi", "0000", wrong)]:
            started = time.perf_counter()
            sign_in(kiosk, name, pin, clock=clock)
            times.append(time.perf_counter() - started)
        started = time.perf_counter()
        sign_in(kiosk, "Budi", "1234", clock=clock)
        right.append(time.perf_counter() - started)
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2, (statistics.median(unknown), statistics.median(wrong))
    # The yardstick: refusing is not faster than signing in, which hashes for sure.
    assert statistics.median(unknown) > statistics.median(right) / 2


def test_officer_add_asks_the_pin_twice_and_refuses_a_mismatch(data_dir):
    runner = CliRunner()
    differ = runner.invoke(cli, ["officer", "add", "Budi"], input="1234\n4321\n")
    assert differ.exit_code == 1 and "tidak sama" in differ.output
    same = runner.invoke(cli, ["officer", "add", "Budi"], input="1234\n1234\n")
    assert same.exit_code == 0, same.output
    scripted = runner.invoke(cli, ["officer", "add", "Ani", "--pin", "5678", "--json"])
    assert scripted.exit_code == 0 and '"name": "Ani"' in scripted.output
