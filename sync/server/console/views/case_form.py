"""What the complaint and submission screens share: fields whose text stays a draft across a
reload or a refused action, one section per action with its answer beside its button, and the
screen around them (back button, heading, message line)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.models.editing import CaseEditor
from sync.server.console.views.widgets import (
    Choice,
    Feedback,
    heading,
    message_line,
    say,
    subheading,
)


class CaseForm:
    """The drafts, actions and feedback of one case screen; the screen draws the case itself.

    `button_key` is the translation prefix of the action buttons (`{button_key}.{action}`);
    `collect_more` copies drafts the screen keeps outside `inputs` (checkboxes, say).
    """

    def __init__(
        self,
        ctx: ConsoleContext,
        editor: CaseEditor,
        *,
        button_key: str,
        collect_more: Callable[[], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.editor = editor
        self.button_key = button_key
        self.collect_more = collect_more
        self.message = message_line()
        self.body = ft.Column()
        self.inputs: dict[str, ft.TextField | Choice] = {}  # draft name -> its field
        self.feedback = Feedback(ctx.t("console.reload"), self.reload)
        self.draw: Callable[[], None] = lambda: None  # set by `screen`

    def text_input(self, name: str, caption: str, *, multiline: bool = False) -> ft.TextField:
        box = ft.TextField(
            label=caption,
            value=self.editor.drafts.get(name, ""),
            multiline=multiline,
            min_lines=2 if multiline else None,
            width=560,
        )
        self.inputs[name] = box
        return box

    def choice_input(
        self, name: str, caption: str, options: Sequence[tuple[str, str]], current: str | None
    ) -> Choice:
        picked = Choice(caption, options, self.editor.drafts.get(name) or current)
        self.inputs[name] = picked
        return picked

    def forget_controls(self) -> None:
        """Before the case is drawn again: its fields and answer rows are made anew."""
        self.inputs.clear()
        self.feedback.forget_controls()

    def collect(self) -> None:
        """Whatever is in the fields now becomes the drafts (kept across a reload)."""
        for name, control in self.inputs.items():
            value = control.picked if isinstance(control, Choice) else control.value
            self.editor.drafts[name] = value or ""
        if self.collect_more is not None:
            self.collect_more()

    def act(self, action: str) -> Callable[[Any], None]:
        def handler(_: Any) -> None:
            self.collect()
            outcome = self.editor.perform(action)
            self.feedback.show(action, outcome.message, error=not outcome.ok, stale=outcome.stale)
            if outcome.ok:
                say(self.message, outcome.message)
                self.draw()  # fresh fields: the sent drafts are gone, the others are kept

        return handler

    def reload(self, _: Any) -> None:
        self.collect()
        error = self.editor.load()
        sentence = error or self.ctx.t("console.case.reloaded")
        if self.feedback.last is not None:
            self.feedback.show(self.feedback.last[0], sentence, error=error is not None)
        say(self.message, sentence, error=error is not None)
        self.draw()

    def section(self, action: str, title: str, *controls: ft.Control) -> ft.Control:
        button = ft.Button(
            content=self.ctx.t(f"{self.button_key}.{action}"), on_click=self.act(action)
        )
        answer = self.feedback.row(action)
        return ft.Container(
            ft.Column([subheading(title), *controls, button, answer]),
            padding=ft.Padding.only(top=8, bottom=8),
        )

    def screen(
        self,
        draw: Callable[[], None],
        navigate: Any,
        *,
        back_label: str,
        back_route: str,
        heading_key: str,
    ) -> ft.Control:
        """Load the case, draw it into `body` with `draw`, and return the whole screen."""
        self.draw = draw
        error = self.editor.load()
        if error:
            say(self.message, error, error=True)
        draw()
        return ft.Column(
            [
                ft.Row(
                    [
                        ft.Button(
                            content=back_label,
                            icon=ft.Icons.ARROW_BACK,
                            on_click=lambda _: navigate(back_route),
                        ),
                        heading(self.ctx.t(heading_key, number=self.editor.number)),
                    ]
                ),
                self.message,
                self.body,
            ]
        )
