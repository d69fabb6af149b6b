"""A central server for `kiosk demo`, run as its own process through the `kiosk-server` command.

The kiosk never imports the server (import-linter holds that line): the demo starts it the way an
operator would, as a separate program bound to 127.0.0.1, and drives it through its command line.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import click
import httpx

from kiosk.cli.ports import free_port
from kiosk.errors import KioskError
from kiosk.i18n import LANGUAGES
from kiosk.localized_cli import LANG_ENV

# The same interpreter as this kiosk: `kiosk-server` is the console script for this module.
SERVER_COMMAND = [sys.executable, "-m", "sync.server"]
START_TIMEOUT = 60.0


class LocalServerError(KioskError):
    default_code = "demo.server_failed"


class LocalServer:
    """`kiosk-server serve` on 127.0.0.1 and a free port, with its data (and log) in `folder`."""

    def __init__(self, folder: Path, port: int | None = None, lang: str | None = None) -> None:
        self.folder = folder
        # The language of the commands' output: shown when not the default (Indonesian), and set
        # for the server's process too, so a $KIOSK_LANG saying otherwise does not win.
        self.lang_args = ["--lang", lang] if lang and lang != LANGUAGES[0] else []
        self.env = {**os.environ, LANG_ENV: lang} if lang else None
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        show("kiosk-server", [*args, "--data-dir", str(self.folder)])
        # A file, not a pipe, takes the server's output: a chatty server never blocks on it.
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*SERVER_COMMAND, *args, "--data-dir", str(self.folder)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
            )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise LocalServerError(
                    "the local server exited while starting",
                    params={"log": str(self.log_path)},
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise LocalServerError(
                    "the local server did not answer in time", params={"log": str(self.log_path)}
                )
            time.sleep(0.1)

    def run(self, *args: str, stdin: str | None = None) -> str:
        """Run `kiosk-server ARGS --data-dir FOLDER`, show it and its output; the output."""
        full = [*args, "--data-dir", str(self.folder), *self.lang_args]
        show("kiosk-server", full)
        done = subprocess.run(
            [*SERVER_COMMAND, *full],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env=self.env,
        )
        # Echoed, not inherited: whoever runs the demo (a terminal, a test) sees it in order.
        click.echo(done.stdout, nl=False)
        if done.returncode != 0:
            click.echo(done.stderr, nl=False, err=True)
            raise LocalServerError(
                "a kiosk-server command failed",
                code="demo.server_command_failed",
                params={"command": shlex.join(["kiosk-server", *args])},
            )
        return done.stdout

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def show(program: str, args: list[str]) -> None:
    click.secho("\n$ " + shlex.join([program, *args]), fg="cyan")
