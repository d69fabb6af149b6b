"""Every command has help text and the common options; the demo runs the whole loop."""

import json

import click
from click.testing import CliRunner

from kiosk.cli import cli


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        else:
            yield path, command


def test_every_command_has_help_and_the_common_options():
    for path, command in _commands(cli):
        assert command.help, f"kiosk {' '.join(path)} has no help text"
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert {"--data-dir", "--json", "--lang"} <= options, path
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0


def test_the_demo_walks_through_the_offline_loop(tmp_path):
    folder = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--data-dir", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for fragment in (
        "roster import",
        "baris 9",
        "Tebet",
        "Muhammad Abdul Rahman",
        "Nomor registrasi:",
        "Pengaduan tersimpan",
        "Jawaban paling lambat",
    ):
        assert fragment in result.output
    exported = CliRunner().invoke(cli, ["export", "--data-dir", str(folder)]).output.splitlines()
    assert sorted(json.loads(line)["kind"] for line in exported) == ["complaint", "submission"]
