"""Small pieces every console screen uses: headings, messages, tables, a labelled dropdown."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flet as ft

from sync.server.console.models.filtering import FilteredScreen


def heading(value: str) -> ft.Text:
    return ft.Text(value, theme_style=ft.TextThemeStyle.HEADLINE_SMALL)


def subheading(value: str) -> ft.Text:
    return ft.Text(value, theme_style=ft.TextThemeStyle.TITLE_MEDIUM)


def message_line() -> ft.Text:
    """Where a screen says what went wrong (or right); empty until then."""
    return ft.Text("")


def say(line: ft.Text, sentence: str, *, error: bool = False) -> None:
    line.value = sentence
    line.color = ft.Colors.ERROR if error else None


def say_filter_error(
    line: ft.Text, fields: Mapping[str, ft.TextField], screen: FilteredScreen, check_field: str
) -> bool:
    """Mark the field the screen's error names (unmark the others) and say the error on `line`;
    False when the filters were read."""
    for name, box in fields.items():
        box.error = check_field if name == screen.error_field else None
    if screen.error:
        say(line, screen.error, error=True)
        return True
    return False


def refresh(*controls: ft.Control) -> None:
    """Send these controls to the browser now. A field the person typed into keeps its text on
    screen when a handler only changes its value (Flet 1.0.5), so resets are sent explicitly."""
    for control in controls:
        control.update()


def table_header(columns: Sequence[tuple[str, int]]) -> ft.Control:
    """Bold column names over rows laid out with the same widths."""
    return ft.Row(
        [ft.Text(name, width=width, weight=ft.FontWeight.BOLD) for name, width in columns]
    )


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> ft.DataTable:
    """A plain read-only table; every cell is text a screen reader reads out."""
    return ft.DataTable(
        columns=[ft.DataColumn(ft.Text(name)) for name in columns],
        rows=[
            ft.DataRow(
                cells=[ft.DataCell(ft.Text("" if cell is None else str(cell))) for cell in row]
            )
            for row in rows
        ],
    )


def label_width(shown: str) -> int:
    """A width for a Radio or Checkbox labelled `shown`: in a wrapping Row one without a width
    takes the whole line (Flet 1.0.5), so options would stack instead of sitting side by side."""
    return min(640, 56 + round(7.5 * len(shown)))


class Choice(ft.Column):
    """One of a few options as labelled radio buttons under a caption (a Dropdown in this Flet
    version reaches screen readers as an unlabelled button, so it is not used)."""

    def __init__(self, caption: str, options: Sequence[tuple[str, str]], value: str | None = None):
        self.group = ft.RadioGroup(
            value=value,
            content=ft.Row(
                [
                    ft.Radio(value=key, label=shown, width=label_width(shown))
                    for key, shown in options
                ],
                wrap=True,
            ),
        )
        super().__init__([ft.Text(caption), self.group], spacing=2)

    @property
    def picked(self) -> str | None:
        return self.group.value or None

    def clear(self) -> None:
        self.group.value = None


def checkbox(label: str) -> ft.Checkbox:
    return ft.Checkbox(label=label, width=label_width(label))


class Feedback:
    """Where a case screen answers an action: beside the button that was pressed (the top of a
    long screen may be out of sight), with a reload button when someone else changed the case."""

    def __init__(self, reload_label: str, on_reload: Callable[[Any], None]) -> None:
        self.reload_label = reload_label
        self.on_reload = on_reload
        self.last: tuple[str, str, bool] | None = None  # (action, sentence, is an error)
        self.stale = False
        self.lines: dict[str, ft.Text] = {}
        self.reloads: dict[str, ft.Button] = {}

    def forget_controls(self) -> None:
        """Before the screen is drawn again: the rows are made anew by `row`."""
        self.lines.clear()
        self.reloads.clear()

    def row(self, action: str) -> ft.Control:
        line = message_line()
        button = ft.Button(
            content=self.reload_label, icon=ft.Icons.REFRESH, on_click=self.on_reload, visible=False
        )
        self.lines[action], self.reloads[action] = line, button
        self._apply(action)
        return ft.Row([line, button], wrap=True)

    def show(self, action: str, sentence: str, *, error: bool, stale: bool = False) -> None:
        self.last, self.stale = (action, sentence, error), stale
        for name in self.lines:
            self._apply(name)

    def _apply(self, action: str) -> None:
        mine = self.last is not None and self.last[0] == action
        sentence, error = (self.last[1], self.last[2]) if mine and self.last else ("", False)
        say(self.lines[action], sentence, error=error)
        self.reloads[action].visible = mine and self.stale
