"""The complaints queue and the case screen's logic, without Flet.

`ComplaintEditor` (see editing.py) keeps what the staff member typed apart from the case as last
read, so a conflicting edit loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kiosk.domain.complaints import ComplaintCategory
from sync.server.console.context import ConsoleContext
from sync.server.console.models.editing import ActionSpec, CaseEditor
from sync.server.console.models.filtering import read_filtered
from sync.server.console.models.labels import label, local_time
from sync.server.errors import BadFilter
from sync.server.staff import accounts, cases, monitoring
from sync.server.staff.roles import Action, Role
from sync.server.staff.workflow import OPEN_COMPLAINT, Severity, Team

ALL_STATES = "all"
OPEN_STATES = "open"
QUEUE_FILTERS = ("state", "category", "team", "area_prefix", "overdue_only", "escalated_only")


@dataclass(frozen=True)
class QueueLine:
    """One complaint in the queue, as the screen shows it."""

    number: str
    category: str
    severity: str
    state: str
    handler: str  # assignee, else the team it sits with
    due: str
    area: str
    overdue: bool
    escalated: bool

    def flags(self, ctx: ConsoleContext) -> str:
        marks = []
        if self.overdue:
            marks.append(ctx.t("console.queue.overdue"))
        if self.escalated:
            marks.append(ctx.t("console.queue.escalated"))
        return " · ".join(marks)


def queue_line(ctx: ConsoleContext, row: cases.ComplaintRow) -> QueueLine:
    lang = ctx.lang
    handler = row.assignee or (label("console.team", row.team, lang) if row.team else "")
    return QueueLine(
        number=row.register_number,
        category=label("category", row.category, lang) if row.category else ctx.t("console.unset"),
        severity=label("console.severity", row.severity, lang) if row.severity else "",
        state=label("console.state", row.state, lang),
        handler=handler or ctx.t("console.queue.unassigned"),
        due=local_time(row.due_at),
        area=row.area,
        overdue=row.overdue,
        escalated=row.escalated,
    )


def queue_filters(form: Mapping[str, str]) -> cases.QueueFilters:
    """The queue's filters from the form; BadFilter names the field that cannot be read."""
    for name in form:
        if name not in QUEUE_FILTERS:
            raise BadFilter(name, "unknown_field", allowed=", ".join(QUEUE_FILTERS))
    state = (form.get("state") or OPEN_STATES).strip()
    if state == OPEN_STATES:
        states = None
    elif state == ALL_STATES:
        states = (*(s.value for s in OPEN_COMPLAINT), "resolved", "closed")
    elif state in {"synced", "in_progress", "referred", "reopened", "resolved", "closed"}:
        states = (state,)
    else:
        raise BadFilter("state", "unknown_field", allowed=f"{OPEN_STATES}, {ALL_STATES}")
    category = (form.get("category") or "").strip() or None
    if category is not None and category not in {c.value for c in ComplaintCategory}:
        raise BadFilter("category", "unknown_field", allowed=", ".join(ComplaintCategory))
    team = (form.get("team") or "").strip() or None
    if team is not None and team not in {t.value for t in Team}:
        raise BadFilter("team", "unknown_field", allowed=", ".join(Team))
    area = (form.get("area_prefix") or "").strip()
    # The same region rule as monitoring: 31.74 and 3174 both mean Jakarta Selatan.
    area_prefix = monitoring.parse_filters({"area_prefix": area}).area_prefix if area else None
    return cases.QueueFilters(
        states=states,
        category=category,
        team=team,
        area_prefix=area_prefix,
        overdue_only=form.get("overdue_only") == "yes",
        escalated_only=form.get("escalated_only") == "yes",
    )


QUEUE_COLUMNS = ("register_number", "due_at", "overdue", "escalated", "state", "category",
                 "severity", "assignee", "team", "area", "received_at")  # fmt: skip


@dataclass
class QueueScreen:
    form: dict[str, str] = field(default_factory=dict)
    lines: list[QueueLine] = field(default_factory=list)
    rows: list[cases.ComplaintRow] = field(default_factory=list)
    error: str | None = None
    error_field: str | None = None


def queue_csv(ctx: ConsoleContext, screen: QueueScreen) -> tuple[str, str]:
    """(file name, CSV) of the queue as shown: codes and ISO times, for a spreadsheet."""
    table = monitoring.Table(
        "complaints_queue",
        QUEUE_COLUMNS,
        tuple(tuple(getattr(row, column) for column in QUEUE_COLUMNS) for row in screen.rows),
    )
    return f"lengkap-complaints-{ctx.now():%Y%m%d-%H%M}.csv", monitoring.to_csv(table)


def load_queue(ctx: ConsoleContext, screen: QueueScreen) -> None:
    """The queue for the form, most urgent first; or the sentence naming the bad filter."""
    rows = read_filtered(
        ctx,
        screen,
        lambda: cases.complaint_queue(ctx.db, now=ctx.now(), filters=queue_filters(screen.form)),
    )
    if rows is None:
        return
    # The backend orders by the next deadline; keep that order (a stable sort would not change it).
    screen.rows = rows
    screen.lines = [queue_line(ctx, row) for row in rows]


# --- the case screen ---------------------------------------------------------------------------


class ComplaintEditor(CaseEditor):
    """A complaint being handled; each action names the drafts it sends."""

    actions: ClassVar[Mapping[str, ActionSpec]] = {
        Action.CLASSIFY: ActionSpec(
            cases.classify, {"category": "category", "severity": "severity"}
        ),
        Action.ASSIGN: ActionSpec(cases.assign, {"assignee": "assignee"}),
        Action.REFER: ActionSpec(cases.refer, {"refer_team": "to_team", "refer_note": "note"}),
        Action.NOTE: ActionSpec(cases.add_note, {"note_text": "text"}),
        Action.RESOLVE: ActionSpec(cases.resolve, {"resolve_message": "message"}),
        Action.CLOSE: ActionSpec(cases.close, {"close_note": "note"}),
        Action.REOPEN: ActionSpec(cases.reopen, {"reopen_reason": "reason"}),
        Action.ESCALATE: ActionSpec(cases.escalate, {"escalate_note": "note"}),
    }

    def read(self) -> cases.ComplaintCase:
        return cases.complaint_detail(
            self.ctx.db, self.number, now=self.ctx.now(), viewer=self.ctx.user
        )

    def version(self) -> int:
        assert self.case is not None
        return int(self.case.row.version)


def category_options(ctx: ConsoleContext) -> list[tuple[str, str]]:
    return [(c.value, label("category", c.value, ctx.lang)) for c in ComplaintCategory]


def severity_options(ctx: ConsoleContext) -> list[tuple[str, str]]:
    return [(s.value, label("console.severity", s.value, ctx.lang)) for s in Severity]


def team_options(ctx: ConsoleContext) -> list[tuple[str, str]]:
    return [(t.value, label("console.team", t.value, ctx.lang)) for t in Team]


def state_options(ctx: ConsoleContext) -> list[tuple[str, str]]:
    states = ("synced", "in_progress", "referred", "reopened", "resolved", "closed")
    return [
        (OPEN_STATES, ctx.t("console.queue.open_states")),
        (ALL_STATES, ctx.t("console.queue.all_states")),
        *((state, label("console.state", state, ctx.lang)) for state in states),
    ]


def assignee_options(ctx: ConsoleContext) -> list[tuple[str, str]]:
    """Active staff who handle complaints (an admin handles none)."""
    lang = ctx.lang
    return [
        (
            account.user.name,
            f"{account.user.name} ({label('console.role', account.user.role, lang)})",
        )
        for account in accounts.list_users(ctx.db)
        if not account.disabled and account.user.role is not Role.ADMIN
    ]


def history_lines(ctx: ConsoleContext, case: cases.ComplaintCase) -> list[str]:
    """Who did what, when: oldest first."""
    lines = []
    for entry in case.history:
        who = entry.who or ctx.t("console.case.system")
        what = label("console.history", entry.action, ctx.lang)
        # A staff action's outcome is the state it left; a push's, how it arrived.
        outcome = label("console.outcome", entry.outcome, ctx.lang)
        if outcome == entry.outcome:
            outcome = label("console.state", entry.outcome, ctx.lang)
        lines.append(
            ctx.t(
                "console.case.history_line",
                at=local_time(entry.at),
                who=who,
                what=what,
                outcome=outcome,
            )
        )
    return lines


def note_lines(ctx: ConsoleContext, notes: tuple[Any, ...]) -> list[str]:
    return [
        ctx.t(
            "console.case.note_line",
            at=local_time(note.at),
            who=note.who or ctx.t("console.case.system"),
            kind=label("console.note_kind", note.kind, ctx.lang),
            text=note.text,
        )
        for note in notes
    ]
