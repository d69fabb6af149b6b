"""The sync panel: what waits, when sync last worked, progress while it runs, the last error in words.

It only watches the background sync service (kiosk/services/sync_supervisor.py) and asks it for a
run now; `panel_lines` and `progress_value` are tested without Flet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from kiosk.services.sync import SyncStatus
from kiosk.services.sync import sync_status as read_sync_status
from kiosk.services.sync_supervisor import MonitorState, SyncSupervisor
from kiosk.views.shell import AppContext, Navigate, acting, heading


def panel_lines(ctx: AppContext, status: SyncStatus, state: MonitorState) -> list[str]:
    """The panel's sentences: counts, last success, progress or outcome, the last error."""
    lines = [
        ctx.t("sync_panel.pending", count=status.pending),
        ctx.t("sync_panel.sent", count=status.sent),
        ctx.t("sync_panel.last_success", when=status.last_success_at)
        if status.last_success_at
        else ctx.t("sync_panel.never"),
    ]
    if state.running:
        lines.append(ctx.t("sync_panel.running"))
        if state.progress is not None:
            p = state.progress
            lines.append(
                ctx.t(
                    "sync_panel.progress",
                    records_done=p.records_done,
                    records_total=p.records_total,
                    kilobytes_done=round(p.bytes_done / 1024),
                    kilobytes_total=round(p.bytes_total / 1024),
                )
            )
    elif state.last_sent is not None and state.error is None:
        lines.append(ctx.t("sync_panel.done", sent=state.last_sent))
    error = state.error or (status.last_error if not state.running else None)
    if error:
        reason = ctx.t(error["code"], **{"server": "?", **error.get("params", {})})
        lines.append(ctx.t("sync_panel.last_error", reason=reason))
    return lines


def progress_value(state: MonitorState) -> float | None:
    """0..1 for the bar (bytes first, then records); None shows an indefinite bar."""
    p = state.progress
    if p is None:
        return None
    if p.bytes_total:
        return min(1.0, p.bytes_done / p.bytes_total)
    if p.records_total:
        return min(1.0, p.records_done / p.records_total)
    return None


def sync_panel_view(ctx: AppContext, navigate: Navigate) -> ft.Control:
    supervisor: SyncSupervisor = ctx.extras["sync_supervisor"]
    monitor = supervisor.monitor
    run_thread: Callable[..., Any] = ctx.extras["run_thread"]
    lines = ft.Column()
    bar = ft.ProgressBar(semantics_label=ctx.t("sync_panel.progress_label"), visible=False)
    button = ft.Button(content=ctx.t("sync_panel.sync_now"), autofocus=True)

    def fill() -> None:
        state = monitor.state()
        lines.controls = [
            ft.Text(line) for line in panel_lines(ctx, read_sync_status(ctx.kiosk), state)
        ]
        bar.visible = state.running
        bar.value = progress_value(state)
        button.disabled = state.running

    def refresh() -> None:
        # Called from the sync thread: fill and push, since no handler will update the page.
        fill()
        try:
            column.update()
        except RuntimeError:  # the panel left the page between the check and the update
            monitor.forget(ctx)

    def start(_: Any) -> None:
        if not monitor.state().running:
            run_thread(supervisor.sync_now)

    button.on_click = acting(ctx, start)
    column = ft.Column([heading(ctx.t("sync_panel.heading")), lines, bar, button])
    fill()
    monitor.listen(ctx, refresh)
    return column
