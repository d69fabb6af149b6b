"""`kiosk check` (which documents a person still needs) and `kiosk rules list|validate|install`."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.base import cli, common_options, emit_json
from kiosk.domain.requirements import Checklist, ChecklistItem, FactKind, ProgramRules
from kiosk.errors import InputError
from kiosk.i18n import text
from kiosk.services.checklist import (
    check_documents,
    install_rules,
    list_programs,
    parse_document_list,
    parse_fact_assignments,
    program_rules,
    validate_rule_file,
)


@cli.command()
@click.option("--program", required=True)
@click.option("--stage", required=True, type=int)
@click.option("--fact", "facts", multiple=True, metavar="NAME=VALUE")
@click.option("--have", multiple=True, metavar="DOC[,DOC...]")
@common_options
def check(
    program: str,
    stage: int,
    facts: tuple[str, ...],
    have: tuple[str, ...],
    data_dir: str | None,
    as_json: bool,
    lang: str,
) -> None:
    """Say which documents are still missing for a program stage, why, and what is accepted.

    Exits 0 whenever the check itself succeeded, complete or not: "incomplete" is an answer, not
    an error. Exits 1 for an unknown program, stage, question or document, with one line saying so.
    """
    try:
        answers = parse_fact_assignments(facts)
    except InputError as exc:
        # A malformed --fact is a mistake in the command line itself: misuse, exit 2.
        raise click.BadParameter(text(exc.code, lang, **exc.params), param_hint="--fact") from exc
    checklist = check_documents(program, stage, answers, parse_document_list(have), data_dir)
    if as_json:
        emit_json({"ok": True, **checklist.to_dict()})
        return
    _print_checklist(program_rules(program, data_dir), checklist, lang)


def _print_checklist(rules: ProgramRules, checklist: Checklist, lang: str) -> None:
    stage = rules.stage(checklist.stage)
    click.echo(
        text(
            "checklist.heading",
            lang,
            program=rules.name[lang],
            stage=stage.title[lang],
            period=stage.period[lang],
        )
    )
    if checklist.is_complete:
        click.echo(text("checklist.complete", lang))
    elif checklist.missing:
        click.echo(text("checklist.incomplete", lang, count=len(checklist.missing)))
    else:
        click.echo(text("checklist.questions_first", lang, count=len(checklist.missing_facts)))

    if checklist.missing:
        click.echo("")
        click.echo(text("checklist.missing_heading", lang))
        for item in checklist.missing:
            _print_item(item, lang)
    if checklist.questions:
        click.echo("")
        click.echo(text("checklist.questions_heading", lang))
        for fact in checklist.questions:
            click.echo(f"  ? {fact.question[lang]}")
            values = (
                "ya|tidak"
                if fact.kind is FactKind.BOOLEAN
                else "|".join(choice.value for choice in fact.choices)
            )
            click.echo(f"      {text('checklist.answer_with', lang)}: --fact {fact.id}={values}")
            for choice in fact.choices:
                click.echo(f"      {choice.value}: {choice.label[lang]}")
    if checklist.undecided:
        click.echo("")
        click.echo(text("checklist.depends_heading", lang))
        for item in checklist.undecided:
            depends = ", ".join(item.depends_on)
            mark = "+" if item.satisfied else "~"
            click.echo(
                f"  {mark} {item.title[lang]} [{item.document}]"
                f" ({text('checklist.depends_on', lang)}: {depends})"
            )
    satisfied = [item for item in checklist.items if item.satisfied and not item.depends_on]
    if satisfied:
        click.echo("")
        click.echo(text("checklist.satisfied_heading", lang))
        for item in satisfied:
            click.echo(f"  + {item.title[lang]} [{item.document}]")
    if checklist.unused_documents:
        click.echo("")
        click.echo(text("checklist.not_needed_heading", lang))
        for document in checklist.unused_documents:
            click.echo(f"  - {document.title[lang]} [{document.id}]")


def _print_item(item: ChecklistItem, lang: str) -> None:
    click.echo(f"  x {item.title[lang]} [{item.document}]")
    click.echo(f"      {text('checklist.why', lang)}: {item.why[lang]}")
    click.echo(f"      {text('checklist.accept', lang)}: {item.accept[lang]}")


@cli.group()
def rules() -> None:
    """Program rule files: list those in force, validate a file, install a replacement."""


@rules.command("list")
@common_options
def list_rules(data_dir: str | None, as_json: bool, lang: str) -> None:
    """List the programs whose rules are in force, and where each rule file comes from."""
    summaries = list_programs(data_dir)
    if as_json:
        emit_json({"ok": True, "programs": [summary.to_dict() for summary in summaries]})
        return
    click.echo(text("checklist.rules_heading", lang))
    for summary in summaries:
        found = summary.rules
        origin = text("checklist.override" if summary.overridden else "checklist.shipped", lang)
        stages = text(
            "checklist.stages", lang, stages=", ".join(str(s.number) for s in found.stages)
        )
        click.echo(f"  {found.program}  {found.version}  {found.name[lang]}  ({stages})")
        click.echo(f"      {origin}: {found.source}")


@rules.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@common_options
def validate_rules(file: Path, data_dir: str | None, as_json: bool, lang: str) -> None:
    """Check a rule FILE without installing it; exit 1 with "file:line: reason" if it is wrong."""
    found = validate_rule_file(file)
    _report(found, "checklist.valid", as_json, lang)


@rules.command("install")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@common_options
def install(file: Path, data_dir: str | None, as_json: bool, lang: str) -> None:
    """Validate a rule FILE, then put it in force on this device (<data_dir>/programs)."""
    found = install_rules(file, data_dir)
    _report(found, "checklist.installed", as_json, lang)


def _report(found: ProgramRules, code: str, as_json: bool, lang: str) -> None:
    if as_json:
        emit_json(
            {
                "ok": True,
                "program": found.program,
                "version": found.version,
                "path": found.source,
                "stages": [stage.number for stage in found.stages],
                "documents": [document.id for document in found.documents],
            }
        )
        return
    click.echo(
        text(
            code,
            lang,
            program=found.program,
            version=found.version,
            stages=len(found.stages),
            documents=len(found.documents),
            path=found.source,
        )
    )
