"""`kiosk receipt`: print a submission's or complaint's receipt to a PDF or PNG file."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.bootstrap import open_kiosk
from kiosk.cli.base import cli, common_options, emit_json
from kiosk.i18n import text
from kiosk.services.receipts import PaperWidth, format_for, write_receipt


def _output_path(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    # Misuse (exit 2) rather than a handled error: the command line itself asks for a format
    # the kiosk does not make.
    if format_for(value) is None:
        raise click.BadParameter(
            f"{value.name}: the file must end in .pdf or .png", ctx=ctx, param=param
        )
    return value


@cli.command()
@click.argument("register_number")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_output_path,
)
@click.option(
    "--width",
    type=click.Choice([width.value for width in PaperWidth]),
    default=PaperWidth.A6.value,
    show_default=True,
)
@common_options
def receipt(
    register_number: str, out: Path, width: str, data_dir: str | None, as_json: bool, lang: str
) -> None:
    """Write the receipt of REGISTER_NUMBER (QR code, masked NIK, what is missing, next step)."""
    kiosk = open_kiosk(data_dir)
    try:
        written = write_receipt(kiosk, register_number, out, PaperWidth(width))
    finally:
        kiosk.close()
    if as_json:
        emit_json({"ok": True, **written.to_dict()})
        return
    click.echo(text("receipt.written", lang, path=written.path))
