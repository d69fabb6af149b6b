"""Shared pieces of the `kiosk` command: the root group, common options, output and error handling.

Help, usage and click's errors are in the run's language (kiosk/localized_cli.py), from
assets/i18n/<lang>/cli_help.toml; the docstrings here are for the people who read the code.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from collections.abc import Callable
from importlib.metadata import version
from typing import Any, TypeVar

import click

from kiosk.errors import KioskError, StoreError
from kiosk.i18n import LANGUAGES, text
from kiosk.localized_cli import LocalizedProgram, current_language, lang_option
from kiosk.settings import DATABASE_FILE, resolve_data_dir

F = TypeVar("F", bound=Callable[..., Any])


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(text("cli.version", current_language(), version=version("lengkap")))
    ctx.exit()


@click.group(
    name="kiosk", cls=LocalizedProgram, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version)
def cli() -> None:
    """Lengkap: offline-first verification kiosk for KJP Plus and PKH."""


def common_options(func: F) -> F:
    """--data-dir, --json and --lang on every command, with handled errors turned into exit 1."""

    @click.option("--data-dir", type=click.Path(file_okay=False), default=None)
    @click.option("--json", "as_json", is_flag=True)
    @lang_option()
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KioskError as exc:
            fail(exc, kwargs.get("lang", "id"), kwargs.get("as_json", False))
        except sqlite3.OperationalError as exc:
            # Another process holds the device database past the busy timeout: one line naming
            # the file, not a traceback. Any other database fault is a bug and stays loud.
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            path = resolve_data_dir(kwargs.get("data_dir")) / DATABASE_FILE
            locked = StoreError(
                "the device database is locked by another program",
                code="error.store_locked",
                where=str(path),
                params={"file": str(path)},
            )
            fail(locked, kwargs.get("lang", "id"), kwargs.get("as_json", False))

    return wrapper  # type: ignore[return-value]


def fail(exc: KioskError, lang: str, as_json: bool) -> None:
    """Print one line naming what went wrong and where, then exit 1."""
    params = {"detail": exc.detail, **exc.params}
    message = text(exc.code, lang, **params)
    if exc.where and exc.where not in message:
        message = f"{exc.where}: {message}"
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": False,
                    "error": {
                        "code": exc.code,
                        "where": exc.where,
                        "message": {lang2: text(exc.code, lang2, **params) for lang2 in LANGUAGES},
                    },
                },
                ensure_ascii=False,
            ),
            err=True,
        )
    else:
        click.echo(f"kiosk: {message}", err=True)
    sys.exit(1)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))
