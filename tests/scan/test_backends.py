"""Backends: both active here; without libzbar the app still decodes and says why pyzbar is off."""

from __future__ import annotations

import sys

import pytest

from kiosk.errors import KioskError
from kiosk.scan import backends
from kiosk.scan.backends import active_backends, get_backend, reset_backends
from kiosk.scan.decode import Step, decode_picture
from tests.scan.code_images import code, page


@pytest.fixture
def fresh_backends():
    reset_backends()
    yield
    reset_backends()


@pytest.fixture
def without_libzbar(monkeypatch, fresh_backends):
    """pyzbar's loader fails as it does on a machine without libzbar0."""
    import pyzbar.zbar_library

    def missing():
        raise ImportError("Unable to find zbar shared library")

    monkeypatch.setattr(pyzbar.zbar_library, "load", missing)
    for name in ("pyzbar.wrapper", "pyzbar.pyzbar"):
        if name in sys.modules:  # force a fresh import, which loads the library again
            monkeypatch.delitem(sys.modules, name)
    reset_backends()


def test_both_backends_are_active_on_this_machine(fresh_backends):
    statuses = {status.name: status for status in active_backends()}
    assert statuses["zxing-cpp"].active and statuses["zxing-cpp"].reason is None
    assert statuses["pyzbar"].active, statuses["pyzbar"].reason
    assert statuses["zxing-cpp"].version.startswith("3.")


def test_without_libzbar_pyzbar_is_inactive_with_the_reason_and_zxing_still_decodes(
    without_libzbar,
):
    statuses = {status.name: status for status in active_backends()}
    assert not statuses["pyzbar"].active
    assert "zbar" in statuses["pyzbar"].reason
    assert statuses["zxing-cpp"].active
    assert get_backend("pyzbar") is None
    frame = page((code("qr", "KJP-2026-T2-000123", 4), (40, 40)))
    assert [read.text for read in decode_picture(frame)] == ["KJP-2026-T2-000123"]


def test_a_step_for_a_missing_backend_is_skipped(without_libzbar):
    frame = page((code("qr", "KJP-2026-T2-000123", 4), (40, 40)))
    pipeline = (Step("zbar", "pyzbar"), Step("zxing", "zxing-cpp"))
    [read] = decode_picture(frame, pipeline=pipeline)
    assert read.backend == "zxing-cpp"


def test_with_no_backend_at_all_decoding_is_a_handled_error(monkeypatch, fresh_backends):
    def broken():
        raise ImportError("No module named 'zxingcpp'")

    monkeypatch.setitem(backends._LOADERS, "zxing-cpp", ("zxing-cpp", broken))
    monkeypatch.setitem(backends._LOADERS, "pyzbar", ("pyzbar", broken))
    reset_backends()
    with pytest.raises(KioskError) as caught:
        decode_picture(page(size=(100, 100)))
    assert caught.value.code == "scan.no_backend"


def test_zbar_keeps_qr_bytes_as_printed(fresh_backends):
    zbar = get_backend("pyzbar")
    assert zbar is not None
    payload = "Café ü".encode()  # zbar's charset guess would turn this into Shift-JIS
    frame = page((code("qr", payload, 4), (40, 40))).convert("L")
    import numpy as np

    [read] = zbar.read(np.asarray(frame))
    assert read.format == "qr"
    assert read.raw == payload


def test_zbar_reads_code128_and_ean_with_a_box(fresh_backends):
    import numpy as np

    zbar = get_backend("pyzbar")
    frame = page(
        (code("code128", "3174011405090003", 2), (40, 40)),
        (code("ean13", "590123412345", 2), (40, 250)),
    )
    reads = {read.format: read for read in zbar.read(np.asarray(frame.convert("L")))}
    assert reads["code128"].raw == b"3174011405090003"
    assert reads["ean13"].raw == b"5901234123457"
    (left, top), _, (right, bottom), _ = reads["code128"].corners
    assert 40 <= left < right and top < bottom <= 250
