"""`kiosk nik` and `kiosk kk`: check a typed number the way the kiosk screens do, from a terminal.

Exit 0 when the number is valid, 1 when it is not (the reasons are printed), 2 on misuse.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

import click

from kiosk.cli.base import cli, common_options, emit_json
from kiosk.domain.findings import Finding
from kiosk.domain.identity import KkResult, NikResult, Role, mask_nik, parse_kk, parse_nik
from kiosk.i18n import bilingual, text
from kiosk.regions import default_regions


def _with_messages(result: NikResult | KkResult) -> dict[str, Any]:
    """The structured result plus each finding's sentence in every language."""
    data = result.to_dict()
    for key, findings in (("errors", result.errors), ("warnings", result.warnings)):
        for entry, finding in zip(data[key], findings, strict=True):
            entry["message"] = bilingual(finding.code, **finding.params)
    return data


def _day(value: date) -> str:
    return value.strftime("%d-%m-%Y")  # how dates are written on Indonesian documents


def _findings(heading: str, findings: tuple[Finding, ...], lang: str) -> list[str]:
    if not findings:
        return []
    return [text(heading, lang), *(f"  - {text(f.code, lang, **f.params)}" for f in findings)]


def _region_lines(result: NikResult | KkResult, lang: str) -> list[str]:
    region = result.region
    if region is None:
        return []
    unknown = text("identity.unknown", lang)
    return [
        text("identity.province", lang, name=region.province or unknown),
        text("identity.regency", lang, name=region.regency or unknown),
        text("identity.district", lang, name=region.district or unknown),
    ]


def _report(kind: str, result: NikResult | KkResult, lang: str) -> list[str]:
    label = text(f"identity.kind_{kind}", lang)
    if not result.valid:
        return [
            text("identity.invalid", lang, kind=label),
            *(f"  - {text(f.code, lang, **f.params)}" for f in result.errors),
            *_findings("identity.warnings", result.warnings, lang),
        ]
    assert result.number is not None
    lines = [text("identity.valid", lang, kind=label, number=mask_nik(result.number))]
    if isinstance(result, NikResult):
        if result.gender:
            gender = text(f"identity.gender_{result.gender}", lang)
            lines.append(text("identity.gender", lang, gender=gender))
        if result.birth_date and result.age is not None:
            lines.append(
                text("identity.birth_date_age", lang, date=_day(result.birth_date), age=result.age)
            )
        elif result.birth_date:
            lines.append(text("identity.birth_date", lang, date=_day(result.birth_date)))
        elif result.birth_date_candidates:
            either = f" {text('identity.either', lang)} "
            dates = either.join(_day(d) for d in result.birth_date_candidates)
            lines.append(text("identity.birth_date_either", lang, dates=dates))
    elif result.issue_date:
        lines.append(text("identity.issue_date", lang, date=_day(result.issue_date)))
    return [
        *lines,
        *_region_lines(result, lang),
        *_findings("identity.warnings", result.warnings, lang),
    ]


def _print(kind: str, result: NikResult | KkResult, lang: str, as_json: bool) -> None:
    if as_json:
        emit_json(_with_messages(result))
    else:
        for line in _report(kind, result, lang):
            click.echo(line)
    if not result.valid:
        sys.exit(1)


_AS_OF = click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)


@cli.command()
@click.argument("number", nargs=-1, required=True)
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.ANY.value,
    show_default=True,
)
@_AS_OF
@common_options
def nik(
    number: tuple[str, ...], role: str, as_of: Any, data_dir: str | None, as_json: bool, lang: str
) -> None:
    """Check a NIK (16 digits; spaces, dots and dashes allowed)."""
    today = as_of.date() if as_of else date.today()
    result = parse_nik(" ".join(number), default_regions(), role=Role(role), today=today)
    _print("nik", result, lang, as_json)


@cli.command()
@click.argument("number", nargs=-1, required=True)
@_AS_OF
@common_options
def kk(number: tuple[str, ...], as_of: Any, data_dir: str | None, as_json: bool, lang: str) -> None:
    """Check a family card (KK) number (16 digits; spaces, dots and dashes allowed)."""
    today = as_of.date() if as_of else date.today()
    _print("kk", parse_kk(" ".join(number), default_regions(), today=today), lang, as_json)
