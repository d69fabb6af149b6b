"""The ingest gate on its own: a short wait in line, then "later" with a Retry-After that fits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

from sync.protocol import ErrorCode
from sync.server.errors import RequestError
from sync.server.gate import Gate


def run_alone(scenario: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run `scenario` on a loop of its own thread: the test session's thread may have one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(scenario())).result()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_push_waits_briefly_for_a_slot_instead_of_being_turned_away():
    gate = Gate(1, retry_after=1.0, max_wait=5.0)

    async def scenario() -> list[str]:
        order: list[str] = []

        async def holder() -> None:
            async with gate.entered():
                order.append("first in")
                await asyncio.sleep(0.05)
            order.append("first out")

        async def waiter() -> None:
            await asyncio.sleep(0.01)
            async with gate.entered():
                order.append("second in")

        await asyncio.gather(holder(), waiter())
        return order

    assert run_alone(scenario) == ["first in", "first out", "second in"]


def test_a_wait_is_bounded_in_time_and_in_length():
    gate = Gate(1, retry_after=1.0, max_wait=0.05, max_waiting=1)

    async def scenario() -> tuple[str, str]:
        async def waiting() -> str:
            try:
                async with gate.entered():
                    return "admitted"
            except RequestError as refused:
                return refused.code.value

        with gate.admitted():  # the only slot, held throughout
            first = asyncio.create_task(waiting())
            await asyncio.sleep(0.01)
            second = await waiting()  # the line (of one) is full: refused at once
            return await first, second

    assert run_alone(scenario) == (ErrorCode.OVERLOADED.value, ErrorCode.OVERLOADED.value)


def test_a_place_in_line_is_refused_before_the_body_when_admitted_work_fills_the_line():
    gate = Gate(1, retry_after=1.0, max_waiting=1, max_wait=5.0)

    async def scenario() -> str:
        with gate.admitted():  # the only slot, held throughout
            waiting = asyncio.create_task(_enter_and_leave(gate))
            await asyncio.sleep(0.01)  # ... and the line of one taken by a waiting push
            try:
                with gate.reserved():
                    return "given a place"
            except RequestError as refused:
                return refused.code.value
            finally:
                waiting.cancel()

    assert run_alone(scenario) == ErrorCode.OVERLOADED.value
    with gate.reserved():  # places are given back when the requests end
        pass


def test_requests_still_reading_their_bodies_never_fill_the_gate():
    # Forty slow senders hold places in line while their bodies trickle in (slow-loris): the
    # gate counts only admitted work, so a push that arrives whole is still admitted at once.
    gate = Gate(1, retry_after=1.0, max_waiting=1)
    with ExitStack() as trickling:
        for _ in range(40):
            trickling.enter_context(gate.reserved())
        with gate.reserved(), gate.admitted():
            pass


async def _enter_and_leave(gate: Gate) -> None:
    async with gate.entered():
        pass


def test_retry_after_grows_with_the_load_and_stays_within_its_bounds():
    clock = FakeClock()
    gate = Gate(2, retry_after=1.0, longest_retry_after=30.0, clock=clock)
    for _ in range(4):  # pushes that held a slot for 2 s each: the gate serves one a second
        with gate.admitted():
            clock.now += 2.0
    waits = [gate.refusal().retry_after for _ in range(40)]
    assert waits[0] == 1.0  # the first refused comes back soon
    assert waits == sorted(waits)  # those refused later are sent further out, not all at once
    assert waits[9] == 10.0 and waits[-1] == 30.0  # one a second, up to the cap
    clock.now += 10.0  # those booked are still to come: the next is sent after them
    assert gate.refusal().retry_after == 21.0
    clock.now += 60.0  # the burst is over: the next refusal is near again
    assert gate.refusal().retry_after == 1.0


def test_without_load_the_retry_after_is_the_configured_floor():
    gate = Gate(8, retry_after=2.0)
    refusal = gate.refusal()
    assert refusal.retry_after == 2.0 and refusal.headers() == {"Retry-After": "2"}


def test_a_push_cancelled_in_line_leaves_neither_its_place_nor_a_slot_behind():
    gate = Gate(1, retry_after=1.0, max_wait=1.0, max_waiting=1)

    async def scenario() -> str:
        async def wait_in_line() -> str:
            try:
                async with gate.entered():
                    return "admitted"
            except RequestError as refused:
                return refused.code.value

        held = gate.admitted()
        held.__enter__()
        cancelled = asyncio.create_task(wait_in_line())
        await asyncio.sleep(0.01)
        cancelled.cancel()
        await asyncio.gather(cancelled, return_exceptions=True)
        second = asyncio.create_task(wait_in_line())  # the line (of one) has room again
        await asyncio.sleep(0.01)
        held.__exit__(None, None, None)  # the slot goes to the one really waiting
        return await second

    assert run_alone(scenario) == "admitted"
