"""Reading a screen's rows for the filters typed into its form, or saying which filter is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sync.server.console.context import ConsoleContext
from sync.server.errors import BadFilter

T = TypeVar("T")


class FilteredScreen(Protocol):
    error: str | None
    error_field: str | None


def read_filtered(ctx: ConsoleContext, screen: FilteredScreen, read: Callable[[], T]) -> T | None:
    """`read()` with the screen's error cleared; None when a filter is bad, the screen then holding
    the sentence and the field to mark (the form stays as typed, to be corrected)."""
    screen.error = screen.error_field = None
    try:
        return read()
    except BadFilter as exc:
        screen.error, screen.error_field = ctx.error_text(exc), exc.field
        return None
