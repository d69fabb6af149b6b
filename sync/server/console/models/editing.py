"""Editing a case that others may edit at the same time, without losing what was typed.

A `CaseEditor` keeps the case as last read (with its version) apart from the drafts the staff
member typed. Every action is sent with the version read; when someone else changed the case
meanwhile (StaleEdit) the drafts stay, `stale` is set, and after `load()` the same drafts can be
sent again. A refused action (not allowed in this state, not for this role) keeps them too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sync.server.console.context import ConsoleContext
from sync.server.errors import StaffError, StaleEdit


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    stale: bool = False  # someone else changed the case: reload; the drafts are kept


@dataclass(frozen=True)
class ActionSpec:
    """How one action is sent: the backend call and, per draft it uses, the call's keyword."""

    call: Callable[..., int]
    drafts: Mapping[str, str]
    # Turns a draft's text into the value the call takes (e.g. a list of documents).
    convert: Mapping[str, Callable[[str], Any]] | None = None


class CaseEditor:
    """One case as this staff member read it, and what they typed but have not sent yet."""

    actions: ClassVar[Mapping[str, ActionSpec]] = {}

    def __init__(self, ctx: ConsoleContext, number: str) -> None:
        self.ctx = ctx
        self.number = number
        self.case: Any | None = None
        self.drafts: dict[str, str] = {}
        self.stale = False

    def read(self) -> Any:
        """The case from the backend (subclasses)."""
        raise NotImplementedError

    def version(self) -> int:
        raise NotImplementedError

    def load(self) -> str | None:
        """Read the case again (its newest version); the drafts stay. Returns an error sentence."""
        try:
            self.case = self.read()
        except StaffError as exc:
            return self.ctx.error_text(exc)
        self.number = self.case.row.register_number
        self.stale = False
        return None

    def perform(self, action: str) -> Outcome:
        """Send one action with its drafts at the version read; clear those drafts when it worked."""
        if self.case is None or self.ctx.user is None:
            return Outcome(False, self.ctx.t("console.case.not_loaded"))
        spec = self.actions[str(action)]
        convert = spec.convert or {}
        arguments = {
            keyword: convert.get(name, str)(self.drafts.get(name, ""))
            for name, keyword in spec.drafts.items()
        }
        try:
            spec.call(
                self.ctx.db,
                self.ctx.user,
                self.number,
                version=self.version(),
                now=self.ctx.now(),
                **arguments,
            )
        except StaleEdit as exc:
            self.stale = True
            return Outcome(False, self.ctx.error_text(exc), stale=True)
        except StaffError as exc:
            return Outcome(False, self.ctx.error_text(exc))
        for name in spec.drafts:
            self.drafts.pop(name, None)
        error = self.load()
        done = self.ctx.t("console.case.done", action=self.ctx.t(f"console.action.{action}"))
        return Outcome(error is None, error or done)
