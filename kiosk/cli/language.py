"""The language the `kiosk` command speaks, and click's own sentences (usage, errors) in it.

Click prints usage errors and help headings while it parses, before any command has read its
--lang, so the language is picked from the whole command line first (the last --lang wins,
wherever it stands), then $KIOSK_LANG, then Indonesian.

Click marks its sentences for gettext (`_("Missing argument")`). Its modules bind gettext once,
at import, so `speak_click_in_our_language` rebinds that name in each of them to a lookup in
assets/i18n/<lang>/cli_help.toml ([click] table, keyed by click's English sentence). Outside a
`kiosk` run (the server's CLI, a test calling click directly) nothing changes: the lookup answers
in click's English unless `speaking` set a language.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from kiosk.i18n import LANGUAGES, catalog

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

_speaking: ContextVar[str | None] = ContextVar("kiosk_cli_language", default=None)


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
