"""The admin's users screen: the accounts as lines, and adding or disabling one."""

from __future__ import annotations

from dataclasses import dataclass

from sync.server.console.context import ConsoleContext
from sync.server.console.models.labels import local_time
from sync.server.errors import StaffError
from sync.server.staff import accounts, twofactor
from sync.server.staff.roles import Action, Role


@dataclass(frozen=True)
class UserLine:
    name: str
    role: str
    status: str
    created: str
    disabled: bool


def user_lines(ctx: ConsoleContext) -> list[UserLine]:
    now = ctx.now()
    lines = []
    for account in accounts.list_users(ctx.db):
        if account.disabled:
            status = ctx.t("console.users.disabled")
        elif account.locked_until is not None and account.locked_until > now:
            status = ctx.t("console.users.locked", until=local_time(account.locked_until))
        else:
            status = ctx.t("console.users.active")
        lines.append(
            UserLine(
                account.user.name,
                ctx.t(f"console.role.{account.user.role}"),
                status,
                local_time(account.created_at),
                account.disabled,
            )
        )
    return lines


def role_options(ctx: ConsoleContext) -> list[tuple[str, str]]:
    return [(role.value, ctx.t(f"console.role.{role.value}")) for role in Role]


def add(ctx: ConsoleContext, name: str, role: str, password: str, again: str) -> tuple[bool, str]:
    """Add an account; (ok, the sentence to show). The typed name stays when it fails."""
    if ctx.user is None or not ctx.user.can(Action.MANAGE_USERS):
        return False, ctx.t("console.users.not_allowed")
    if not role:
        return False, ctx.t("console.users.choose_role")
    if password != again:
        return False, ctx.t("console.users.passwords_differ")
    try:
        added = accounts.add_user(ctx.db, name, role, password, now=ctx.now())
    except StaffError as exc:
        return False, ctx.error_text(exc)
    if added.role in twofactor.REQUIRED_FOR:  # no console sign-in until TOTP is set up
        return True, ctx.t("console.users.added_needs_totp", name=added.name)
    return True, ctx.t("console.users.added", name=added.name)


def disable(ctx: ConsoleContext, name: str) -> tuple[bool, str]:
    if ctx.user is not None and ctx.user.name == name:
        return False, ctx.t("console.users.not_yourself")
    try:
        accounts.disable_user(ctx.db, name, now=ctx.now(), actor=ctx.user)
    except StaffError as exc:
        return False, ctx.error_text(exc)
    return True, ctx.t("console.users.disabled_done", name=name)


def end_sessions(ctx: ConsoleContext, name: str) -> tuple[bool, str]:
    """Sign an account out of every console tab (a lost laptop, a shared desk left signed in)."""
    if ctx.user is None or ctx.end_sessions_of is None:
        return False, ctx.t("console.users.not_allowed")
    try:
        user = accounts.end_sessions(ctx.db, name, now=ctx.now(), actor=ctx.user)
    except StaffError as exc:
        return False, ctx.error_text(exc)
    ctx.end_sessions_of(user)
    return True, ctx.t("console.users.sessions_ended", name=user.name)
