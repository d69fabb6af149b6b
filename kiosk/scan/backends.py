"""The decoding libraries behind one small interface, so that a missing native library costs one
backend and a sentence in `kiosk scan --backends`, never the app.

zxing-cpp is the main decoder (QR, Micro QR, Code 128, PDF417, DataMatrix, EAN); pyzbar, a ctypes wrapper
around the system's libzbar, is a second opinion that may be absent on a kiosk's image.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.metadata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import numpy as np

# The symbologies printed on program documents (DOMAIN.md): everything else is switched off, which
# is faster (zxing-cpp: median 14 ms -> 11 ms per 1280x720 frame, measured on the corpus) and
# removes whole families of false reads (zbar's DataBar decoder even asserts on printed text).
# Micro QR (what segno makes for a short text) costs nothing measurable; its one wrong read on the
# corpus (a blurred QR's corner, seed 2) is refused by decode's must-agree check. zbar cannot read it.
FORMATS = ("qr", "microqr", "code128", "pdf417", "datamatrix", "ean13", "ean8")
Point = tuple[float, float]


@dataclass(frozen=True)
class RawRead:
    """What one backend found in the picture it was given, in that picture's pixels."""

    format: str
    raw: bytes
    corners: tuple[Point, Point, Point, Point]  # clockwise from the symbol's top-left if known


@dataclass(frozen=True)
class BackendStatus:
    """Whether a backend can be used on this machine, and if not, why (for --backends)."""

    name: str
    active: bool
    version: str | None
    reason: str | None  # why it is inactive; None when active


class Backend(Protocol):
    name: str

    def read(self, pixels: np.ndarray, **options: Any) -> list[RawRead]:
        """Every code found in a 2-D uint8 grey picture."""
        ...


class ZxingBackend:
    """zxing-cpp: finds codes at any angle, reads PDF417 and DataMatrix, which zbar cannot."""

    name = "zxing-cpp"

    def __init__(self, module: Any) -> None:
        self._zx = module
        names = {"qr": "QRCode", "microqr": "MicroQRCode", "code128": "Code128"}
        names |= {"pdf417": "PDF417"}
        names |= {"datamatrix": "DataMatrix", "ean13": "EAN13", "ean8": "EAN8"}
        self._ours = {getattr(module.BarcodeFormat, theirs): ours for ours, theirs in names.items()}
        self._names = names
        self._formats = module.barcode_formats_from_str(",".join(names.values()))
        self._binarizers = {
            "local": module.Binarizer.LocalAverage,
            "global": module.Binarizer.GlobalHistogram,
        }

    def read(
        self,
        pixels: np.ndarray,
        *,
        try_rotate: bool = True,
        try_invert: bool = False,
        try_downscale: bool = True,
        binarizer: str = "local",
        formats: Sequence[str] = (),
        **_: Any,
    ) -> list[RawRead]:
        wanted = self._formats
        if formats:
            wanted = self._zx.barcode_formats_from_str(",".join(self._names[f] for f in formats))
        found = self._zx.read_barcodes(
            pixels,
            formats=wanted,
            try_rotate=try_rotate,
            try_invert=try_invert,
            try_downscale=try_downscale,
            binarizer=self._binarizers[binarizer],
        )
        reads = []
        for code in found:
            fmt = self._ours.get(code.format)
            if fmt is None or not code.valid:
                continue
            where = code.position
            corners = tuple(
                (float(p.x), float(p.y))
                for p in (where.top_left, where.top_right, where.bottom_right, where.bottom_left)
            )
            reads.append(RawRead(fmt, bytes(code.bytes), corners))  # type: ignore[arg-type]
        return reads


# zbar's own numbers (zbar.h): symbol types, and the config keys pyzbar's enum does not name.
_ZBAR_TYPES = {64: "qr", 128: "code128", 13: "ean13", 8: "ean8"}
_ZBAR_CFG_ENABLE = 0
_ZBAR_CFG_BINARY = 4  # zbar >= 0.23.1: hand QR bytes over as printed, not re-encoded
_ZBAR_Y800 = 0x30303859  # "Y800": 8-bit grey


class ZbarBackend:
    """libzbar through pyzbar's ctypes bindings; only QR, Code 128 and EAN (its PDF417 decoder
    is unfinished and it has no DataMatrix)."""

    name = "pyzbar"

    def __init__(self, wrapper: Any) -> None:
        self._w = wrapper
        # Without the binary mode, zbar guesses a charset and re-encodes QR bytes: measured, a
        # UTF-8 "Café ü" came back as Shift-JIS mojibake, a wrong payload. Such a zbar reads
        # only the linear codes, whose bytes it does not touch.
        scanner = self._new_scanner(qr=True)
        try:
            self.binary_qr = (
                wrapper.zbar_image_scanner_set_config(scanner, 64, _ZBAR_CFG_BINARY, 1) == 0
            )
        finally:
            wrapper.zbar_image_scanner_destroy(scanner)

    def _new_scanner(self, qr: bool) -> Any:
        scanner = self._w.zbar_image_scanner_create()
        if not scanner:
            raise MemoryError("zbar could not create a scanner")
        self._w.zbar_image_scanner_set_config(scanner, 0, _ZBAR_CFG_ENABLE, 0)
        for symbol in _ZBAR_TYPES:
            if symbol != 64 or qr:
                self._w.zbar_image_scanner_set_config(scanner, symbol, _ZBAR_CFG_ENABLE, 1)
        if qr:
            self._w.zbar_image_scanner_set_config(scanner, 64, _ZBAR_CFG_BINARY, 1)
        return scanner

    def read(self, pixels: np.ndarray, **_: Any) -> list[RawRead]:
        w = self._w
        height, width = pixels.shape
        data = np.ascontiguousarray(pixels, dtype=np.uint8).tobytes()
        scanner = self._new_scanner(qr=self.binary_qr)
        image = w.zbar_image_create()
        reads = []
        try:
            w.zbar_image_set_format(image, _ZBAR_Y800)
            w.zbar_image_set_size(image, width, height)
            w.zbar_image_set_data(image, data, len(data), None)
            if w.zbar_scan_image(scanner, image) < 0:
                return []
            symbol = w.zbar_image_first_symbol(image)
            while symbol:
                fmt = _ZBAR_TYPES.get(symbol.contents.type)
                if fmt is not None:
                    raw = ctypes.string_at(
                        w.zbar_symbol_get_data(symbol), w.zbar_symbol_get_data_length(symbol)
                    )
                    count = w.zbar_symbol_get_loc_size(symbol)
                    points = [
                        (w.zbar_symbol_get_loc_x(symbol, i), w.zbar_symbol_get_loc_y(symbol, i))
                        for i in range(count)
                    ]
                    reads.append(RawRead(fmt, raw, _four_corners(points)))
                symbol = w.zbar_symbol_next(symbol)
        finally:
            w.zbar_image_destroy(image)
            w.zbar_image_scanner_destroy(scanner)
        return reads


def _four_corners(points: Sequence[tuple[float, float]]) -> tuple[Point, Point, Point, Point]:
    """zbar gives the scan lines' end points; the code's box is their bounding rectangle."""
    if not points:
        return ((0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0))
    xs = [float(x) for x, _ in points]
    ys = [float(y) for _, y in points]
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    return ((left, top), (right, top), (right, bottom), (left, bottom))


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _load_zxing() -> ZxingBackend:
    return ZxingBackend(importlib.import_module("zxingcpp"))


def _load_zbar() -> ZbarBackend:
    # Importing pyzbar's wrapper loads libzbar with ctypes: ImportError when the library is not
    # installed (pyzbar's own message), OSError when it is there but cannot be loaded.
    return ZbarBackend(importlib.import_module("pyzbar.wrapper"))


# Order is preference: the pipeline names backends, this only says which exist here.
_LOADERS: dict[str, tuple[str, Callable[[], Backend]]] = {
    "zxing-cpp": ("zxing-cpp", _load_zxing),
    "pyzbar": ("pyzbar", _load_zbar),
}


@cache
def _loaded() -> tuple[dict[str, Backend], tuple[BackendStatus, ...]]:
    backends: dict[str, Backend] = {}
    statuses = []
    for name, (distribution, load) in _LOADERS.items():
        try:
            backends[name] = load()
        except (ImportError, OSError, AttributeError, MemoryError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            statuses.append(BackendStatus(name, False, _version(distribution), reason))
            continue
        statuses.append(BackendStatus(name, True, _version(distribution), None))
    return backends, tuple(statuses)


def active_backends() -> tuple[BackendStatus, ...]:
    """Every known backend, active or not; an inactive one says why (e.g. libzbar missing)."""
    return _loaded()[1]


def get_backend(name: str) -> Backend | None:
    """The backend called `name`, or None when it is not available on this machine."""
    return _loaded()[0].get(name)


def reset_backends() -> None:
    """Forget what was loaded, so the next call looks again (tests; a library installed later)."""
    _loaded.cache_clear()
