"""Click commands that speak the user's language: the help, the usage line and click's own errors.

Shared by `kiosk` and `kiosk-server`, so both read their language the same way and both print
help from assets/i18n/<lang>/cli_help.toml: a command's under `cli_help.<program> <path>.about`
(dots between the words, e.g. `cli_help.kiosk.roster.find.about`), an option's under
`<that>.options.<name>`, else under the program's `cli_help.<program>.options.<name>`, else under
`cli_help.options.<name>` (--help, --version, --lang for every program). The docstrings in the
code are for the people who read it.

Click prints usage errors and help headings while it parses, before any command has read its
--lang, so the language is picked from the whole command line first (the last --lang wins,
wherever it stands), then $KIOSK_LANG, then Indonesian.

Click marks its sentences for gettext (`_("Missing argument")`). Its modules bind gettext once,
at import, so `speak_click_in_our_language` rebinds that name in each of them to a lookup in the
[click] table of cli_help.toml, keyed by click's English sentence. Outside a run of one of our
programs (a test calling click directly) nothing changes: the lookup answers in click's English
unless `speaking` set a language.
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import click

from kiosk.i18n import LANGUAGES, catalog

F = TypeVar("F", bound=Callable[..., Any])
HELP_TABLE = "cli_help"
LANG_ENV = "KIOSK_LANG"
LANG_OPTION = "--lang"
# The click modules that print to a person; each binds gettext's `_` (and `ngettext`) at import.
_CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.termui",
    "click.types",
)

_speaking: ContextVar[str | None] = ContextVar("cli_language", default=None)


def language_in(args: Sequence[str], environ: Mapping[str, str] = os.environ) -> str:
    """The language a command line asks for: its last valid --lang, else $KIOSK_LANG, else id.

    A value that is not a language is skipped here; the --lang option itself then reports it.
    """
    chosen: str | None = None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == LANG_OPTION and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith(LANG_OPTION + "="):
            value = arg.partition("=")[2]
        else:
            continue
        if value in LANGUAGES:
            chosen = value
    if chosen is None and environ.get(LANG_ENV) in LANGUAGES:
        chosen = environ[LANG_ENV]
    return chosen or LANGUAGES[0]


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Within this block the CLI's help and click's messages are in `language`."""
    token = _speaking.set(language)
    try:
        yield
    finally:
        _speaking.reset(token)


def current_language() -> str:
    """The language of this `kiosk` run (the default outside one)."""
    return _speaking.get() or LANGUAGES[0]


def click_gettext(message: str) -> str:
    """Click's sentence in the current language; click's own English outside a `kiosk` run."""
    language = _speaking.get()
    if language is None:
        return message
    return catalog(language).get(f"click.{message}", message)


def click_ngettext(singular: str, plural: str, count: int) -> str:
    """Click's sentence with a count ("argument"/"arguments"), as click_gettext."""
    language = _speaking.get()
    english = singular if count == 1 else plural
    if language is None:
        return english
    form = "one" if count == 1 else "other"
    return catalog(language).get(f"click.{singular}.{form}", english)


def speak_click_in_our_language() -> None:
    """Point click's gettext names at click_gettext/click_ngettext (idempotent)."""
    for name in _CLICK_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = click_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = click_ngettext  # type: ignore[attr-defined]


def help_key(ctx: click.Context) -> str:
    """`cli_help.kiosk.roster.find` for `kiosk roster find`, whatever the program was called."""
    names: list[str] = []
    current: click.Context | None = ctx
    while current is not None:
        names.append(current.command.name or "")
        current = current.parent
    return ".".join([HELP_TABLE, *reversed(names)])


def _program_key(ctx: click.Context) -> str:
    """`cli_help.kiosk` for any `kiosk` command: where its program-wide options are explained."""
    return f"{HELP_TABLE}.{ctx.find_root().command.name}"


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
        """The option's sentence for this command, else its program's, else every program's."""
        name = "help" if param is self.get_help_option(ctx) else param.name
        for table in (help_key(ctx), _program_key(ctx), HELP_TABLE):
            found = help_text(f"{table}.options.{name}")
            if found:
                return found
        return None

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


class LocalizedProgram(LocalizedGroup):
    """A program's root group: picks the run's language from the whole line before click parses."""

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


def lang_option(**extra: Any) -> Callable[[F], F]:
    """--lang: the run's language already (language_in read it from the whole line)."""
    return click.option(LANG_OPTION, **_LANG_SETTINGS, **extra)


def _lang_option_for_group() -> click.Option:
    return click.Option([LANG_OPTION], **_LANG_SETTINGS, expose_value=False, is_eager=True)


speak_click_in_our_language()
