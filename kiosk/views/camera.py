"""Reading a code with the device's camera (flet-camera, in the web view), or saying why not.

The camera gives still pictures only: one is taken every few hundred milliseconds and decoded on a
worker thread, and a code counts once two consecutive pictures read it identically (LiveScan).
The scan stops on that, on Close, or after a timeout with a sentence saying what to do. A counter
or kiosk may have no camera, or the browser may refuse it: both are told in words, and the person
goes on with a photo file, a handheld scanner or the keyboard. Used by the officer's verify
screen (texts under "verify.") and the self-check kiosk (texts under "selfcheck.").
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from kiosk.domain.payloads import Payload
from kiosk.services.live_scan import LiveScan
from kiosk.settings import CameraSettings

PREVIEW_WIDTH, PREVIEW_HEIGHT = 480, 360
# A picture the browser has not delivered by then will not come (the camera hung or went away).
PICTURE_TIMEOUT = 10.0

Handler = Callable[[Any], Any]
MakeButton = Callable[[str, Handler, Any], ft.Control]  # (label, on_click, icon) -> button


def camera_supported() -> bool:
    return importlib.util.find_spec("flet_camera") is not None


def camera_problem(error: Exception, texts: str = "verify") -> str:
    """The sentence's code for a camera the plugin could not open: none there, or refused.

    The plugin says which only in its message: "CameraException(cameraNotFound, ...)" or
    "CameraException(CameraAccessDenied, ...)".
    """
    if "notfound" in str(error).replace("_", "").lower():
        return f"{texts}.camera_missing"
    return f"{texts}.camera_refused"


def plain_button(label: str, on_click: Handler, icon: Any) -> ft.Control:
    return ft.Button(content=label, icon=icon, on_click=on_click)


OnPayloads = Callable[[list[Payload]], Awaitable[None] | None]


class CameraScan:
    """A "camera" button that opens a preview and reads codes from it until one is confirmed.

    `start_scan()` makes the LiveScan for one opening; `on_payloads(payloads)` receives what it
    confirmed; `tell(sentence, is_error)` shows what happened; `t(code)` gives a sentence under
    `texts` (camera, camera_close, camera_ready, camera_hold, camera_timeout, camera_missing,
    camera_refused); `wrap` wraps each handler (the officer's idle timer); `pace` says how often
    a picture is taken and when to give up.
    """

    def __init__(
        self,
        t: Callable[..., str],
        start_scan: Callable[[], LiveScan],
        on_payloads: OnPayloads,
        tell: Callable[[str, bool], None],
        *,
        texts: str = "verify",
        make_button: MakeButton = plain_button,
        wrap: Callable[[Handler], Handler] = lambda handler: handler,
        pace: CameraSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.t, self.start_scan, self.on_payloads, self.tell = t, start_scan, on_payloads, tell
        self.texts, self.make_button, self.wrap = texts, make_button, wrap
        self.pace, self.clock = pace or CameraSettings(), clock
        self.button = make_button(t(f"{texts}.camera"), wrap(self.open), ft.Icons.CAMERA_ALT)
        self.box = ft.Column()
        self.camera: Any = None
        self.page: Any = None

    async def open(self, _: Any) -> None:
        if not camera_supported():
            self.tell(self.t(f"{self.texts}.camera_missing"), True)
            return
        import flet_camera as fc  # type: ignore[import-untyped]

        self.close()
        camera = fc.Camera(width=PREVIEW_WIDTH, height=PREVIEW_HEIGHT, preview_enabled=True)
        self.box.controls = [camera]
        # The control must be in the browser before it can be asked anything; from here on this
        # handler sends its own changes (Flet 1.0 stops doing it once a handler has updated).
        self.page = self.box.page
        self.box.update()
        try:
            found = await camera.get_available_cameras()
            if not found:
                self.close()
                self.say(self.t(f"{self.texts}.camera_missing"), True)
                return
            await camera.initialize(found[0], fc.ResolutionPreset.MEDIUM, enable_audio=False)
        except Exception as exc:  # the plugin reports both only as an error from the client
            self.close()
            self.say(self.t(camera_problem(exc, self.texts)), True)
            return
        self.camera = camera
        self.box.controls = [
            camera,
            self.make_button(
                self.t(f"{self.texts}.camera_close"),
                self.wrap(lambda _: self.close()),
                ft.Icons.CLOSE,
            ),
        ]
        self.say(self.t(f"{self.texts}.camera_ready"), False)
        await self.read_frames(camera)

    def say(self, sentence: str, is_error: bool) -> None:
        """Tell, and send it: used where the handler has already updated the page itself."""
        self.tell(sentence, is_error)
        if self.page is not None:
            self.page.update()

    async def read_frames(self, camera: Any) -> None:
        """Take pictures until a code is confirmed, the camera is closed, or time is up."""
        scan = self.start_scan()
        deadline = self.clock() + self.pace.timeout_seconds
        told_hold = False
        while self.camera is camera:
            if self.clock() > deadline:
                self.close()
                seconds = round(self.pace.timeout_seconds)
                self.say(self.t(f"{self.texts}.camera_timeout", seconds=seconds), True)
                return
            try:
                picture = await asyncio.wait_for(camera.take_picture(), PICTURE_TIMEOUT)
            except Exception as exc:  # the camera went away (unplugged, permission revoked)
                if self.camera is camera:
                    self.close()
                    self.say(self.t(camera_problem(exc, self.texts)), True)
                return
            # Decoding takes tens of milliseconds: off the event loop, so the page stays live.
            reads = await asyncio.to_thread(scan.decode, bytes(picture))
            if self.camera is not camera:  # closed meanwhile: a late read fills nothing
                return
            payloads = scan.confirm(reads)
            if payloads:
                self.close()
                result = self.on_payloads(payloads)
                if inspect.isawaitable(result):
                    await result
                if self.page is not None:
                    self.page.update()
                return
            if scan.seen() and not told_hold:
                told_hold = True
                self.say(self.t(f"{self.texts}.camera_hold"), False)
            await asyncio.sleep(self.pace.frame_interval_ms / 1000)

    def close(self) -> None:
        self.camera = None
        self.box.controls = []
