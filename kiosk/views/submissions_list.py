"""The officer's list of submissions on this device: pending, sent or rejected, with the reason,
and the state the centre set (verified, rejected, ...) with its note once it came back."""

from __future__ import annotations

from typing import Any

import flet as ft

from kiosk.services.counter import SubmissionLine, submission_lines
from kiosk.views.shell import AppContext, Navigate, acting, heading


def describe(ctx: AppContext, line: SubmissionLine) -> tuple[str, str]:
    """(what it is, where it stands and why): the NIK masked, the reason in the session's language."""
    what = ctx.t(
        "submissions.line",
        number=line.register_number,
        program=line.program,
        stage=line.stage,
        nik=line.nik_masked,
    )
    completeness = ctx.t(f"submissions.{line.completeness}")
    state = f"{ctx.t(f'submissions.state_{line.outbox_state}')} · {completeness}"
    sentence = (line.reason or {}).get(ctx.lang)
    if line.outbox_state == "quarantined" or line.reason_code:
        sentence = sentence or ctx.t(f"sync.code.{line.reason_code}")
    described = f"{state}: {sentence}" if sentence else state
    if line.state not in ("draft", "queued"):  # what the centre decided, once it said something
        described += " · " + ctx.t(f"status.submission.{line.state}")
        note = line.note_in(ctx.lang)
        if note:
            described += " " + ctx.t("selfcheck.note_line", note=note)
    return what, described


def submissions_list_view(ctx: AppContext, navigate: Navigate) -> ft.Control:
    listing = ft.Column()

    def load(_: Any = None) -> None:
        lines = submission_lines(ctx.kiosk)
        listing.controls = [
            ft.ListTile(title=ft.Text(what), subtitle=ft.Text(state))
            for what, state in (describe(ctx, line) for line in lines)
        ] or [ft.Text(ctx.t("submissions.empty"))]

    load()
    return ft.Column(
        [
            heading(ctx.t("submissions.heading")),
            ft.Button(
                content=ctx.t("submissions.refresh"), on_click=acting(ctx, load), autofocus=True
            ),
            listing,
        ]
    )
