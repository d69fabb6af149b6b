"""A handheld scanner in real Chromium: keys typed as fast as a scanner types them are read as a
scan wherever the focus is (the page hears every key), while a person's typing stays typing.

Keys are timed when they reach the app, after the browser: a headless Chromium sharing two busy
cores delivers a 5 ms burst with gaps of 5-110 ms. This app's data folder therefore carries the
`[scanner]` settings a slow counter would get (README), which is also what the test exercises.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from kiosk.i18n import text
from tests.e2e.actions import focus_for_typing, value_of
from tests.e2e.browser import (
    AppProcess,
    chromium_missing_reason,
    stop_app,
)
from tests.e2e.conftest import Screens, start_officer_app
from tests.e2e.test_officer_e2e import sign_in

pytestmark = pytest.mark.slow

NIK_SCANNED = "3174022303100001"  # Muhammad Abdul Rahman in the sample roster
# Looser than a real counter needs, still below a person's pace (the slow-typing test's 250 ms):
# on two loaded cores the gaps between a burst's keys reach 110 ms by the time they arrive.
SLOW_COUNTER = """
[scanner]
max_gap_ms = 120
hiccup_gap_ms = 200
end_timeout_ms = 400
"""


@pytest.fixture(scope="module")
def scanner_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    running = start_officer_app(tmp_path_factory.mktemp("e2e-scanner"), SLOW_COUNTER)
    yield running
    stop_app(running)


@pytest.fixture
def officer_screens(scanner_app: AppProcess, browser_context: Any) -> Screens:
    return Screens(browser_context, scanner_app.url, scanner_app.data_dir)


def test_a_scanner_burst_into_the_name_field_fills_the_nik(officer_screens):
    page = officer_screens.open("/")
    sign_in(page)
    name = focus_for_typing(page, text("verify.name"))
    page.keyboard.type(NIK_SCANNED + "\n", delay=5)  # a scanner: a key every few ms, then Enter
    expect(page.get_by_text(text("verify.scan_filled", fields="NIK"))).to_be_visible()
    expect(value_of(page, text("verify.nik"))).to_have_value(NIK_SCANNED)
    expect(page.get_by_text("Muhammad Abdul Rahman", exact=False).first).to_be_visible()
    expect(name).to_have_value("")  # taken back out of the field that had the focus
    officer_screens.shot(page, "officer-handheld-scanner")


def test_typing_slowly_into_the_nik_field_stays_typing(officer_screens):
    page = officer_screens.open("/")
    sign_in(page)
    box = focus_for_typing(page, text("verify.nik"))
    page.keyboard.type("31740", delay=250)  # a person's pace
    expect(box).to_have_value("31740")
    expect(page.get_by_text(text("verify.nik_partial", count=5))).to_be_visible()
    page.wait_for_timeout(300)
    expect(page.get_by_text(text("verify.scan_filled", fields="NIK"))).to_have_count(0)
