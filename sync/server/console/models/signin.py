"""Signing staff in: the outcome of one attempt as the sentence the sign-in screen shows, and
the guard that keeps a flood of attempts from stalling the server.

The console's handlers run on the event loop that also answers devices and `/health`, and each
attempt costs a password hash (tens of milliseconds). So an attempt first passes rate limits per
address and per name (answered at once, without a hash, when spent), then waits for one of a few
threads of its own; with too many already waiting it is told the server is busy.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync.server.console.context import ConsoleContext
from sync.server.ratelimit import Rate, RateLimiter

PER_ADDRESS = Rate(burst=10, refill_seconds=6.0)  # ten at once, then ten a minute
PER_NAME = Rate(burst=10, refill_seconds=30.0)  # the lockout's five misses, and a few more
HASHING_THREADS = 2  # the machines are small: the rest of the server keeps a core
MAX_WAITING = 8  # attempts queued for a thread; past that "busy", at once


@dataclass(frozen=True)
class SignInLimits:
    per_address: Rate = PER_ADDRESS
    per_name: Rate = PER_NAME
    threads: int = HASHING_THREADS
    max_waiting: int = MAX_WAITING


class SignInGuard:
    """One per server process: the rate limits and the threads every tab's sign-in goes through."""

    def __init__(
        self, limits: SignInLimits = SignInLimits(), clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self.by_address = RateLimiter(limits.per_address, clock=clock)
        self.by_name = RateLimiter(limits.per_name, clock=clock)
        self.executor = ThreadPoolExecutor(limits.threads, thread_name_prefix="console-sign-in")
        self.waiting = 0  # changed on the event loop only

    def wait_needed(self, address: str, name: str) -> float:
        """Seconds to wait before this address may try this name; 0.0 spends one attempt of each."""
        wait_address = self.by_address.take(address)
        if wait_address:
            return wait_address
        return self.by_name.take(" ".join(name.split()).casefold())

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def sign_in_message(ctx: ConsoleContext, result: Any, now: datetime, name: str = "") -> str:
    """Wrong name or password (one sentence, no count), locked (the minutes to wait), or refused.

    Nothing here depends on whether the name is an account: the result does not say.
    """
    if result.code == "locked" and result.locked_until is not None:
        minutes = max(1, math.ceil((result.locked_until - now).total_seconds() / 60))
        return ctx.t("console.signin.locked", minutes=minutes)
    if result.code == "wrong_password":
        return ctx.t("console.signin.wrong")  # a wrong one-time code too: the same sentence
    if result.code == "totp_needed":  # told only to one who knows the password, like "disabled"
        return ctx.t("console.signin.totp_needed", name=name)
    return ctx.t("console.signin.refused")  # disabled, told only to one who knows the password


def attempt(ctx: ConsoleContext, name: str, password: str, code: str = "") -> tuple[bool, str]:
    """Try to sign in; on success the context holds the staff member. Returns (ok, message)."""
    from sync.server.staff import twofactor
    from sync.server.staff.accounts import sign_in

    now = ctx.now()
    key = twofactor.server_key(ctx.state.settings.data_dir)
    result = sign_in(ctx.db, name.strip(), password, now=now, code=code, totp_key=key)
    if result.ok:
        ctx.password_changed_at = result.password_changed_at  # what the session is checked by
        ctx.user = result.user
        return True, ""
    return False, sign_in_message(ctx, result, now, " ".join(name.split()))


async def guarded_attempt(
    ctx: ConsoleContext,
    guard: SignInGuard,
    address: str,
    name: str,
    password: str,
    code: str = "",
) -> tuple[bool, str]:
    """`attempt` as the sign-in screen runs it: rate-limited, then off the event loop."""
    wait = guard.wait_needed(address, name)
    if wait:
        return False, ctx.t("console.signin.slow_down", seconds=max(1, math.ceil(wait)))
    if guard.waiting >= guard.limits.max_waiting:
        return False, ctx.t("console.signin.busy")
    guard.waiting += 1
    try:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(guard.executor, attempt, ctx, name, password, code)
    finally:
        guard.waiting -= 1
