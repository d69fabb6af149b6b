"""Shared pieces of the `kiosk` command: the root group, common options, output and error handling.

Every help text comes from assets/i18n/<lang>/cli_help.toml, in the language of the run (see
kiosk/cli/language.py): a command's under `cli_help.<command path>.about`, an option's under
`cli_help.<command path>.options.<name>`, or `cli_help.options.<name>` when every command shares
it. The docstrings and comments in the code are for the people who read it.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import version
from typing import Any, TypeVar

import click

from kiosk.cli.language import (
    LANG_OPTION,
    click_gettext,
    current_language,
    language_in,
    speak_click_in_our_language,
    speaking,
)
from kiosk.errors import KioskError
from kiosk.i18n import LANGUAGES, catalog, text

F = TypeVar("F", bound=Callable[..., Any])
HELP_TABLE = "cli_help"

speak_click_in_our_language()


def help_key(ctx: click.Context) -> str:
    """`cli_help.kiosk.roster.find` for `kiosk roster find`, whatever the program was called."""
    names: list[str] = []
    current: click.Context | None = ctx
    while current is not None:
        names.append(current.command.name or "")
        current = current.parent
    return ".".join([HELP_TABLE, *reversed(names)])


def help_text(key: str) -> str | None:
    """The help sentence under `key` in the run's language, or None if it has none."""
    return catalog(current_language()).get(key)


def _first_sentence(about: str, limit: int) -> str:
    """A command's line in its group's list: its first sentence, cut at a word if too long."""
    first, stop, _rest = about.split("\n\n")[0].partition(". ")
    sentence = first + stop.strip()
    if len(sentence) <= limit:
        return sentence
    return sentence[: limit - 3].rsplit(" ", 1)[0] + "..."


def _type_metavar(ctx: click.Context, param: click.Parameter) -> str | None:
    """TEXT, INTEGER, DIRECTORY... in the run's language; None for flags and [a|b] choices."""
    if isinstance(param, click.Option) and param.is_flag:
        return None
    if param.type.get_metavar(param, ctx) is not None:
        return None
    name = param.type.name.upper()
    return catalog(current_language()).get(f"click.metavar.{name}", name)


class LocalizedCommand(click.Command):
    """A command whose usage, help and options are written in the run's language."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = [click_gettext("[OPTIONS]")]
        for param in self.get_params(ctx):
            pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        about = help_text(f"{help_key(ctx)}.about") or self.help or ""
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(about)

    def option_help(self, ctx: click.Context, param: click.Parameter) -> str | None:
        """The option's own sentence for this command, else the one every command shares."""
        name = "help" if param is self.get_help_option(ctx) else param.name
        return help_text(f"{help_key(ctx)}.options.{name}") or help_text(
            f"{HELP_TABLE}.options.{name}"
        )

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for param in self.get_params(ctx):
            if isinstance(param, click.Argument):
                continue
            # A copy carries the translated sentence, so the shared option is never changed.
            shown = copy.copy(param)
            shown.help = self.option_help(ctx, param)
            shown.metavar = param.metavar or _type_metavar(ctx, param)
            record = shown.get_help_record(ctx)
            if record is not None:
                rows.append(record)
        if rows:
            with formatter.section(click_gettext("Options")):
                formatter.write_dl(rows)


class LocalizedGroup(LocalizedCommand, click.Group):
    """A group of commands, listed with the first sentence of each one's help."""

    command_class: type[click.Command] | None = LocalizedCommand
    group_class: type[click.Group] | type[type] | None = type  # subgroups: of its own class

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every group takes --lang too (`kiosk roster --help --lang en`); it only picks the language.
        if not any(param.name == "lang" for param in self.params):
            self.params.append(_lang_option_for_group())

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [*super().collect_usage_pieces(ctx), click_gettext("COMMAND [ARGS]...")]

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            about = help_text(f"{help_key(ctx)}.{name}.about") or command.help or ""
            rows.append((name, about))
        if rows:
            # As click does: the list may use the width the longest name leaves.
            limit = formatter.width - 6 - max(len(name) for name, _about in rows)
            rows = [(name, _first_sentence(about, limit)) for name, about in rows]
            with formatter.section(click_gettext("Commands")):
                formatter.write_dl(rows)


class KioskGroup(LocalizedGroup):
    """The root: picks the run's language from the whole command line before click parses it."""

    group_class = LocalizedGroup

    def main(self, args: Sequence[str] | None = None, *rest: Any, **options: Any) -> Any:
        line = sys.argv[1:] if args is None else args
        with speaking(language_in(line)):
            return super().main(args, *rest, **options)


_LANG_SETTINGS: dict[str, Any] = {
    "type": click.Choice(LANGUAGES),
    "default": current_language,
    "show_default": False,
}


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(text("cli.version", current_language(), version=version("lengkap")))
    ctx.exit()


def _lang_option(**extra: Any) -> Callable[[F], F]:
    """--lang: the run's language already (language_in read it from the whole line)."""
    return click.option(LANG_OPTION, **_LANG_SETTINGS, **extra)


def _lang_option_for_group() -> click.Option:
    return click.Option([LANG_OPTION], **_LANG_SETTINGS, expose_value=False, is_eager=True)


@click.group(name="kiosk", cls=KioskGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version)
@_lang_option(expose_value=False, is_eager=True)
def cli() -> None:
    """Lengkap: offline-first verification kiosk for KJP Plus and PKH."""


def common_options(func: F) -> F:
    """--data-dir, --json and --lang on every command, with handled errors turned into exit 1."""

    @click.option("--data-dir", type=click.Path(file_okay=False), default=None)
    @click.option("--json", "as_json", is_flag=True)
    @_lang_option()
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KioskError as exc:
            fail(exc, kwargs.get("lang", "id"), kwargs.get("as_json", False))

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
