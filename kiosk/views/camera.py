"""Taking a picture with the device's camera (flet-camera, in the web view), or saying why not.

A counter or kiosk may have no camera, or the browser may refuse it: both are told in words, and
the person goes on with a photo file, a handheld scanner or the keyboard. Used by the officer's
verify screen (texts under "verify.") and the self-check kiosk (texts under "selfcheck.").
"""

from __future__ import annotations

import importlib.util
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

PREVIEW_WIDTH, PREVIEW_HEIGHT = 480, 360

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


class CameraScan:
    """A "camera" button that opens a preview with a "take the picture" button under it.

    `on_picture(bytes)` receives the JPEG; `tell(sentence, is_error)` shows what happened;
    `t(code)` gives a sentence under `texts` (camera, camera_take, camera_close, camera_ready,
    camera_missing, camera_refused); `wrap` wraps each handler (the officer's idle timer).
    """

    def __init__(
        self,
        t: Callable[[str], str],
        on_picture: Callable[[bytes], Awaitable[None]],
        tell: Callable[[str, bool], None],
        *,
        texts: str = "verify",
        make_button: MakeButton = plain_button,
        wrap: Callable[[Handler], Handler] = lambda handler: handler,
    ) -> None:
        self.t, self.on_picture, self.tell = t, on_picture, tell
        self.texts, self.make_button, self.wrap = texts, make_button, wrap
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
            ft.Row(
                [
                    self.make_button(
                        self.t(f"{self.texts}.camera_take"), self.wrap(self.take), ft.Icons.CAMERA
                    ),
                    self.make_button(
                        self.t(f"{self.texts}.camera_close"),
                        self.wrap(lambda _: self.close()),
                        ft.Icons.CLOSE,
                    ),
                ],
                wrap=True,
            ),
        ]
        self.say(self.t(f"{self.texts}.camera_ready"), False)

    def say(self, sentence: str, is_error: bool) -> None:
        """Tell, and send it: used where the handler has already updated the page itself."""
        self.tell(sentence, is_error)
        self.page.update()

    async def take(self, _: Any) -> None:
        if self.camera is None:
            return
        try:
            picture = await self.camera.take_picture()
        except Exception as exc:  # the camera went away (unplugged, permission revoked)
            self.close()
            self.tell(self.t(camera_problem(exc, self.texts)), True)
            return
        self.close()
        await self.on_picture(bytes(picture))

    def close(self) -> None:
        self.camera = None
        self.box.controls = []
