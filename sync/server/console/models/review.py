"""Submission review without Flet: the queue, a submission's checklist, photos and roster
mismatches, and the reviewer's actions (approve, reject, request documents, disbursement)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sync.server.console.context import ConsoleContext
from sync.server.console.models.editing import ActionSpec, CaseEditor
from sync.server.console.models.filtering import read_filtered
from sync.server.console.models.labels import label, local_time
from sync.server.errors import BadFilter
from sync.server.staff import monitoring, review
from sync.server.staff.workflow import DisbursementStatus

REVIEW_FILTERS = ("state", "program", "stage", "area_prefix", "mismatch_only", "incomplete_only")
STATES = ("synced", "verified", "rejected", "disbursed")


@dataclass(frozen=True)
class ReviewLine:
    number: str
    program: str
    state: str
    complete: str
    mismatch: bool
    disbursement: str
    received: str
    area: str


def review_line(ctx: ConsoleContext, row: review.SubmissionRow) -> ReviewLine:
    lang = ctx.lang
    if row.review == "documents_requested":
        state = ctx.t("console.review.documents_requested")
    else:
        state = label("console.state", row.state, lang)
    complete = (
        "" if row.complete is None else ctx.t("console.yes" if row.complete else "console.no")
    )
    stage = ctx.t("console.review.stage", stage=row.stage) if row.stage else ""
    return ReviewLine(
        number=row.register_number,
        program=" ".join(part for part in (row.program or "", stage) if part),
        state=state,
        complete=complete,
        mismatch=bool(row.mismatch),
        disbursement=label("console.disbursement", row.disbursement or "none", lang),
        received=local_time(row.received_at),
        area=row.area,
    )


def review_filters(form: Mapping[str, str]) -> review.ReviewFilters:
    """The queue's filters from the form; BadFilter names the field that cannot be read."""
    for name in form:
        if name not in REVIEW_FILTERS:
            raise BadFilter(name, "unknown_field", allowed=", ".join(REVIEW_FILTERS))
    state = (form.get("state") or "synced").strip()
    if state not in STATES:
        raise BadFilter("state", "unknown_field", allowed=", ".join(STATES))
    # Program, stage and region follow monitoring's rules, so both screens read them alike.
    common = monitoring.parse_filters(
        {k: form[k] for k in ("program", "stage", "area_prefix") if (form.get(k) or "").strip()}
    )
    return review.ReviewFilters(
        states=(state,),
        program=common.program,
        stage=common.stage,
        area_prefix=common.area_prefix,
        mismatch_only=form.get("mismatch_only") == "yes",
        incomplete_only=form.get("incomplete_only") == "yes",
    )


@dataclass
class ReviewScreen:
    form: dict[str, str] = field(default_factory=dict)
    lines: list[ReviewLine] = field(default_factory=list)
    error: str | None = None
    error_field: str | None = None


def load_queue(ctx: ConsoleContext, screen: ReviewScreen) -> None:
    rows = read_filtered(
        ctx,
        screen,
        lambda: review.review_queue(ctx.db, now=ctx.now(), filters=review_filters(screen.form)),
    )
    if rows is None:
        return
    screen.lines = [review_line(ctx, row) for row in rows]


def _documents(value: str) -> list[str]:
    return [part for part in value.split(",") if part]


class SubmissionEditor(CaseEditor):
    """A submission under review; each action names the drafts it sends."""

    actions: ClassVar[Mapping[str, ActionSpec]] = {
        "approve": ActionSpec(review.approve, {"approve_note": "note"}),
        "reject": ActionSpec(review.reject, {"reject_reason": "reason"}),
        "request_documents": ActionSpec(
            review.request_documents,
            {"documents": "documents", "request_note": "note"},
            convert={"documents": _documents},
        ),
        "set_disbursement": ActionSpec(
            review.set_disbursement, {"disbursement": "status", "disbursement_note": "note"}
        ),
    }

    def read(self) -> review.SubmissionCase:
        return review.submission_detail(self.ctx.db, self.number, viewer=self.ctx.user)

    def version(self) -> int:
        assert self.case is not None
        return int(self.case.version)


@dataclass(frozen=True)
class ChecklistRow:
    document: str
    title: str
    satisfied: bool
    why: str
    photo: bytes | None


def checklist_rows(ctx: ConsoleContext, case: review.SubmissionCase) -> list[ChecklistRow]:
    """Each required document with its verdict, the reason, and its photo when one was sent.

    Photos come from the server's BlobStore; one that has not arrived yet shows as missing.
    """
    photos = {photo.document: photo.sha256 for photo in case.photos}
    rows = []
    for line in case.checklist:
        rows.append(
            ChecklistRow(
                document=line.document,
                title=_texts(ctx, line.title) or line.document,
                satisfied=line.satisfied,
                why=_texts(ctx, line.why),
                photo=photo_bytes(ctx, photos.get(line.document)),
            )
        )
    listed = {line.document for line in case.checklist}
    for document, sha in photos.items():  # a photo of a document the rules no longer list
        if document not in listed:
            rows.append(ChecklistRow(document, document, True, "", photo_bytes(ctx, sha)))
    return rows


def _texts(ctx: ConsoleContext, value: Any) -> str:
    if not value:
        return ""
    return str(value.get(ctx.lang) or next(iter(value.values()), ""))


def photo_bytes(ctx: ConsoleContext, sha256: str | None) -> bytes | None:
    if not sha256 or ctx.state.store.size(sha256) is None:
        return None
    with ctx.state.store.open(sha256) as stored:
        return stored.read()


def mismatch_lines(ctx: ConsoleContext, case: review.SubmissionCase) -> list[str]:
    """Every difference from the roster in words, with the values as the role may see them."""
    lines = []
    for mismatch in case.mismatches:
        what = label("staff.mismatch", mismatch.code, ctx.lang)
        values = ctx.t(
            "console.review.values",
            submitted=mismatch.submitted or "—",
            registered=mismatch.registered or "—",
        )
        lines.append(f"{what} {values}")
    return lines


def disbursement_options(ctx: ConsoleContext) -> list[tuple[str, str]]:
    return [(s.value, label("console.disbursement", s.value, ctx.lang)) for s in DisbursementStatus]
