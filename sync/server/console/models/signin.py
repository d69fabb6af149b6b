"""Signing staff in: the outcome of one attempt as the sentence the sign-in screen shows."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sync.server.console.context import ConsoleContext


def sign_in_message(ctx: ConsoleContext, result: Any, now: datetime) -> str:
    """Wrong name or password (one sentence, no count), locked (the minutes to wait), or refused.

    Nothing here depends on whether the name is an account: the result does not say.
    """
    if result.code == "locked" and result.locked_until is not None:
        minutes = max(1, math.ceil((result.locked_until - now).total_seconds() / 60))
        return ctx.t("console.signin.locked", minutes=minutes)
    if result.code == "wrong_password":
        return ctx.t("console.signin.wrong")
    return ctx.t("console.signin.refused")  # disabled, told only to one who knows the password


def attempt(ctx: ConsoleContext, name: str, password: str) -> tuple[bool, str]:
    """Try to sign in; on success the context holds the staff member. Returns (ok, message)."""
    from sync.server.staff.accounts import sign_in

    now = ctx.now()
    result = sign_in(ctx.db, name.strip(), password, now=now)
    if result.ok:
        ctx.user = result.user
        return True, ""
    return False, sign_in_message(ctx, result, now)
