"""Help and usage errors follow --lang like everything else `kiosk` and `kiosk-server` print.

Indonesian first, English second, from assets/i18n/*/cli_help*.toml (see kiosk/localized_cli.py).
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.i18n import LANGUAGES, catalog
from kiosk.localized_cli import language_in
from sync.server.cli import cli as server_cli

# Click's own English, which an Indonesian run must not show.
CLICK_ENGLISH = ("Usage:", "Options:", "Commands:", "Error:", "Try '", "Show this message")


PROGRAMS = {"kiosk": cli, "kiosk-server": server_cli}


def _every_command(group=cli, prefix=()):
    for name, command in group.commands.items():
        path = (*prefix, name)
        yield path, command
        if isinstance(command, click.Group):
            yield from _every_command(command, path)


def _invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_command_and_every_option_has_help_in_each_language(program, language):
    texts = catalog(language)
    for name in ("help", "version", "lang"):
        assert texts.get(f"cli_help.options.{name}"), name
    assert texts.get(f"cli_help.{program}.about")
    for path, command in _every_command(PROGRAMS[program]):
        key = ".".join(("cli_help", program, *path))
        assert texts.get(f"{key}.about"), f"{program} {' '.join(path)} has no {language} help"
        for param in command.params:
            if isinstance(param, click.Option):
                tables = (key, f"cli_help.{program}", "cli_help")  # its own, the program's, all
                explained = [texts.get(f"{table}.options.{param.name}") for table in tables]
                assert any(explained), f"{program} {' '.join(path)} {param.opts} ({language})"


@pytest.mark.parametrize("program", PROGRAMS)
def test_every_command_s_help_is_printed_in_the_language_asked_for(program):
    runner = CliRunner()
    for path, _command in _every_command(PROGRAMS[program]):
        key = ".".join(("cli_help", program, *path))
        for language in LANGUAGES:
            result = runner.invoke(PROGRAMS[program], [*path, "--help", "--lang", language])
            assert result.exit_code == 0, (path, result.output)
            first_words = catalog(language)[f"{key}.about"].split()[:4]
            assert " ".join(first_words) in " ".join(result.stdout.split()), (path, language)
        shown = runner.invoke(PROGRAMS[program], [*path, "--help"]).stdout
        assert not any(english in shown for english in CLICK_ENGLISH), (program, path)


def test_kiosk_help_is_indonesian_by_default_and_english_when_asked():
    indonesian = _invoke("--help").stdout
    assert indonesian.startswith("Penggunaan: kiosk [OPSI] PERINTAH [ARGUMEN]...")
    assert "Opsi:" in indonesian and "Perintah:" in indonesian
    assert "Tampilkan bantuan ini lalu keluar." in indonesian
    assert not any(english in indonesian for english in CLICK_ENGLISH)
    english = _invoke("--lang", "en", "--help").stdout
    assert english.startswith("Usage: kiosk [OPTIONS] COMMAND [ARGS]...")
    assert "Options:" in english and "Commands:" in english
    assert "offline-first verification kiosk" in english


def test_the_language_may_come_after_the_command_or_from_kiosk_lang():
    after = _invoke("roster", "find", "--help", "--lang", "en").stdout
    assert "Search by name instead of NIK" in after
    from_env = _invoke("roster", "find", "--help", env={"KIOSK_LANG": "en"}).stdout
    assert "Search by name instead of NIK" in from_env
    typed_wins = _invoke("roster", "find", "--help", "--lang", "id", env={"KIOSK_LANG": "en"})
    assert "Cari menurut nama, bukan NIK" in typed_wins.stdout


def test_a_language_given_before_the_command_reaches_the_command(data_dir):
    result = _invoke("--lang", "en", "nik", "3174015405090003", "--role", "student")
    assert result.exit_code == 0, result.output
    assert "Sex: female" in result.stdout


@pytest.mark.parametrize(
    ("args", "indonesian", "english"),
    [
        (("nik",), "Belum diisi: argumen 'NUMBER...'.", "Missing argument 'NUMBER...'."),
        (("nik", "1", "--bogus"), "Tidak ada opsi '--bogus'.", "No such option '--bogus'."),
        (("nosuch",), "Tidak ada perintah 'nosuch'.", "No such command 'nosuch'."),
        (
            ("check", "--stage", "x"),
            "Nilai tidak sah untuk '--stage': 'x' bukan bilangan yang sah (integer).",
            "Invalid value for '--stage': 'x' is not a valid integer.",
        ),
    ],
)
def test_usage_errors_are_translated_and_exit_2(args, indonesian, english):
    said = _invoke(*args)
    assert said.exit_code == 2
    assert said.stderr.startswith("Penggunaan: kiosk")
    assert f"Kesalahan: {indonesian}" in said.stderr
    assert not any(word in said.stderr for word in CLICK_ENGLISH)
    said = _invoke(*args, "--lang", "en")
    assert said.exit_code == 2
    assert said.stderr.startswith("Usage: kiosk")
    assert f"Error: {english}" in said.stderr


def test_kiosk_server_usage_errors_are_translated_and_exit_2():
    said = CliRunner().invoke(server_cli, ["device", "add"])
    assert said.exit_code == 2
    assert said.stderr.startswith("Penggunaan: kiosk-server device add [OPSI] NAME")
    assert "Kesalahan: Belum diisi: argumen 'NAME'." in said.stderr
    said = CliRunner().invoke(server_cli, ["device", "add", "--lang", "en"])
    assert said.exit_code == 2
    assert "Error: Missing argument 'NAME'." in said.stderr


def test_an_unknown_language_is_a_usage_error_in_the_default_language():
    said = _invoke("nik", "1", "--lang", "fr")
    assert said.exit_code == 2
    assert "Nilai tidak sah untuk '--lang': 'fr' bukan salah satu dari 'id', 'en'." in said.stderr


def test_the_last_valid_lang_on_the_line_wins_then_the_environment_then_indonesian():
    assert language_in(["nik", "--lang", "en", "1"], environ={}) == "en"
    assert language_in(["--lang=en", "nik", "--lang", "id"], environ={}) == "id"
    assert language_in(["nik", "--lang", "fr"], environ={}) == "id"
    assert language_in(["nik"], environ={"KIOSK_LANG": "en"}) == "en"
    assert language_in(["nik"], environ={"KIOSK_LANG": "fr"}) == "id"
    assert language_in(["submit", "--", "--lang", "en"], environ={}) == "id"


def test_click_outside_a_kiosk_run_keeps_its_own_english():
    @click.command()
    @click.argument("name")
    def other(name):
        """Another program's command, run in the same process (as the server's CLI may be)."""

    said = CliRunner().invoke(other, [])
    assert said.exit_code == 2
    assert "Error: Missing argument 'NAME'." in said.stderr
