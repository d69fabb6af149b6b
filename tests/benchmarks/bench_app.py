"""App figures: cold start to the first interactive screen in headless Chromium, server-side time of
each action (the service calls the views make), and the app's memory with five browser sessions.

python -m tests.benchmarks.bench_app [--actions 50] [--sessions 5]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import segno

from kiosk.assets import assets_dir
from kiosk.bootstrap import Kiosk, open_kiosk
from kiosk.services.complaints import file_new_complaint
from kiosk.services.receipts import write_receipt
from kiosk.services.roster import import_roster
from kiosk.services.scanning import payloads_in_photo
from kiosk.services.selfcheck import status_by_nik, status_from_photo
from kiosk.services.status import status_of
from kiosk.services.submissions import record_submission
from kiosk.services.survey import record_survey_answer
from kiosk.views.shell import AppContext
from kiosk.views.verify_form import VerifyForm
from tests.benchmarks.figures import report, summary_ms
from tests.e2e.browser import (
    chromium_missing_reason,
    launch_chromium,
    open_page,
    start_app,
    stop_app,
)
from tests.support.requests import STUDENT_NIK, kjp_request

QUICK_ARGS = ["--actions", "5", "--sessions", "2"]
FIRST_SCREEN = "/selfcheck"
# The first screen is interactive when its first button is in the accessibility tree.
FIRST_BUTTON = "Ketik nomor registrasi"


def timed(action: Callable[[], Any], repeats: int) -> list[float]:
    seconds: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def app_actions(kiosk: Kiosk, folder: Path) -> dict[str, Callable[[], Any]]:
    """Each action's service calls, as the views make them, on a real SQLite file, by name."""
    number = str(record_submission(kiosk, kjp_request()).submission.register_number)
    receipt = write_receipt(kiosk, number, folder / "receipt.png").path.read_bytes()
    counter = iter(range(10**6))
    import_roster(
        kiosk.db,
        assets_dir() / "samples" / "roster-kjp-plus.csv",
        "kjp-plus",
        regions=None,
        now=datetime.now(),
    )
    form = VerifyForm(AppContext(kiosk=kiosk), program="kjp-plus", stage=2)
    form.nik, form.name = STUDENT_NIK, "Siti Rahmawaty"
    code = io.BytesIO()
    segno.make_qr(STUDENT_NIK).save(code, kind="png", scale=8, border=4)
    return {
        # What the verify screen computes on each keystroke in the NIK or name field.
        "officer: live NIK check and roster match with the name comparison": lambda: (
            form.nik_feedback(),
            form.roster_lines(),
        ),
        "officer: what is missing and why (answer or document changed)": form.result_lines,
        "officer: scan a photo of a NIK code": lambda: payloads_in_photo(kiosk, code.getvalue()),
        "officer: save a submission": lambda: record_submission(kiosk, kjp_request()),
        "officer/self-check: status by register number": lambda: status_of(kiosk, number),
        "self-check: status by NIK and birth date": lambda: status_by_nik(
            kiosk, STUDENT_NIK, "14-05-2009"
        ),
        "self-check: receipt photo decoded to a status": lambda: status_from_photo(kiosk, receipt),
        "complaint: file": lambda: file_new_complaint(
            kiosk, category="other", description="belum cair", name="Aminah"
        ),
        "receipt: render the PNG (print)": lambda: write_receipt(
            kiosk, number, folder / f"r{next(counter)}.png"
        ),
        "survey: store an answer": lambda: record_survey_answer(
            kiosk, 4, flow="selfcheck", language="id"
        ),
    }


def action_figures(kiosk: Kiosk, folder: Path, repeats: int) -> None:
    for name, action in app_actions(kiosk, folder).items():
        summary_ms(name, timed(action, repeats), goal_p95="<= 100 ms")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def browser_figures(folder: Path, sessions: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    started = time.perf_counter()
    app = start_app(folder / "data", folder / "app.log")
    try:
        server_up = time.perf_counter() - started
        with sync_playwright() as playwright:
            context = launch_chromium(playwright, tempfile.mkdtemp(prefix="lengkap-bench-"))
            try:
                page = open_page(context, f"{app.url}{FIRST_SCREEN}")
                expect(page.get_by_role("button", name=FIRST_BUTTON)).to_be_visible()
                cold = time.perf_counter() - started
                report("cold start: app process answering HTTP", server_up, "s")
                report("cold start: to the first interactive screen", cold, "s", "<= 5 s")
                pages = [page]
                for _ in range(sessions - 1):
                    more = open_page(context, f"{app.url}{FIRST_SCREEN}")
                    expect(more.get_by_role("button", name=FIRST_BUTTON)).to_be_visible()
                    pages.append(more)
                report(
                    f"app process RSS with {len(pages)} browser sessions open",
                    rss_mib(app.process.pid),
                    "MiB",
                    "informative; ~50 MiB idle",
                )
            finally:
                context.close()
    finally:
        stop_app(app)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actions", type=int, default=50, help="repetitions of each action")
    parser.add_argument("--sessions", type=int, default=5, help="browser sessions for the RSS")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lengkap-bench-app-") as work:
        folder = Path(work)
        kiosk = open_kiosk(folder / "actions")
        try:
            action_figures(kiosk, folder, arguments.actions)
        finally:
            kiosk.close()
        reason = chromium_missing_reason()
        if reason:
            print(f"browser figures skipped: {reason}", flush=True)
            return
        browser_figures(folder / "browser", arguments.sessions)


if __name__ == "__main__":
    main()
