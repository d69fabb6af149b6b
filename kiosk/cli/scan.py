"""`kiosk scan IMAGE...`: decode the codes in photos and say what each one is, file by file.

One line per code found (in plain output followed by what its findings say, an invalid code
marked with its first error), per file without a code, and per file that cannot be read; exit 0
when every file was read (with or without codes), 1 when any file could not be read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kiosk.bootstrap import Kiosk, open_kiosk
from kiosk.cli.base import cli, common_options, emit_json
from kiosk.domain.findings import Finding
from kiosk.domain.identity import mask_nik
from kiosk.domain.payloads import Payload, PayloadKind
from kiosk.errors import ImageError
from kiosk.i18n import bilingual, text
from kiosk.services.scanning import (
    CodeRead,
    FileScan,
    classify_code,
    decoder_backends,
    scan_images,
)

# Kinds whose text is a person's number: masked in plain output, like `kiosk nik` does.
_MASKED_KINDS = {PayloadKind.NIK, PayloadKind.KK, PayloadKind.CARD_NUMBER}


def _finding_line(finding: Finding, lang: str) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "field": finding.field,
        "message": text(finding.code, lang, **finding.params),
    }


def _read_line(scan: FileScan, read: CodeRead, payload: Payload, lang: str) -> dict[str, Any]:
    return {
        "file": scan.path,
        "status": "found",
        "format": read.format,
        "text": read.text,
        "raw_hex": read.raw.hex(),
        "kind": payload.kind.value,
        "valid": payload.valid,
        "fields": dict(payload.fields),
        # Why it is (in)valid and what to do: a Dukcapil link's IKD step, an invitation's error.
        "findings": [_finding_line(finding, lang) for finding in payload.findings],
        "position": [[round(x, 1), round(y, 1)] for x, y in read.position],
        "backend": read.backend,
        "ms": round(read.elapsed_ms, 1),
    }


def _error_reason(error: ImageError) -> dict[str, Any]:
    params = {"detail": error.detail, **error.params}
    return {"code": error.code, "message": bilingual(error.code, **params)}


def _shown_payload(read: CodeRead, payload: Payload, lang: str) -> str:
    if read.text is None:
        return text("scan.binary_payload", lang, size=len(read.raw))
    if payload.kind in _MASKED_KINDS:
        return mask_nik(read.text)
    # Escape control characters so a payload cannot move the terminal's cursor.
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in read.text)


def _plain_found(scan: FileScan, read: CodeRead, payload: Payload, lang: str) -> list[str]:
    """The code's line, then one indented line per finding.

    An invalid code says so on its own line with its first error, so that a damaged invitation
    never reads like a valid one; the other findings follow.
    """
    kind = text(f"payload.kind.{payload.kind.value}", lang)
    first_error = payload.errors[0] if payload.errors else None
    if first_error is not None:
        reason = text(first_error.code, lang, **first_error.params)
        kind = text("scan.invalid_kind", lang, kind=kind, reason=reason)
    found = text(
        "scan.found",
        lang,
        file=scan.path,
        format=text(f"scan.format.{read.format}", lang),
        payload=_shown_payload(read, payload, lang),
        kind=kind,
        backend=read.backend,
        ms=f"{read.elapsed_ms:.0f}",
    )
    notes = [
        text("scan.finding", lang, message=text(finding.code, lang, **finding.params))
        for finding in payload.findings
        if finding is not first_error
    ]
    return [found, *notes]


def _print_backends(as_json: bool, lang: str) -> None:
    statuses = decoder_backends()
    if as_json:
        for status in statuses:
            emit_json(
                {
                    "backend": status.name,
                    "active": status.active,
                    "version": status.version,
                    "reason": status.reason,
                }
            )
        return
    for status in statuses:
        if status.active:
            click.echo(
                text("scan.backend_active", lang, name=status.name, version=status.version or "")
            )
        else:
            click.echo(text("scan.backend_inactive", lang, name=status.name, reason=status.reason))


def _report(kiosk: Kiosk, result: FileScan, as_json: bool, lang: str) -> int:
    """Print the lines of one file; the number of codes it held."""
    if result.error is not None:
        reason = _error_reason(result.error)
        if as_json:
            emit_json({"file": result.path, "status": "unreadable", "reason": reason})
        else:
            message = reason["message"][lang]
            click.echo(text("scan.unreadable", lang, file=result.path, reason=message))
        return 0
    if not result.reads:
        if as_json:
            none = {"code": "scan.none", "message": bilingual("scan.none", file=result.path)}
            emit_json({"file": result.path, "status": "none", "reason": none})
        else:
            click.echo(text("scan.none", lang, file=result.path))
        return 0
    for read in result.reads:
        payload = classify_code(kiosk, read)
        if as_json:
            emit_json(_read_line(result, read, payload, lang))
        else:
            for line in _plain_found(result, read, payload, lang):
                click.echo(line)
    return len(result.reads)


@cli.command()
@click.argument("images", nargs=-1, type=click.Path(path_type=Path))
@click.option("--backends", "list_backends", is_flag=True)
@common_options
def scan(
    images: tuple[Path, ...],
    list_backends: bool,
    data_dir: str | None,
    as_json: bool,
    lang: str,
) -> None:
    """Decode the QR, Micro QR, Code 128, PDF417, DataMatrix and EAN codes in IMAGE files."""
    if list_backends:
        _print_backends(as_json, lang)
        return
    if not images:
        raise click.UsageError(text("scan.no_images", lang))
    kiosk = open_kiosk(data_dir)
    unreadable = codes = 0
    try:
        for result in scan_images(images):
            unreadable += result.error is not None
            codes += _report(kiosk, result, as_json, lang)
    finally:
        kiosk.close()
    if not as_json and len(images) > 1:
        click.echo(
            text("scan.summary", lang, files=len(images), codes=codes, unreadable=unreadable)
        )
    if unreadable:
        sys.exit(1)
