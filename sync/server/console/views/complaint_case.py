"""One complaint: the complainant's text (numbers masked), deadlines, the actions open to this role
in this state, notes and history. A conflicting edit keeps what was typed and offers a reload."""

from __future__ import annotations

from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.models import complaints
from sync.server.console.models.labels import label, local_time
from sync.server.console.views.case_form import CaseForm
from sync.server.console.views.widgets import subheading
from sync.server.staff.roles import Action


def complaint_case_view(ctx: ConsoleContext, navigate: Any, number: str) -> ft.Control:
    editor = complaints.ComplaintEditor(ctx, number)
    form = CaseForm(ctx, editor, button_key="console.case.do")

    def action_sections(case: Any) -> list[ft.Control]:
        row = case.row
        made: dict[Action, ft.Control] = {
            Action.CLASSIFY: form.section(
                Action.CLASSIFY,
                ctx.t("console.case.classify"),
                form.choice_input(
                    "category",
                    ctx.t("console.case.category"),
                    complaints.category_options(ctx),
                    row.category,
                ),
                form.choice_input(
                    "severity",
                    ctx.t("console.case.severity"),
                    complaints.severity_options(ctx),
                    row.severity,
                ),
            ),
            Action.ASSIGN: form.section(
                Action.ASSIGN,
                ctx.t("console.case.assign"),
                form.choice_input(
                    "assignee",
                    ctx.t("console.case.assignee"),
                    complaints.assignee_options(ctx),
                    row.assignee,
                ),
            ),
            Action.REFER: form.section(
                Action.REFER,
                ctx.t("console.case.refer"),
                form.choice_input(
                    "refer_team", ctx.t("console.case.team"), complaints.team_options(ctx), None
                ),
                form.text_input("refer_note", ctx.t("console.case.refer_note")),
            ),
            Action.NOTE: form.section(
                Action.NOTE,
                ctx.t("console.case.note"),
                form.text_input("note_text", ctx.t("console.case.note_text"), multiline=True),
            ),
            Action.RESOLVE: form.section(
                Action.RESOLVE,
                ctx.t("console.case.resolve"),
                form.text_input(
                    "resolve_message", ctx.t("console.case.resolve_message"), multiline=True
                ),
            ),
            Action.CLOSE: form.section(
                Action.CLOSE,
                ctx.t("console.case.close"),
                form.text_input("close_note", ctx.t("console.case.close_note")),
            ),
            Action.REOPEN: form.section(
                Action.REOPEN,
                ctx.t("console.case.reopen"),
                form.text_input("reopen_reason", ctx.t("console.case.reopen_reason")),
            ),
            Action.ESCALATE: form.section(
                Action.ESCALATE,
                ctx.t("console.case.escalate"),
                form.text_input("escalate_note", ctx.t("console.case.escalate_note")),
            ),
        }
        return [made[action] for action in case.actions if action in made]

    def draw() -> None:
        form.forget_controls()
        case = editor.case
        if case is None:
            form.body.controls = []
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
        form.body.controls = parts

    return form.screen(
        draw,
        navigate,
        back_label=ctx.t("console.case.back"),
        back_route="/complaints",
        heading_key="console.case.heading",
    )
