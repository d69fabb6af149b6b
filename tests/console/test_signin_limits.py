"""Sign-in rate limits: per address and per name, answered at once without a password hash."""

from __future__ import annotations

import asyncio
from unittest import mock

import pytest

from kiosk.domain import credentials
from sync.server.console.models.signin import SignInGuard, SignInLimits, guarded_attempt
from sync.server.ratelimit import Rate, RateLimiter
from tests.console.conftest import PASSWORD


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_spends_its_burst_then_waits_for_one_refill_and_others_are_untouched():
    clock = Clock()
    limiter = RateLimiter(Rate(burst=3, refill_seconds=10.0), clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(10.0)
    assert limiter.take("b") == 0.0
    clock.now += 4.0
    assert limiter.take("a") == pytest.approx(6.0)  # a refused attempt earns nothing
    clock.now += 6.0
    assert limiter.take("a") == 0.0
    assert limiter.take("a") == pytest.approx(10.0)


def test_the_buckets_are_bounded_forgetting_the_oldest():
    limiter = RateLimiter(Rate(burst=1, refill_seconds=60.0), capacity=100, clock=Clock())
    for i in range(1000):
        limiter.take(f"address-{i}")
    assert len(limiter) == 100
    assert limiter.take("address-999") > 0  # the newest are remembered
    assert limiter.take("address-0") == 0.0  # the oldest forgotten


def attempts(ctx, guard, address, name, password, times):
    async def run():
        return [await guarded_attempt(ctx, guard, address, name, password) for _ in range(times)]

    return asyncio.run(run())


@pytest.fixture
def guard():
    limits = SignInLimits(per_address=Rate(3, 60.0), per_name=Rate(4, 60.0))
    opened = SignInGuard(limits, clock=Clock())
    yield opened
    opened.close()


def test_one_address_past_its_burst_is_told_to_wait_without_a_password_being_hashed(tab, guard):
    ctx = tab("officer")
    name, ctx.user = ctx.user.name, None
    wrong = ctx.t("console.signin.wrong")
    assert attempts(ctx, guard, "10.1.1.1", name, "not-the-password", 3) == [(False, wrong)] * 3
    with mock.patch.object(credentials, "verify", wraps=credentials.verify) as hashed:
        later = attempts(ctx, guard, "10.1.1.1", name, PASSWORD, 2)
        other_name = attempts(ctx, guard, "10.1.1.1", name + "-x", PASSWORD, 1)
        assert hashed.call_count == 0 and ctx.user is None
        elsewhere = attempts(ctx, guard, "10.2.2.2", name, PASSWORD, 1)
        assert hashed.call_count == 1  # another address: hashed, and in
    slow_down = (False, ctx.t("console.signin.slow_down", seconds=60))
    assert later == [slow_down] * 2 and other_name == [slow_down]
    assert elsewhere == [(True, "")] and ctx.user is not None


def test_one_name_past_its_burst_is_told_to_wait_from_any_address(tab, guard):
    ctx = tab("officer")
    name, ctx.user = ctx.user.name, None
    for i in range(4):
        attempts(ctx, guard, f"10.3.{i}.1", f" {name.upper()} ", "not-the-password", 1)
    with mock.patch.object(credentials, "verify", wraps=credentials.verify) as hashed:
        refused = attempts(ctx, guard, "10.9.9.9", name, PASSWORD, 1)
    assert refused == [(False, ctx.t("console.signin.slow_down", seconds=60))]
    assert hashed.call_count == 0 and ctx.user is None


def test_too_many_attempts_waiting_for_a_thread_are_told_the_server_is_busy(tab):
    ctx = tab("officer")
    name, ctx.user = ctx.user.name, None
    guard = SignInGuard(SignInLimits(threads=1, max_waiting=2))

    async def flood():
        tries = [
            guarded_attempt(ctx, guard, f"10.4.{i}.1", f"{name}-{i}", "not-the-password")
            for i in range(6)
        ]
        return await asyncio.gather(*tries)

    try:
        answers = asyncio.run(flood())
    finally:
        guard.close()
    busy = (False, ctx.t("console.signin.busy"))
    assert answers.count(busy) == 4
    assert answers.count((False, ctx.t("console.signin.wrong"))) == 2
