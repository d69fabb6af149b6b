"""What the server writes to its log: its own lines at the level asked for, never a payload.

Personal data (NIK, family card, names, phones, account numbers) and staff passwords never reach
a log, at any level. The libraries under the server log what passes through them when asked for
DEBUG: Flet's transport every message between a browser and the console (a typed password, the
NIKs and names on a screen), websockets every frame (on uvicorn's "uvicorn.error" logger),
SQLAlchemy every row it reads. So, whatever --log-level says:

- the root logger stays at WARNING: a library logs only its warnings and errors;
- the server's own loggers ("lengkap...") and uvicorn's follow --log-level, without the
  websocket frames uvicorn's logger would carry at DEBUG;
- the libraries known to log payloads are capped at WARNING by name, even if a host set them
  lower; the app itself (`create_app`) drops uvicorn's websocket frames under any host;
- every handler masks digit runs as long as an account number, a second line of defence for a
  warning that quotes what it was given.
"""

from __future__ import annotations

import logging
import re
from typing import Final

OWN_LOGGER: Final = "lengkap"
HOST_LOGGERS: Final = ("uvicorn", "uvicorn.error", "uvicorn.access")
PAYLOAD_LOGGERS: Final = (
    "flet",
    "flet_transport",
    "flet_object_patch",
    "flet_controls",
    "flet_components",
    "flet_web",
    "websockets",
    "sqlalchemy",
    "httpx",
    "httpcore",
    "multipart",
    "python_multipart",
)
FORMAT: Final = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Nine digits and more: a NIK or family card (16), an account (9-15), a phone (10-13).
_LONG_NUMBER = re.compile(r"\d{9,}")
_WEBSOCKETS_CODE = re.compile(r"[\\/]websockets[\\/]")


class MaskLongNumbers(logging.Filter):
    """Replaces every run of nine digits or more in a record's text with asterisks."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _LONG_NUMBER.sub(lambda found: "*" * len(found.group()), message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class DropWebsocketFrames(logging.Filter):
    """Drops the websockets library's DEBUG lines (frames, with their payload) that uvicorn
    routes to its own "uvicorn.error" logger; uvicorn's INFO and above pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or not _WEBSOCKETS_CODE.search(record.pathname)


def cap_payload_loggers() -> None:
    """Libraries that log payloads log warnings and errors only, and uvicorn no frames."""
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:  # NOTSET included: never inherit a DEBUG root
            logger.setLevel(logging.WARNING)
    drop_websocket_frames()


def drop_websocket_frames() -> None:
    """uvicorn's "uvicorn.error" logger without the websockets library's frames (once): whoever
    hosts the app and at whatever level, a console message never reaches a log this way."""
    host = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DropWebsocketFrames) for f in host.filters):
        host.addFilter(DropWebsocketFrames())


def configure(level: str) -> None:
    """The `kiosk-server serve` process's logging: `level` ("debug", "info", ...) for the
    server's own lines and uvicorn's, WARNING for every library."""
    logging.basicConfig(level=logging.WARNING, format=FORMAT)
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger(OWN_LOGGER).setLevel(level.upper())
    cap_payload_loggers()
    mask_handlers()


def mask_handlers() -> None:
    """MaskLongNumbers on the root's handlers and uvicorn's (they do not propagate); call again
    after uvicorn configured its own."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in HOST_LOGGERS)]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, MaskLongNumbers) for f in handler.filters):
                handler.addFilter(MaskLongNumbers())
