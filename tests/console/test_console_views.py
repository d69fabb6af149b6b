"""The console's screens built in a Flet session without a browser (tests/app/flet_harness.py):
every screen of a role draws, and the language switch redraws it in the other language."""

from __future__ import annotations

import asyncio

import flet as ft
import pytest

from kiosk.i18n import text
from sync.server.console.app import ConsoleApp
from tests.app.flet_harness import FakeBrowser
from tests.console.conftest import PASSWORD, code_for
from tests.staff.helpers import new_complaint, new_submission

BROWSER = "a-digest-of-this-browser-cookie"  # what the real page's cookie would give


@pytest.fixture
def browser(server):
    opened = FakeBrowser(ConsoleApp(lambda: server.state, browser_of=lambda: BROWSER).main)
    yield opened
    opened.close()


def sign_in(browser: FakeBrowser, name: str) -> None:
    browser.type_into(text("console.signin.name"), name)
    browser.type_into(text("console.signin.password"), PASSWORD)
    browser.type_into(text("console.signin.code"), code_for(name))
    browser.click(text("console.signin.submit"))


def test_a_supervisor_opens_every_screen_of_the_role_and_a_case(browser, tab, device):
    complaint, submission = new_complaint(device), new_submission(device)
    name = tab("supervisor").user.name
    sign_in(browser, name)
    role = text("console.role.supervisor")
    assert text("console.signed_in_as", name=name, role=role) in browser.texts()
    browser.click(text("console.open", number=complaint))
    assert text("console.case.heading", number=complaint) in browser.texts()
    browser.click(text("console.nav.review"))
    browser.click(text("console.open", number=submission))
    assert text("console.review.case_heading", number=submission) in browser.texts()
    browser.click(text("console.nav.monitoring"))
    assert text("console.monitoring.heading") in browser.texts()
    with pytest.raises(LookupError):
        browser.find(ft.Button, text("console.nav.users"))


def test_the_language_switch_redraws_the_screen_in_english(browser, tab):
    sign_in(browser, tab("officer").user.name)
    browser.click(text("console.language_switch"))
    assert text("console.queue.heading", "en") in browser.texts()
    browser.click(text("console.sign_out", "en"))
    assert text("console.signin.heading", "en") in browser.texts()


def test_a_wrong_password_leaves_the_tab_signed_out(browser, tab):
    browser.type_into(text("console.signin.name"), tab("admin").user.name)
    browser.type_into(text("console.signin.password"), "not-the-password")
    browser.click(text("console.signin.submit"))
    assert text("console.signin.wrong") in browser.texts()
    with pytest.raises(LookupError):
        browser.find(ft.Button, text("console.sign_out"))


def test_the_sign_in_screen_shows_an_unknown_name_exactly_what_it_shows_a_wrong_password(
    browser, tab
):
    name = tab("admin").user.name
    screens = []
    for typed in (name, name + "-nobody"):
        browser.type_into(text("console.signin.name"), typed)
        browser.type_into(text("console.signin.password"), "not-the-password")
        browser.click(text("console.signin.submit"))
        screens.append([line.replace(typed, "NAME") for line in browser.texts()])
    assert screens[0] == screens[1] and text("console.signin.wrong") in screens[0]


def test_a_console_left_alone_signs_out_with_a_notice(server, tab):
    console = ConsoleApp(lambda: server.state, idle_seconds=0.2, browser_of=lambda: BROWSER)
    browser = FakeBrowser(console.main)
    try:
        sign_in(browser, tab("officer").user.name)
        assert text("console.queue.heading") in browser.texts()
        browser.run(asyncio.sleep(0.6))
        assert text("console.signin.heading") in browser.texts()
        assert text("console.idle_locked") in browser.texts()
    finally:
        browser.close()
