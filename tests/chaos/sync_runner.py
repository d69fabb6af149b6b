"""A sync child process for the SIGKILL test: the real sync service, run until all is sent.

    python -m tests.chaos.sync_runner --data-dir DIR --events FILE [--runs N] [--seconds S]

The chaos test starts this, lets it work for a random moment and kills it with SIGKILL, which no
code can catch or clean up after: exactly a kiosk losing power mid-sync. The runner appends one
JSON line per event to FILE (start, each progress step, each finished run), flushed at once, so
the parent knows which phase each kill interrupted without a pipe that could fill and block.

It differs from `kiosk sync --once` only where a test needs it to: short timeouts, short retry
waits, and a fresh connection per request, so each request meets its own fault in the proxy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx

from kiosk.bootstrap import open_kiosk
from kiosk.services.sync import USER_AGENT, RunSettings, SyncProgress, sync_now
from sync.retry import Backoff, RetryPolicy

TIMEOUT = httpx.Timeout(5.0)
# Short waits: the proxy's faults are instant, and the test must stop by itself in seconds.
POLICY = RetryPolicy(request=Backoff(base=0.05, cap=0.5), tries=3, longest_wait=5.0)
SETTINGS = RunSettings(policy=POLICY)


class Events:
    """JSON lines appended to a file; a kill loses at most the line being written."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle
        self._last_phase = ""

    def write(self, event: str, **data: Any) -> None:
        line = json.dumps({"event": event, "at": time.time(), **data}, default=str)
        self._handle.write(line + "\n")
        self._handle.flush()

    def progress(self, step: SyncProgress) -> None:
        self.write("progress", **vars(step))


def http_client(trust: object = None) -> httpx.Client:
    """No keep-alive: every request takes a new connection through the proxy, and its own fate."""
    return httpx.Client(
        timeout=TIMEOUT,
        limits=httpx.Limits(max_keepalive_connections=0),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--events", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=20, help="At most this many sync runs.")
    parser.add_argument("--seconds", type=float, default=60.0, help="And at most this long.")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.seconds
    with args.events.open("a", encoding="utf-8") as handle:
        events = Events(handle)
        kiosk = open_kiosk(args.data_dir)
        try:
            events.write("start", pid=os.getpid())
            for run in range(1, args.runs + 1):
                report = sync_now(
                    kiosk, http_factory=http_client, settings=SETTINGS, on_progress=events.progress
                )
                events.write("report", run=run, **report.to_dict())
                if report.is_complete:
                    return 0
                if time.monotonic() > deadline:
                    break
        finally:
            kiosk.close()
    return 1


if __name__ == "__main__":
    sys.exit(main())
