"""`kiosk run` (the officer's app) and `kiosk officer add` (who may sign in to it)."""

from __future__ import annotations

import click

from kiosk.bootstrap import open_kiosk
from kiosk.cli.base import cli, common_options, emit_json
from kiosk.cli.ports import ensure_port_free
from kiosk.errors import InputError
from kiosk.i18n import text
from kiosk.services.officers import add_officer, check_pin_format


@cli.command()
@click.option("--web", is_flag=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8550, show_default=True)
@click.option("--no-browser", is_flag=True)
@click.option("--selfcheck", is_flag=True)
@click.option("--sync-interval", type=click.FloatRange(min=0.5), default=60.0, show_default=True)
@common_options
def run(
    web: bool,
    host: str,
    port: int,
    no_browser: bool,
    selfcheck: bool,
    sync_interval: float,
    data_dir: str | None,
    as_json: bool,
    lang: str,
) -> None:
    """Run the officer's app: a window where a desktop client exists, else served to a browser."""
    # Imported here, not at the top: only this command needs Flet, so the others start faster.
    from kiosk.app import desktop_available, serve

    url = f"http://{host}:{port}"
    in_browser = web or not desktop_available()
    if in_browser:
        ensure_port_free(host, port, option="--port")
    if as_json:
        emit_json({"url": url, "data_dir": data_dir, "selfcheck": selfcheck, "web": in_browser})
    else:
        where = "run.serving" if in_browser else "run.window"
        click.echo(text(f"{where}_selfcheck" if selfcheck else where, lang, url=url))
    serve(
        data_dir,
        web=web,
        host=host,
        port=port,
        open_browser=not no_browser,
        lang=lang,
        selfcheck=selfcheck,
        sync_interval=sync_interval,
    )


@cli.group()
def officer() -> None:
    """Officers who may sign in to the app."""


@officer.command("add")
@click.argument("name")
@click.option("--pin", default=None)
@common_options
def officer_add(name: str, pin: str | None, data_dir: str | None, as_json: bool, lang: str) -> None:
    """Add an officer; the PIN is asked twice and stored only as a salted scrypt hash."""
    if pin is None:
        pin = click.prompt(text("officer.pin_prompt", lang), hide_input=True)
        check_pin_format(pin)
        again = click.prompt(text("officer.pin_again", lang), hide_input=True)
        if again != pin:
            raise InputError("the PINs differ", where="pin", code="officer.pin_mismatch")
    kiosk = open_kiosk(data_dir)
    try:
        saved = add_officer(kiosk, name, pin)
    finally:
        kiosk.close()
    if as_json:
        emit_json({"ok": True, "name": saved})
    else:
        click.echo(text("officer.added", lang, name=saved))
