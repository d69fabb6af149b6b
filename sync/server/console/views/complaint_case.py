"""One complaint: the complainant's text (numbers masked), deadlines, the actions open to this role
in this state, notes and history. A conflicting edit keeps what was typed and offers a reload."""

from __future__ import annotations

from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.models import complaints
from sync.server.console.models.labels import label, local_time
from sync.server.console.views.widgets import (
    Choice,
    Feedback,
    heading,
    message_line,
    say,
    subheading,
)
from sync.server.staff.roles import Action


def complaint_case_view(ctx: ConsoleContext, navigate: Any, number: str) -> ft.Control:
    editor = complaints.ComplaintEditor(ctx, number)
    message = message_line()
    body = ft.Column()
    inputs: dict[str, Any] = {}  # draft name -> its TextField or Choice

    def text_input(name: str, caption: str, *, multiline: bool = False) -> ft.TextField:
        box = ft.TextField(
            label=caption,
            value=editor.drafts.get(name, ""),
            multiline=multiline,
            min_lines=2 if multiline else None,
            width=560,
        )
        inputs[name] = box
        return box

    def choice_input(
        name: str, caption: str, options: list[tuple[str, str]], current: str | None
    ) -> Choice:
        picked = Choice(caption, options, editor.drafts.get(name) or current)
        inputs[name] = picked
        return picked

    def collect() -> None:
        """Whatever is in the fields now becomes the drafts (kept across a reload)."""
        for name, control in inputs.items():
            value = control.picked if isinstance(control, Choice) else control.value
            editor.drafts[name] = value or ""

    def act(action: Action) -> Any:
        def handler(_: Any) -> None:
            collect()
            outcome = editor.perform(action)
            feedback.show(action, outcome.message, error=not outcome.ok, stale=outcome.stale)
            if outcome.ok:
                say(message, outcome.message)
                draw()  # fresh fields: the sent drafts are gone, the others are kept

        return handler

    def reload(_: Any) -> None:
        collect()
        error = editor.load()
        sentence = error or ctx.t("console.case.reloaded")
        if feedback.last is not None:
            feedback.show(feedback.last[0], sentence, error=error is not None)
        say(message, sentence, error=error is not None)
        draw()

    feedback = Feedback(ctx.t("console.reload"), reload)

    def section(action: Action, title: str, *controls: ft.Control) -> ft.Control:
        button = ft.Button(content=ctx.t(f"console.case.do.{action}"), on_click=act(action))
        answer = feedback.row(action)
        return ft.Container(
            ft.Column([subheading(title), *controls, button, answer]),
            padding=ft.Padding.only(top=8, bottom=8),
        )

    def action_sections(case: Any) -> list[ft.Control]:
        row = case.row
        made: dict[Action, ft.Control] = {
            Action.CLASSIFY: section(
                Action.CLASSIFY,
                ctx.t("console.case.classify"),
                choice_input(
                    "category",
                    ctx.t("console.case.category"),
                    complaints.category_options(ctx),
                    row.category,
                ),
                choice_input(
                    "severity",
                    ctx.t("console.case.severity"),
                    complaints.severity_options(ctx),
                    row.severity,
                ),
            ),
            Action.ASSIGN: section(
                Action.ASSIGN,
                ctx.t("console.case.assign"),
                choice_input(
                    "assignee",
                    ctx.t("console.case.assignee"),
                    complaints.assignee_options(ctx),
                    row.assignee,
                ),
            ),
            Action.REFER: section(
                Action.REFER,
                ctx.t("console.case.refer"),
                choice_input(
                    "refer_team", ctx.t("console.case.team"), complaints.team_options(ctx), None
                ),
                text_input("refer_note", ctx.t("console.case.refer_note")),
            ),
            Action.NOTE: section(
                Action.NOTE,
                ctx.t("console.case.note"),
                text_input("note_text", ctx.t("console.case.note_text"), multiline=True),
            ),
            Action.RESOLVE: section(
                Action.RESOLVE,
                ctx.t("console.case.resolve"),
                text_input(
                    "resolve_message", ctx.t("console.case.resolve_message"), multiline=True
                ),
            ),
            Action.CLOSE: section(
                Action.CLOSE,
                ctx.t("console.case.close"),
                text_input("close_note", ctx.t("console.case.close_note")),
            ),
            Action.REOPEN: section(
                Action.REOPEN,
                ctx.t("console.case.reopen"),
                text_input("reopen_reason", ctx.t("console.case.reopen_reason")),
            ),
            Action.ESCALATE: section(
                Action.ESCALATE,
                ctx.t("console.case.escalate"),
                text_input("escalate_note", ctx.t("console.case.escalate_note")),
            ),
        }
        return [made[action] for action in case.actions if action in made]

    def draw() -> None:
        inputs.clear()
        feedback.forget_controls()
        case = editor.case
        if case is None:
            body.controls = []
            return
        row = case.row
        facts = [
            ctx.t("console.case.state", state=label("console.state", row.state, ctx.lang)),
            ctx.t(
                "console.case.category_now",
                category=label("category", row.category, ctx.lang)
                if row.category
                else ctx.t("console.unset"),
            ),
            ctx.t(
                "console.case.severity_now",
                severity=label("console.severity", row.severity, ctx.lang)
                if row.severity
                else ctx.t("console.unset"),
            ),
            ctx.t(
                "console.case.handler",
                handler=row.assignee
                or (
                    label("console.team", row.team, ctx.lang)
                    if row.team
                    else ctx.t("console.queue.unassigned")
                ),
            ),
            ctx.t("console.case.first_response_due", due=local_time(row.first_response_due)),
            ctx.t("console.case.resolution_due", due=local_time(row.resolution_due)),
            ctx.t("console.case.received", at=local_time(row.received_at), area=row.area),
        ]
        if row.overdue:
            facts.append(ctx.t("console.queue.overdue"))
        if row.escalated:
            facts.append(ctx.t("console.queue.escalated"))
        person = [
            ctx.t("console.case.complainant", name=case.complainant_name or "—"),
            ctx.t("console.case.nik", nik=case.complainant_nik or "—"),
            ctx.t("console.case.phone", phone=case.complainant_phone or "—"),
        ]
        if case.related_register_number:
            person.append(ctx.t("console.case.related", number=case.related_register_number))
        parts: list[ft.Control] = [
            *(ft.Text(fact) for fact in facts),
            subheading(ctx.t("console.case.complainant_heading")),
            *(ft.Text(line) for line in person),
            ft.Container(
                ft.Text(case.description),
                bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                padding=12,
                width=640,
            ),
        ]
        if case.message:
            parts.append(ft.Text(ctx.t("console.case.last_message", message=case.message)))
        parts += action_sections(case) or [ft.Text(ctx.t("console.case.no_actions"))]
        parts.append(subheading(ctx.t("console.case.notes")))
        parts += [ft.Text(line) for line in complaints.note_lines(ctx, case.notes)] or [
            ft.Text(ctx.t("console.empty"))
        ]
        parts.append(subheading(ctx.t("console.case.history")))
        parts += [ft.Text(line) for line in complaints.history_lines(ctx, case)]
        body.controls = parts

    error = editor.load()
    if error:
        say(message, error, error=True)
    draw()
    return ft.Column(
        [
            ft.Row(
                [
                    ft.Button(
                        content=ctx.t("console.case.back"),
                        icon=ft.Icons.ARROW_BACK,
                        on_click=lambda _: navigate("/complaints"),
                    ),
                    heading(ctx.t("console.case.heading", number=editor.number)),
                ]
            ),
            message,
            body,
        ]
    )
