"""`kiosk roster import` and `kiosk roster find`: load a program's beneficiary list, look people up.

Plain output masks NIKs and KK numbers (3171********0001) because it may be read over a
shoulder; --json carries full numbers for the program office's own tools.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click

from kiosk.bootstrap import open_kiosk
from kiosk.cli.base import cli, common_options, emit_json
from kiosk.domain.identity import mask_nik
from kiosk.i18n import bilingual, text
from kiosk.regions import default_regions
from kiosk.services import roster as roster_service
from kiosk.services.roster import PROGRAMS, ImportReport, RosterEntry, RosterMatch


@cli.group()
def roster() -> None:
    """The roster of registered beneficiaries: import it from CSV, find people in it."""


def _report_lines(report: ImportReport, lang: str) -> list[str]:
    lines = [
        text("roster.report.file", lang, file=report.file, program=report.program),
        text(
            "roster.report.counts",
            lang,
            read=report.rows_read,
            imported=report.imported,
            updated=report.updated,
            rejected=report.rejected,
            seconds=f"{report.seconds:.1f}",
        ),
    ]
    if report.problems:
        lines.append(text("roster.report.problems", lang))
        for problem in report.problems:
            message = text(problem.code, lang, **problem.params)
            lines.append(text("roster.report.problem", lang, line=problem.line, message=message))
        hidden = report.rejected - len(report.problems)
        if hidden > 0:
            lines.append(text("roster.report.more", lang, count=hidden))
    if report.repeats:
        lines.append(text("roster.report.repeats", lang, count=report.repeated))
        for line, first_line in report.repeats:
            lines.append(text("roster.report.repeat", lang, line=line, first_line=first_line))
        hidden = report.repeated - len(report.repeats)
        if hidden > 0:
            lines.append(text("roster.report.repeat_more", lang, count=hidden))
    return lines


def _report_json(report: ImportReport) -> dict[str, Any]:
    data = report.to_dict()
    for entry, problem in zip(data["problems"], report.problems, strict=True):
        entry["message"] = bilingual(problem.code, **problem.params)
    return data


@roster.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--program", type=click.Choice(PROGRAMS), required=True)
@common_options
def import_command(file: str, program: str, data_dir: str | None, as_json: bool, lang: str) -> None:
    """Import FILE.csv: nik, nama; optional no_kk, tanggal_lahir, bank, rekening, kode_wilayah.

    Good rows are kept (a known NIK is updated), bad rows are listed by line. Exit 0 when the
    file was read, 1 when it could not be read at all.
    """
    kiosk = open_kiosk(data_dir)
    try:
        report = roster_service.import_roster(
            kiosk.db, file, program, regions=default_regions(), now=datetime.now().astimezone()
        )
    finally:
        kiosk.close()
    if as_json:
        emit_json(_report_json(report))
    else:
        for line in _report_lines(report, lang):
            click.echo(line)


def _entry_lines(entry: RosterEntry, lang: str) -> list[str]:
    lines = [
        text(
            "roster.find.entry",
            lang,
            program=entry.program,
            nik=mask_nik(entry.nik),
            name=entry.name,
        )
    ]
    if entry.birth_date:
        lines.append(text("roster.find.birth_date", lang, date=entry.birth_date))
    if entry.kk:
        lines.append(text("roster.find.kk", lang, kk=mask_nik(entry.kk)))
    if entry.account:
        masked = "*" * max(0, len(entry.account) - 4) + entry.account[-4:]
        lines.append(text("roster.find.account", lang, bank=entry.bank or "", account=masked))
    if entry.source:
        lines.append(
            text(
                "roster.find.source",
                lang,
                source=entry.source,
                line=entry.source_line or "",
                imported_at=entry.imported_at,
            )
        )
    return lines


def _match_lines(rank: int, match: RosterMatch, lang: str) -> list[str]:
    entry = match.entry
    lines = [
        text(
            "roster.find.match",
            lang,
            rank=rank,
            nik=mask_nik(entry.nik),
            name=entry.name,
            program=entry.program,
            verdict=text(f"roster.verdict.{match.verdict}", lang),
            score=f"{match.score:.0f}",
        )
    ]
    for reason in match.reasons:
        message = text(reason.code, lang, **reason.params)
        lines.append(text("roster.find.reason", lang, message=message))
    return lines


def _match_json(match: RosterMatch) -> dict[str, Any]:
    data = match.to_dict()
    for entry, reason in zip(data["reasons"], match.reasons, strict=True):
        entry["message"] = bilingual(reason.code, **reason.params)
    return data


@roster.command("find")
@click.argument("nik", required=False)
@click.option("--name", "name", default=None)
@click.option("--kk", "kk", default=None)
@click.option("--program", type=click.Choice(PROGRAMS), default=None)
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@common_options
def find_command(
    nik: str | None,
    name: str | None,
    kk: str | None,
    program: str | None,
    limit: int,
    data_dir: str | None,
    as_json: bool,
    lang: str,
) -> None:
    """Find a person by NIK, a family by --kk NUMBER, or a name by --name "...".

    Exit 1 when nobody is found.
    """
    if [nik, name, kk].count(None) != 2:
        raise click.UsageError(text("cli.roster_find_one", lang))
    kiosk = open_kiosk(data_dir)
    try:
        matches: list[RosterMatch] = []
        if nik is not None:
            entries = roster_service.find_by_nik(kiosk.db, nik, program)
        elif kk is not None:
            entries = roster_service.find_by_kk(kiosk.db, kk, program)
        else:
            assert name is not None
            matches = roster_service.search_by_name(kiosk.db, name, program, limit)
            entries = []
    finally:
        kiosk.close()
    found = bool(entries or matches)
    if as_json:
        emit_json(
            {
                "found": found,
                "entries": [entry.to_dict() for entry in entries],
                "matches": [_match_json(match) for match in matches],
            }
        )
    elif nik is not None or kk is not None:
        if not entries and nik is not None:
            click.echo(text("roster.find.not_found_nik", lang, nik=mask_nik(nik)))
        elif not entries and kk is not None:
            click.echo(text("roster.find.not_found_kk", lang, kk=mask_nik(kk)))
        for entry in entries:
            for line in _entry_lines(entry, lang):
                click.echo(line)
    else:
        if not matches:
            click.echo(text("roster.find.not_found_name", lang))
        for rank, match in enumerate(matches, start=1):
            for line in _match_lines(rank, match, lang):
                click.echo(line)
    if not found:
        sys.exit(1)
