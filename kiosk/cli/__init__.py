"""The `kiosk` command: a thin layer that parses arguments and calls services.

Exit codes: 0 success, 1 a handled error (one line on stderr), 2 misuse (click's usage errors).
"""

from __future__ import annotations

from kiosk.cli.base import cli

# Each command family lives in its own module and registers itself on import.
from kiosk.cli import identity as _identity  # noqa: E402,F401  (kiosk nik, kiosk kk)


def main() -> None:
    cli(prog_name="kiosk")
