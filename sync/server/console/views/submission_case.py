"""One submission under review: each document's photo beside its checklist verdict, the roster
mismatches, and approve / reject / request documents / disbursement, as the role allows."""

from __future__ import annotations

from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.models import review
from sync.server.console.models.complaints import note_lines
from sync.server.console.models.labels import label
from sync.server.console.views.widgets import (
    Choice,
    Feedback,
    checkbox,
    heading,
    message_line,
    say,
    subheading,
)

PHOTO_WIDTH = 360


def submission_case_view(ctx: ConsoleContext, navigate: Any, number: str) -> ft.Control:
    editor = review.SubmissionEditor(ctx, number)
    message = message_line()
    body = ft.Column()
    inputs: dict[str, Any] = {}
    requested: dict[str, ft.Checkbox] = {}

    def text_input(name: str, caption: str) -> ft.TextField:
        box = ft.TextField(label=caption, value=editor.drafts.get(name, ""), width=560)
        inputs[name] = box
        return box

    def collect() -> None:
        for name, control in inputs.items():
            value = control.picked if isinstance(control, Choice) else control.value
            editor.drafts[name] = value or ""
        if requested:
            editor.drafts["documents"] = ",".join(d for d, box in requested.items() if box.value)

    def act(action: str) -> Any:
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

    def section(action: str, title: str, *controls: ft.Control) -> ft.Control:
        button = ft.Button(content=ctx.t(f"console.review.do.{action}"), on_click=act(action))
        answer = feedback.row(action)
        return ft.Container(
            ft.Column([subheading(title), *controls, button, answer]),
            padding=ft.Padding.only(top=8, bottom=8),
        )

    def document_row(row: review.ChecklistRow) -> ft.Control:
        verdict = ctx.t("console.review.present" if row.satisfied else "console.review.missing")
        words = [ft.Text(f"{row.title}: {verdict}", weight=ft.FontWeight.BOLD)]
        if row.why:
            words.append(ft.Text(row.why))
        if row.photo is not None:
            picture: ft.Control = ft.Image(
                src=row.photo,
                width=PHOTO_WIDTH,
                fit=ft.BoxFit.CONTAIN,
                semantics_label=ctx.t("console.review.photo_of", document=row.title),
            )
        else:
            picture = ft.Text(ctx.t("console.review.no_photo"), width=PHOTO_WIDTH)
        return ft.Row(
            [picture, ft.Column(words, expand=True)],
            vertical_alignment=ft.CrossAxisAlignment.START,
        )

    def draw() -> None:
        inputs.clear()
        feedback.forget_controls()
        requested.clear()
        case = editor.case
        if case is None:
            body.controls = []
            return
        row = case.row
        state = label("console.state", case.state, ctx.lang)
        if row.review == "documents_requested":
            state = ctx.t("console.review.documents_requested")
        facts = [
            ctx.t(
                "console.review.summary",
                program=row.program or "—",
                stage=row.stage or "—",
                state=state,
            ),
            ctx.t(
                "console.review.applicant",
                name=case.applicant_name or "—",
                nik=case.applicant_nik or "—",
            ),
            ctx.t("console.review.kk", kk=case.applicant_kk or "—"),
            ctx.t("console.review.collector", collector=case.collector or "—"),
            ctx.t("console.review.account", bank=case.bank or "—", account=case.account or "—"),
            ctx.t(
                "console.review.disbursement",
                status=label("console.disbursement", case.disbursement or "none", ctx.lang),
            ),
        ]
        parts: list[ft.Control] = [ft.Text(fact) for fact in facts]
        if case.message:
            parts.append(ft.Text(ctx.t("console.review.last_message", message=case.message)))
        parts.append(subheading(ctx.t("console.review.mismatches")))
        parts += [
            ft.Text(line, color=ft.Colors.ERROR) for line in review.mismatch_lines(ctx, case)
        ] or [ft.Text(ctx.t("console.review.no_mismatch"))]
        parts.append(subheading(ctx.t("console.review.documents")))
        parts += [document_row(line) for line in review.checklist_rows(ctx, case)] or [
            ft.Text(ctx.t("console.empty"))
        ]
        if case.missing_facts:
            parts.append(
                ft.Text(ctx.t("console.review.missing_facts", facts=", ".join(case.missing_facts)))
            )
        for action in case.actions:
            if action == "approve":
                parts.append(
                    section(
                        action,
                        ctx.t("console.review.approve"),
                        text_input("approve_note", ctx.t("console.review.approve_note")),
                    )
                )
            elif action == "reject":
                parts.append(
                    section(
                        action,
                        ctx.t("console.review.reject"),
                        text_input("reject_reason", ctx.t("console.review.reject_reason")),
                    )
                )
            elif action == "request_documents":
                chosen = set(editor.drafts.get("documents", "").split(","))
                for line in review.checklist_rows(ctx, case):
                    requested[line.document] = checkbox(
                        ctx.t("console.review.request_one", document=line.title)
                    )
                    requested[line.document].value = line.document in chosen
                parts.append(
                    section(
                        action,
                        ctx.t("console.review.request_documents"),
                        *requested.values(),
                        text_input("request_note", ctx.t("console.review.request_note")),
                    )
                )
            elif action == "set_disbursement":
                picked = Choice(
                    ctx.t("console.review.disbursement_status"),
                    review.disbursement_options(ctx),
                    editor.drafts.get("disbursement") or case.disbursement,
                )
                inputs["disbursement"] = picked
                parts.append(
                    section(
                        action,
                        ctx.t("console.review.set_disbursement"),
                        picked,
                        text_input("disbursement_note", ctx.t("console.review.disbursement_note")),
                    )
                )
        if not case.actions:
            parts.append(ft.Text(ctx.t("console.review.no_actions")))
        parts.append(subheading(ctx.t("console.case.notes")))
        parts += [ft.Text(line) for line in note_lines(ctx, case.notes)] or [
            ft.Text(ctx.t("console.empty"))
        ]
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
                        content=ctx.t("console.review.back"),
                        icon=ft.Icons.ARROW_BACK,
                        on_click=lambda _: navigate("/review"),
                    ),
                    heading(ctx.t("console.review.case_heading", number=editor.number)),
                ]
            ),
            message,
            body,
        ]
    )
