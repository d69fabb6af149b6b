"""A staff member's authenticator app, for tests that sign in as an admin or supervisor.

A code is good once (the server remembers the last step it took), so a second sign-in within one
30-second step takes the next step's code (one step of drift is allowed), and a third waits for
the next step, as a person would.
"""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime

from kiosk.domain.credentials import TOTP_DRIFT_STEPS, TOTP_PERIOD_SECONDS, totp_code, totp_step


class Authenticator:
    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}  # staff name -> secret
        self._used: dict[str, int] = {}  # staff name -> last step whose code was handed out

    def add(self, name: str, secret: str, confirmed_step: int) -> None:
        self.secrets[name] = secret
        self._used[name] = confirmed_step

    def code(self, name: str, at: datetime | None = None) -> str:
        """The next unused code of `name`; "" for an account without TOTP."""
        secret = self.secrets.get(name)
        if secret is None:
            return ""
        while True:
            current = totp_step(at or datetime.now(UTC))
            step = max(current, self._used.get(name, -1) + 1)
            if step <= current + TOTP_DRIFT_STEPS:
                self._used[name] = step
                return totp_code(secret, step)
            if at is not None:
                raise AssertionError(f"no unused code for {name} at {at}")
            time.sleep(TOTP_PERIOD_SECONDS - time.time() % TOTP_PERIOD_SECONDS + 0.1)


def set_up_with_cli(command: list[str], authenticator: Authenticator, name: str) -> None:
    """Run `kiosk-server user totp NAME ...` as an operator would: read the secret it prints,
    type the app's code, and keep the secret."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    ) as process:
        assert process.stdout and process.stdin and process.stderr
        while not (line := process.stdout.readline()).startswith(("Secret: ", "Rahasia: ")):
            assert line, process.stderr.read()
        secret = line.split(":", 1)[1].strip()
        step = totp_step(datetime.now(UTC))
        process.stdin.write(totp_code(secret, step) + "\n")
        process.stdin.close()
        output, errors = process.stdout.read(), process.stderr.read()
        assert process.wait(timeout=60) == 0, f"{output}\n{errors}"
    authenticator.add(name, secret, step)
