"""One submission under review: each document's photo beside its checklist verdict, the roster
mismatches, and approve / reject / request documents / disbursement, as the role allows."""

from __future__ import annotations

from typing import Any

import flet as ft

from sync.server.console.context import ConsoleContext
from sync.server.console.models import review
from sync.server.console.models.complaints import note_lines
from sync.server.console.models.labels import label
from sync.server.console.views.case_form import CaseForm
from sync.server.console.views.widgets import checkbox, subheading

PHOTO_WIDTH = 360


def submission_case_view(ctx: ConsoleContext, navigate: Any, number: str) -> ft.Control:
    editor = review.SubmissionEditor(ctx, number)
    requested: dict[str, ft.Checkbox] = {}  # document id -> its checkbox

    def collect_requested() -> None:
        if requested:
            editor.drafts["documents"] = ",".join(d for d, box in requested.items() if box.value)

    form = CaseForm(ctx, editor, button_key="console.review.do", collect_more=collect_requested)

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

    def action_fields(action: str, case: Any) -> list[ft.Control] | None:
        """The fields of one action's section; None for an action this screen does not offer."""
        if action == "approve":
            return [form.text_input("approve_note", ctx.t("console.review.approve_note"))]
        if action == "reject":
            return [form.text_input("reject_reason", ctx.t("console.review.reject_reason"))]
        if action == "request_documents":
            chosen = set(editor.drafts.get("documents", "").split(","))
            for line in review.checklist_rows(ctx, case):
                requested[line.document] = checkbox(
                    ctx.t("console.review.request_one", document=line.title)
                )
                requested[line.document].value = line.document in chosen
            return [
                *requested.values(),
                form.text_input("request_note", ctx.t("console.review.request_note")),
            ]
        if action == "set_disbursement":
            return [
                form.choice_input(
                    "disbursement",
                    ctx.t("console.review.disbursement_status"),
                    review.disbursement_options(ctx),
                    case.disbursement,
                ),
                form.text_input("disbursement_note", ctx.t("console.review.disbursement_note")),
            ]
        return None

    def draw() -> None:
        form.forget_controls()
        requested.clear()
        case = editor.case
        if case is None:
            form.body.controls = []
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
            fields = action_fields(action, case)
            if fields is not None:
                parts.append(form.section(action, ctx.t(f"console.review.{action}"), *fields))
        if not case.actions:
            parts.append(ft.Text(ctx.t("console.review.no_actions")))
        parts.append(subheading(ctx.t("console.case.notes")))
        parts += [ft.Text(line) for line in note_lines(ctx, case.notes)] or [
            ft.Text(ctx.t("console.empty"))
        ]
        form.body.controls = parts

    return form.screen(
        draw,
        navigate,
        back_label=ctx.t("console.review.back"),
        back_route="/review",
        heading_key="console.review.case_heading",
    )
