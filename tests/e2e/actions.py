"""What a person does in the app, as Playwright steps: type into a field, press, choose, read.

Every control is found by its role and accessible name, the way a screen reader finds it.
"""

from __future__ import annotations

import contextlib
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect


def type_into(page: Any, label: str, value: str, *, replace: bool = False) -> Any:
    """Click the field, wait until it takes keys, type `value` (over what is there if `replace`)."""
    box = focus_for_typing(page, label)
    if replace:
        page.keyboard.press("Control+A")
    page.keyboard.type(value)
    expect(box).to_have_value(value)
    return box


def focus_for_typing(page: Any, label: str) -> Any:
    """Click the field (unless it has the focus) and wait until it takes keys."""
    box = page.get_by_role("textbox", name=label, exact=True)
    if not box.evaluate("e => e === document.activeElement"):
        box.click()
    expect(box).to_be_focused()  # a key typed before the focus lands is lost
    # Flutter's engine attaches text editing to the field a frame after the focus, and marks it
    # with autocorrect="on" (every field here keeps Flet's autocorrect=True); keys typed before
    # that are overwritten by the field's own (empty) state.
    try:
        expect(box).to_have_attribute("autocorrect", "on", timeout=2500)
    except AssertionError:
        # Under load the engine can miss the focus (seen in CI): focus it again, once.
        box.click()
        expect(box).to_have_attribute("autocorrect", "on")
    return box


def value_of(page: Any, label: str) -> Any:
    """The field, focused: Flutter fills an unfocused field's accessible input only once focused.

    Focused the way a screen reader does, not clicked: a tooltip left over from a menu button
    can lie over the field for a while and take the click. Right after a screen is rebuilt (a
    language switch), the NIK field's autofocus can land a frame after ours and take the focus
    away, and under load the engine can miss a focus: so the focus is given up to three times.
    """
    box = page.get_by_role("textbox", name=label, exact=True)
    for attempt in range(3):
        box.focus()
        try:
            expect(box).to_be_focused(timeout=2500)
            expect(box).to_have_attribute("autocorrect", "on", timeout=2500)
            return box
        except AssertionError:
            if attempt == 2:
                raise
    return box


def tab_to(page: Any, target: Any, limit: int = 80) -> None:
    """Press Tab until `target` has the keyboard focus.

    Each press waits for the page's focused element to change; a dropdown menu's focus stays
    inside Flutter and moves nothing on the page, so that wait is capped at a second.
    """
    for _ in range(limit):
        if target.evaluate("e => e === document.activeElement"):
            return
        before = page.evaluate_handle("() => document.activeElement")
        page.keyboard.press("Tab")
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                "before => document.activeElement !== before", arg=before, timeout=1000
            )
    expect(target).to_be_focused()


def press(page: Any, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()


def choose(page: Any, label: str, option: str, attempts: int = 3) -> None:
    """Open the menu named `label` and pick `option`; the menu closes.

    A click that lands while the screen is rebuilt (the answer before it adds this question) can
    reach the old button and open nothing; seen in CI under load. The menu is then opened again,
    up to `attempts` times: the choice the test asserts on is unchanged.
    """
    menu_item = page.get_by_role("menuitem", name=option, exact=True)
    as_button = page.get_by_role("button", name=option, exact=True)
    for attempt in range(attempts):
        page.get_by_role("button", name=label).first.click()
        try:
            expect(menu_item.or_(as_button).last).to_be_visible(timeout=10_000)
            break
        except AssertionError:
            if attempt == attempts - 1:
                raise
    item = menu_item if menu_item.count() else as_button
    item.last.click()
    expect(as_button).to_have_count(0)


def see(page: Any, sentence: str) -> None:
    expect(page.get_by_text(sentence, exact=False).first).to_be_visible()
