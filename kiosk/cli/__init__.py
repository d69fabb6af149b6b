"""The `kiosk` command: a thin layer that parses arguments and calls services.

Exit codes: 0 success, 1 a handled error (one line on stderr), 2 misuse (click's usage errors).
Each command family lives in its own module and registers itself on `cli` when imported here.
"""

from __future__ import annotations

from kiosk.cli import app, check, demo, identity, receipt, records, roster, scan, sync
from kiosk.cli.base import cli

COMMAND_MODULES = (app, check, demo, identity, records, roster, receipt, scan, sync)


def main() -> None:
    cli(prog_name="kiosk")
