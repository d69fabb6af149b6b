"""`kiosk submit`, `kiosk status`, `kiosk complaint ...` and `kiosk export`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kiosk.bootstrap import open_kiosk
from kiosk.cli.base import cli, common_options, emit_json
from kiosk.errors import InputError
from kiosk.i18n import bilingual, text
from kiosk.services.complaints import complaint_categories, complaint_summary, file_new_complaint
from kiosk.services.export import export_records
from kiosk.services.status import StatusReport, status_of
from kiosk.services.submissions import SubmissionOutcome, record_submission


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read the file: {exc.strerror}",
            where=str(path),
            code="submission.file_unreadable",
        ) from exc
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(
            "the file is not UTF-8 text",
            where=f"{path}: byte {exc.start}",
            code="submission.not_utf8",
        ) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            exc.msg,
            where=f"{path}:{exc.lineno}:{exc.colno}",
            code="submission.bad_json",
            params={"reason": exc.msg},
        ) from exc


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@common_options
def submit(file: Path, data_dir: str | None, as_json: bool, lang: str) -> None:
    """Record a submission from FILE.json offline; print its register number and what is missing."""
    request = _read_json(file)
    kiosk = open_kiosk(data_dir)
    try:
        outcome = record_submission(kiosk, request, source=str(file), base_dir=file.parent)
    finally:
        kiosk.close()
    if as_json:
        emit_json(_outcome_json(outcome))
        return
    _print_outcome(outcome, lang)


def _outcome_json(outcome: SubmissionOutcome) -> dict[str, Any]:
    submission = outcome.submission
    return {
        "ok": True,
        "register_number": str(submission.register_number),
        "client_id": submission.client_id,
        "state": submission.state.value,
        "completeness": submission.completeness.value,
        "checklist": outcome.checklist.to_dict(),
        "warnings": [
            {"code": w.code, "field": w.field, "message": bilingual(w.code, **w.params)}
            for w in outcome.warnings
        ],
    }


def _print_outcome(outcome: SubmissionOutcome, lang: str) -> None:
    submission = outcome.submission
    click.echo(text("submit.saved", lang, number=submission.register_number))
    if outcome.checklist.is_complete:
        click.echo(text("submit.complete", lang))
    else:
        click.echo(text("submit.incomplete", lang, count=len(outcome.checklist.missing)))
        for item in outcome.checklist.missing:
            click.echo(f"  - {item.title[lang]}: {item.why[lang]}")
            click.echo(f"    {text('submit.acceptable', lang)}: {item.accept[lang]}")
    for warning in outcome.warnings:
        click.echo(f"  ! {text(warning.code, lang, **warning.params)}")


@cli.command()
@click.argument("register_number")
@common_options
def status(register_number: str, data_dir: str | None, as_json: bool, lang: str) -> None:
    """Show where a submission or complaint stands, by its REGISTER_NUMBER."""
    kiosk = open_kiosk(data_dir)
    try:
        report = status_of(kiosk, register_number)
    finally:
        kiosk.close()
    if as_json:
        emit_json(_status_json(report))
        return
    click.echo(f"{text('status.number', lang)}: {report.register_number}")
    if report.nik_masked:
        click.echo(f"NIK: {report.nik_masked}")
    click.echo(text(report.state_code, lang))
    note = report.note_in(lang)
    if note:
        click.echo(f"{text('status.note', lang)}: {note}")
    for document in report.missing_documents:
        click.echo(f"  - {document['title'][lang]}")
    if report.kind == "complaint":
        click.echo(text("complaint.due", lang, date=report.details["resolution_due"][:10]))
    click.echo(text(report.next_step_code, lang))


def _status_json(report: StatusReport) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "register_number": report.register_number,
        "state": report.state,
        "state_message": bilingual(report.state_code),
        "next_step": bilingual(report.next_step_code),
        "updated_at": report.updated_at,
        "nik": report.nik_masked,
        "status_note": report.status_note,
        "status_note_en": report.status_note_en,
        "missing_documents": list(report.missing_documents),
        **report.details,
    }


@cli.group()
def complaint() -> None:
    """File and look up complaints (pengaduan)."""


@complaint.command("file")
@click.option("--category", required=True, type=click.Choice(complaint_categories()))
@click.option("--description", required=True)
@click.option("--name", required=True)
@click.option("--nik", default=None)
@click.option("--phone", default=None)
@click.option("--program", type=click.Choice(["kjp-plus", "pkh"]), default=None)
@click.option("--related", default=None)
@common_options
def complaint_file(
    category: str,
    description: str,
    name: str,
    nik: str | None,
    phone: str | None,
    program: str | None,
    related: str | None,
    data_dir: str | None,
    as_json: bool,
    lang: str,
) -> None:
    """Record a complaint offline; print its register number and the date an answer is due."""
    kiosk = open_kiosk(data_dir)
    try:
        filed = file_new_complaint(
            kiosk,
            category=category,
            description=description,
            name=name,
            nik=nik,
            phone=phone,
            program=program,
            related_register_number=related,
        )
    finally:
        kiosk.close()
    summary = complaint_summary(filed)
    if as_json:
        emit_json({"ok": True, **summary})
        return
    click.echo(text("complaint.saved", lang, number=summary["register_number"]))
    click.echo(text("complaint.first_response", lang, date=summary["first_response_due"][:10]))
    click.echo(text("complaint.due", lang, date=summary["resolution_due"][:10]))


@complaint.command("show")
@click.argument("register_number")
@common_options
def complaint_show(register_number: str, data_dir: str | None, as_json: bool, lang: str) -> None:
    """Show a complaint by its REGISTER_NUMBER."""
    kiosk = open_kiosk(data_dir)
    try:
        report = status_of(kiosk, register_number)
    finally:
        kiosk.close()
    if report.kind != "complaint":
        raise_not_complaint(register_number, lang, as_json)
    if as_json:
        emit_json(_status_json(report))
        return
    click.echo(f"{text('status.number', lang)}: {report.register_number}")
    click.echo(
        f"{text('complaint.category', lang)}: {text('category.' + report.details['category'], lang)}"
    )
    click.echo(text(report.state_code, lang))
    click.echo(
        text("complaint.first_response", lang, date=report.details["first_response_due"][:10])
    )
    click.echo(text("complaint.due", lang, date=report.details["resolution_due"][:10]))
    note = report.note_in(lang)
    if note:
        click.echo(f"{text('status.note', lang)}: {note}")


def raise_not_complaint(register_number: str, lang: str, as_json: bool) -> None:
    from kiosk.cli.base import fail
    from kiosk.errors import NotFoundError

    fail(
        NotFoundError(
            "this register number belongs to a submission, not a complaint",
            where="register_number",
            code="complaint.is_submission",
            params={"number": register_number},
        ),
        lang,
        as_json,
    )


@cli.command()
@click.option("--since", default=None)
@common_options
def export(since: str | None, data_dir: str | None, as_json: bool, lang: str) -> None:
    """Print every submission and complaint as JSON lines (always JSON; --json is accepted)."""
    kiosk = open_kiosk(data_dir)
    try:
        for record in export_records(kiosk, since):
            click.echo(json.dumps(record, ensure_ascii=False, sort_keys=True))
    finally:
        kiosk.close()
