"""Every command has help text and the common options (the demo: tests/cli/test_demo_cli.py)."""

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
