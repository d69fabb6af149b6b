"""A tiny stand-in for the browser: a Flet Session over a Connection that only records messages.

It touches Flet internals (flet.messaging), so it stays this small and in this one place.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import flet as ft
from flet.messaging.connection import Connection
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub


class RecordingConnection(Connection):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.executor = ThreadPoolExecutor(max_workers=2)
        self.pubsubhub = PubSubHub(loop=loop, executor=self.executor)
        self.sent: list[Any] = []

    def send_message(self, message: Any) -> None:
        self.sent.append(message)


class FakeBrowser:
    """Runs `main(page)` in a session and lets a test type, click and read the controls."""

    def __init__(
        self, main: Callable[[ft.Page], Any], loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        # The loop runs on a thread of its own: the test's thread may already run one (Playwright's
        # sync API keeps a loop running there while a browser is open, as in tests/e2e). A test
        # may give the loop a server already runs on, to see what the tab's handlers cost it.
        self.own_loop = loop is None
        self.loop = loop or asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-browser")
        if self.own_loop:
            self.thread.start()
        self.conn = RecordingConnection(self.loop)
        self.session = self.call(lambda: Session(self.conn))
        self.page: ft.Page = self.session.page
        self.run(self._start(main))

    def call(self, function: Callable[[], Any]) -> Any:
        """Run a plain function on the loop's thread (Flet objects are made where they live)."""

        async def wrapped() -> Any:
            return function()

        return self.run(wrapped())

    async def _start(self, main: Callable[[ft.Page], Any]) -> None:
        result = main(self.page)
        if asyncio.iscoroutine(result):
            await result

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def controls(self) -> Iterator[ft.Control]:
        def walk(control: Any) -> Iterator[ft.Control]:
            yield control
            for name in ("controls", "content"):
                child = getattr(control, name, None)
                for item in child if isinstance(child, list) else [child]:
                    if isinstance(item, ft.Control):
                        yield from walk(item)

        for top in self.page.controls:
            yield from walk(top)

    def find(self, kind: type, label: str) -> Any:
        """The control a screen reader would announce as `label` (label, content text, tooltip)."""
        for control in self.controls():
            if isinstance(control, kind) and label in (
                getattr(control, "label", None),
                getattr(control, "content", None),
                getattr(control, "tooltip", None),
            ):
                return control
        raise LookupError(f"no {kind.__name__} labelled {label!r}")

    def texts(self) -> list[str]:
        return [c.value for c in self.controls() if isinstance(c, ft.Text) and c.value]

    def type_into(self, label: str, value: str, kind: type = ft.TextField) -> None:
        control = self.find(kind, label)
        control.value = value
        self.run(self.session.dispatch_event(control._i, "change", value))

    def press_key(self, key: str, *, shift: bool = False, into: str | None = None) -> None:
        """One key as the browser reports it to page.on_keyboard_event (a label such as "A", "7",
        "Enter"), then, if a field `into` has the focus, the character it adds to that field."""
        event = {"key": key, "shift": shift, "ctrl": False, "alt": False, "meta": False}
        self.run(self.session.dispatch_event(self.page._i, "keyboard_event", event))
        if into is not None and len(key) == 1:
            control = self.find(ft.TextField, into)
            value = (control.value or "") + (key if shift or not key.isalpha() else key.lower())
            control.value = value
            self.run(self.session.dispatch_event(control._i, "change", value))

    def click(self, label: str, kind: type = ft.Button) -> None:
        self.run(self.session.dispatch_event(self.find(kind, label)._i, "click", None))

    def close(self) -> None:
        # Cancel what the app left running (the idle watch), then close like a browser tab.
        async def cancel_the_rest() -> None:
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        if not self.own_loop:
            self.conn.executor.shutdown(wait=True)
            return  # the loop and what else runs on it belong to whoever gave it
        self.run(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.conn.executor.shutdown(wait=True)
        self.loop.close()
