"""The server's logging at --log-level debug: its own lines at DEBUG, the libraries that log
payloads at WARNING, websocket frames dropped, long numbers masked on every handler."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from sync.server import logs

NIK = "3174015405090003"


@pytest.fixture
def restored() -> Iterator[None]:
    names = ["", logs.OWN_LOGGER, *logs.PAYLOAD_LOGGERS, *logs.HOST_LOGGERS]
    before = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def test_at_debug_our_lines_pass_and_the_payload_loggers_do_not(restored):
    logs.configure("debug")
    assert logging.getLogger("lengkap.server.ingest").isEnabledFor(logging.DEBUG)
    for name in ("flet_transport", "flet_object_patch", "websockets.server", "sqlalchemy.engine"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
    assert not logging.getLogger("some.library.nobody.listed").isEnabledFor(logging.INFO)


def test_a_payload_logger_set_to_debug_by_its_host_is_capped_again(restored):
    logging.getLogger("flet_transport").setLevel(logging.DEBUG)
    logs.cap_payload_loggers()
    assert logging.getLogger("flet_transport").level == logging.WARNING


def _record(level: int, pathname: str, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", level, pathname, 1, message, args, None)


def test_websocket_frames_on_uvicorns_logger_are_dropped_and_its_own_lines_kept():
    frames = logs.DropWebsocketFrames()
    frame = "/site-packages/websockets/legacy/protocol.py"
    assert not frames.filter(_record(logging.DEBUG, frame, "< %s", f"TEXT '{NIK}'"))
    assert frames.filter(_record(logging.INFO, frame, "connection open"))
    assert frames.filter(_record(logging.DEBUG, "/site-packages/uvicorn/server.py", "started"))


def test_long_numbers_are_masked_and_short_ones_kept():
    record = _record(logging.WARNING, "x.py", "nik=%s account=%s count=%d", NIK, "0123456789", 42)
    assert logs.MaskLongNumbers().filter(record)
    assert record.getMessage() == f"nik={'*' * 16} account={'*' * 10} count=42"
