"""The packaging recipes in build/ stay in step with the commands they run.

A service file that names an option the CLI no longer has would fail only on a kiosk in the field;
here every `kiosk` and `kiosk-server` command line in build/ is parsed by the real commands.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from kiosk.cli.base import cli as kiosk_cli
from sync.server.cli import cli as server_cli

BUILD = Path(__file__).resolve().parents[2] / "build"
PROGRAMS = {"kiosk": kiosk_cli, "kiosk-server": server_cli}
UNIT_FILES = sorted([*BUILD.glob("*/*.service"), *BUILD.glob("*/*.timer")])


def exec_lines() -> list[tuple[str, list[str]]]:
    """(where, argv) for every ExecStart in the unit files."""
    found = []
    for unit in UNIT_FILES:
        for number, line in enumerate(unit.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith("ExecStart="):
                found.append(
                    (f"{unit.name}:{number}", shlex.split(line.removeprefix("ExecStart=")))
                )
    return found


def readme_command_lines() -> list[tuple[str, list[str]]]:
    """(where, argv) for every kiosk or kiosk-server call in build/README.md's shell blocks."""
    found, in_block = [], False
    readme = BUILD / "README.md"
    for number, line in enumerate(readme.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("```"):
            in_block = line.strip() == "```sh"
            continue
        if in_block:
            for part in line.split("#", 1)[0].split("&&"):
                found.append((f"README.md:{number}", shlex.split(part)))
    return found


def lengkap_call(argv: list[str]) -> tuple[str, list[str]] | None:
    """The program name and its arguments, wherever the call sits in the line (after sudo, env...)."""
    for index, word in enumerate(argv):
        name = Path(word).name
        if name in PROGRAMS:
            return name, argv[index + 1 :]
        if word == "-m" and index + 1 < len(argv) and argv[index + 1] == "kiosk":
            return "kiosk", argv[index + 2 :]
    return None


def parse(program: str, arguments: list[str]) -> click.Command:
    """Resolve the subcommands and parse the options the way the real command would, without running."""
    command: click.Command = PROGRAMS[program]
    words = list(arguments)
    while isinstance(command, click.Group):
        assert words, f"{program}: a subcommand is missing"
        name = words.pop(0)
        sub = command.get_command(click.Context(command), name)
        assert sub is not None, f"{program}: no subcommand {name!r}"
        command = sub
    command.make_context(command.name or program, words)
    return command


CALLS = [
    pytest.param(program, arguments, id=where)
    for where, argv in [*exec_lines(), *readme_command_lines()]
    if (call := lengkap_call(argv)) is not None
    for program, arguments in [call]
]


def test_the_recipes_call_the_kiosk_and_the_server():
    programs = {program for program, _ in (param.values for param in CALLS)}
    assert programs == {"kiosk", "kiosk-server"}
    assert len(exec_lines()) == 4, "one ExecStart per service file"


@pytest.mark.parametrize(("program", "arguments"), CALLS)
def test_every_recipe_command_line_is_accepted_by_the_real_command(program, arguments):
    try:
        parse(program, arguments)
    except click.UsageError as exc:
        pytest.fail(f"{program} {' '.join(arguments)}: {exc.format_message()}")


def test_a_wrong_option_in_a_recipe_would_be_caught():
    with pytest.raises(click.UsageError, match="--selfchek"):
        parse("kiosk", ["run", "--selfchek"])


def test_the_screen_shows_the_port_the_selfcheck_app_serves():
    service = (BUILD / "device" / "lengkap-selfcheck.service").read_text(encoding="utf-8")
    screen = (BUILD / "device" / "lengkap-screen.service").read_text(encoding="utf-8")
    port = re.search(r"--port (\d+)", service)
    assert port is not None
    assert f"--app=http://127.0.0.1:{port.group(1)}" in screen


def test_servers_in_the_recipes_listen_on_loopback_only():
    for where, argv in exec_lines():
        if (call := lengkap_call(argv)) and call[1][:1] in (["run"], ["serve"]):
            assert call[1][call[1].index("--host") + 1] == "127.0.0.1", where


def test_systemd_finds_nothing_wrong_with_the_unit_files():
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    done = subprocess.run(
        [analyze, "verify", *map(str, UNIT_FILES)], capture_output=True, text=True, check=False
    )
    # The programs are installed on the target, not on the machine running the tests.
    problems = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and "is not executable: No such file or directory" not in line
    ]
    assert problems == []
