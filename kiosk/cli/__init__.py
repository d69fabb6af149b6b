"""The `kiosk` command: a thin layer that parses arguments and calls services.

Exit codes: 0 success, 1 a handled error (one line on stderr), 2 misuse (click's usage errors).
"""

from __future__ import annotations

from kiosk.cli.base import cli

# Each command family lives in its own module and registers itself on `cli` when imported here.
# (one import line per module below)
from kiosk.cli import records as _records  # noqa: E402,F401


def main() -> None:
    cli(prog_name="kiosk")
