"""Codes out of pictures: the measured pipeline of preprocessing steps and backends, and the read
records that the CLI, the app and the live reader share.

The pipeline tries its steps in order until one finds a code; after that, only the steps that can
add a code the first find missed (a tilted or sideways second code) run. Every step's comment says
what it measurably adds (tests/benchmarks/bench_scan.py, 400 frames, seed 1).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from kiosk.errors import ImageError, KioskError
from kiosk.scan import preprocess
from kiosk.scan.backends import Backend, RawRead, get_backend
from kiosk.scan.preprocess import View

Point = tuple[float, float]
Corners = tuple[Point, Point, Point, Point]
# A preparation is a chain of preprocess operations: ((name, *arguments), ...), applied in order
# to the grey picture; chains that share a prefix share its work within one decode.
Preparation = tuple[tuple[Any, ...], ...]

_OPERATIONS: dict[str, Callable[..., View | None]] = {
    "scaled": preprocess.scaled,
    "enlarged": preprocess.enlarged,
    "unenlargeable": preprocess.unenlargeable,
    "smoothed": preprocess.smoothed,
    "sharpened": preprocess.sharpened,
    "rotated": preprocess.rotated,
    "deskewed": preprocess.deskewed,
}
# Formats whose own check can pass a misread (a mod-103 or mod-10 checksum; PDF417 at low
# error-correction levels): their reads get a second opinion before they count.
_WEAK_CHECKS = frozenset({"code128", "ean13", "ean8", "pdf417"})
# Micro QR's one finder pattern is also a QR's corner: a blurred QR once read as Micro QR "8060"
# (seed 2, frame 132), and a second look was silent there. A Micro QR counts only when a second
# look reads the same bytes (printed Micro QRs of every size agreed at once).
_MUST_AGREE = frozenset({"microqr"})
_LINEAR = frozenset({"code128", "ean13", "ean8"})
# The formats zxing-cpp reads only near level or upright: a QR or DataMatrix beside them is read
# at any angle by the first step, they are not.
_NEEDS_TURNING = ("pdf417", "code128", "ean13", "ean8")
# Control characters that real payloads carry (GS1 and ISO 15434 separators, line breaks); any
# other one means the bytes are binary data, not text a person should see.
_TEXT_CONTROLS = frozenset("\t\n\r\x04\x1c\x1d\x1e")


@dataclass(frozen=True)
class CodeRead:
    """One code found in a picture."""

    format: str  # qr, microqr, code128, pdf417, datamatrix, ean13, ean8
    # Out of repr(): a payload may be a NIK, and a repr ends up in logs and tracebacks.
    text: str | None = field(repr=False)  # the payload when it is UTF-8 text; None for binary
    raw: bytes = field(repr=False)  # the payload exactly as encoded
    position: Corners  # corners in the original picture's pixels, clockwise
    backend: str  # zxing-cpp or pyzbar
    elapsed_ms: float  # from the start of decoding to this read
    step: str = ""  # the pipeline step that found it (for diagnosis)

    @property
    def is_binary(self) -> bool:
        return self.text is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "text": self.text,
            "raw_hex": self.raw.hex(),
            "position": [[round(x, 1), round(y, 1)] for x, y in self.position],
            "backend": self.backend,
            "ms": round(self.elapsed_ms, 1),
        }


@dataclass(frozen=True)
class SecondLook:
    """What a step still does once an earlier step found a code: a narrower, cheaper look for a
    second code that the first find leaves behind (a tilted PDF417 beside a QR)."""

    options: Mapping[str, Any]
    prepare: Preparation | None = None  # None: the step's own preparation
    # Only when a found code is turned by about a quarter turn: a page's codes share its
    # orientation, and an upright page's codes need no turning.
    sideways_only: bool = False


@dataclass(frozen=True)
class Step:
    """One attempt: a preparation of the grey picture, a backend, and the backend's options."""

    name: str
    backend: str
    prepare: Preparation = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    second_look: SecondLook | None = None  # None: skipped once a code was found


# The default pipeline. Every step was kept or dropped by measurement on the benchmark corpus
# (tests/benchmarks/bench_scan.py: 400 frames, 350 codes, seed 1, one core); figures are the
# decode rate lost when the step is left out, and the median ms per frame.
# Before any step: grey (zxing-cpp on grey instead of RGB: 19 ms instead of 23, same reads), only
# our six formats (13.5 instead of 19 ms), no inverted-code search (10.6 instead of 13.5 ms, same
# reads: printed documents carry dark codes on light paper).
# Measured and left out: contrast stretching (245 codes alone vs 256 for plain zxing-cpp, nothing
# added in the cascade), histogram equalisation (147: it amplifies JPEG blocks and noise), our own
# local-mean threshold (250: zxing-cpp's binariser already is one), zxing-cpp's global binariser
# (220), smoothing at radius 2 (70), halving the size (140), fixed turns by 30/45/60 degrees (+7
# codes for three extra decodes of 30 ms each; one turn by the measured skew gets +14).
DEFAULT_PIPELINE: tuple[Step, ...] = (
    # Documents are mostly held upright: without the 90-degree search zxing-cpp takes 4.4 ms
    # instead of 11; dropping this step (starting with "any direction") keeps every read but
    # raises the median from 12.4 to 21.1 ms.
    Step("upright", "zxing-cpp", options={"try_rotate": False}),
    # Portrait photos and sideways documents: 1-D and PDF417 codes turned by 90 or 270 degrees.
    # Without this step they are still read, by the denoised step: rot90_180 frames then take
    # 25-28 ms on average instead of 12-16 (the overall median gains 1 ms without it).
    # Second look: on a sideways page, a QR read by "upright" must not hide a Code 128 or PDF417
    # beside it that needs the quarter turn.
    Step(
        "any direction",
        "zxing-cpp",
        second_look=SecondLook({"formats": _NEEDS_TURNING}, sideways_only=True),
    ),
    # zxing-cpp reads PDF417 only within ~6 degrees of level and Code 128 within ~15: turned by
    # the page's measured skew, the rotation category goes from 16/30 to 30/30 (-4.3 points).
    # Second look: a QR beside a PDF417 tilted by 12-20 degrees is read by "upright", the PDF417
    # only here (the skew estimate follows the PDF417's many edges). As it runs on every frame
    # with a find, a coarse estimate screens level frames out first, and the picture is turned
    # only beyond 6 degrees, where zxing-cpp stops reading PDF417: perspective alone tilts many
    # one-code frames by 3-6 degrees, and the turn costs ~11 ms. Interleaved on 120 frames: median
    # 11.2 ms without second looks, 15.5 with both. No later step ever added a second code to a
    # first find (400 frames, seed 1), so they have none.
    Step(
        "deskewed",
        "zxing-cpp",
        (("deskewed",),),
        second_look=SecondLook(
            {"formats": _NEEDS_TURNING, "try_rotate": False}, prepare=(("deskewed", 6.0, True),)
        ),
    ),
    # Sensor noise, dim rooms: smoothing then unsharp masking (noise 25 -> 30/30; -2.3 points).
    Step("denoised", "zxing-cpp", (("smoothed", 1.0), ("sharpened", 3.0, 200))),
    # Small codes: modules of 1-2 pixels need more pixels per module (-0.3 points).
    Step("upscaled", "zxing-cpp", (("enlarged", 2.0),)),
    # Small and soft codes together (small 25 -> 27, blur 14 -> 15; -0.9 points).
    Step("upscaled, sharpened", "zxing-cpp", (("enlarged", 2.0), ("sharpened", 2.0, 150))),
    # The second backend, only when zxing-cpp found nothing: zbar's own binariser reads a few
    # motion-blurred and small linear codes (-0.6 points; on the plain frame only -0.3).
    Step("pyzbar, upscaled", "pyzbar", (("enlarged", 2.0),)),
    # A photo too big to enlarge (over 4 MP) skips the step above: zbar looks at it as it is
    # instead, so the second backend still backs up zxing-cpp on phone photos. Never runs on the
    # benchmark's 1280x720 frames.
    Step("pyzbar, big photo", "pyzbar", (("unenlargeable", 2.0),)),
)


def payload_text(raw: bytes) -> str | None:
    """The payload as text when it is UTF-8 without stray control characters, else None.

    A leading byte-order mark (some generators write one) is not part of the text.
    """
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if any((ord(ch) < 0x20 and ch not in _TEXT_CONTROLS) or ch == "\x7f" for ch in decoded):
        return None
    return decoded


class _Views:
    """The grey picture and its preparations, each computed at most once per decode.

    A preparation may decline (None): deskewing a level picture has nothing to add.
    """

    def __init__(self, base: View) -> None:
        self._cache: dict[Preparation, View | None] = {(): base}

    def get(self, preparation: Preparation) -> View | None:
        if preparation in self._cache:
            return self._cache[preparation]
        parent = self.get(preparation[:-1])
        view = None
        if parent is not None:
            name, *arguments = preparation[-1]
            view = _OPERATIONS[name](parent, *arguments)
        self._cache[preparation] = view
        return view


def _centre(corners: Corners) -> Point:
    return (sum(x for x, _ in corners) / 4, sum(y for _, y in corners) / 4)


def _extent(corners: Corners) -> float:
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    return max(max(xs) - min(xs), max(ys) - min(ys), 1.0)


def _same_code(a: CodeRead, b: CodeRead) -> bool:
    """The same symbol seen twice (two steps, two backends), not two copies printed apart."""
    if a.format != b.format or a.raw != b.raw:
        return False
    (ax, ay), (bx, by) = _centre(a.position), _centre(b.position)
    return math.hypot(ax - bx, ay - by) < max(_extent(a.position), _extent(b.position))


def _region(view: View, corners: Corners, fmt: str) -> View | None:
    """The code's neighbourhood in `view`, with room for the whole symbol and its quiet zone.

    A 1-D read's corners span only the scan lines that agreed, so its box grows more upward and
    downward than a 2-D symbol's.
    """
    height, width = view.pixels.shape
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 8.0)
    grow = 0.35 * span if fmt in _LINEAR else 0.15 * span
    left = max(0, int(min(xs) - 0.15 * span - 8))
    right = min(width, int(max(xs) + 0.15 * span + 9))
    top = max(0, int(min(ys) - grow - 8))
    bottom = min(height, int(max(ys) + grow + 9))
    if right - left < 8 or bottom - top < 8:
        return None
    crop = np.ascontiguousarray(view.pixels[top:bottom, left:right])
    return View(crop, preprocess.then(view.to_original, (1, 0, left, 0, 1, top)))


def _second_opinion(read: RawRead, view: View, backend: Backend) -> str:
    """ "agrees", "differs" or "silent": the code's region decoded again, sampled differently.

    Code 128 and EAN carry one weak checksum, and PDF417 at low error-correction levels can
    miscorrect. On three 400-frame corpora this refused 3 wrong payloads (two PDF417: a small code
    and a tilted one; an EAN-13 in noise) and no right one. Without it, seed 2 gives 2 wrong
    payloads. Cheapest sampling first: most reads agree at once (4-5 ms per check).
    """
    region = _region(view, read.corners, read.format)
    if region is None:
        return "silent"
    span = max(region.pixels.shape)
    variants: list[tuple[View, dict[str, Any]]] = [
        (preprocess.scaled(region, 1.5 if span < 500 else 0.75), {}),
    ]
    if span < 700:  # the 2x sampling is what caught both wrong reads; on a big code it is slow
        variants.append((preprocess.scaled(region, 2.0), {}))
    variants.append((region, {"binarizer": "global"}))
    seen: set[bytes] = set()
    for variant, options in variants:
        for other in backend.read(
            variant.pixels, formats=(read.format,), try_downscale=False, **options
        ):
            seen.add(other.raw)
        if read.raw in seen:
            return "agrees"
    return "differs" if seen else "silent"


def _accepted(read: RawRead, view: View) -> bool:
    """False when a second look at a weakly checked code reads something else there, or, for a
    format that must agree, anything but the same bytes."""
    if read.format not in _WEAK_CHECKS | _MUST_AGREE:
        return True
    checker = get_backend("zxing-cpp")  # also for pyzbar's reads: it has no knobs to resample
    if checker is None:
        return read.format not in _MUST_AGREE
    opinion = _second_opinion(read, view, checker)
    return opinion == "agrees" if read.format in _MUST_AGREE else opinion != "differs"


def decode_picture(
    picture: Image.Image | np.ndarray,
    *,
    pipeline: Iterable[Step] = DEFAULT_PIPELINE,
    scale: float = 1.0,
    budget_ms: float | None = None,
) -> list[CodeRead]:
    """Every code found in a camera frame or photo; [] when there is none.

    `scale` multiplies positions (a photo decoded at a reduced size reports full-size corners).
    `budget_ms` starts no further step once that much time has gone (live frames: the next frame
    is a new chance). Steps whose backend is not available here are skipped; with no backend at
    all, KioskError.
    """
    started = time.perf_counter()
    views = _Views(preprocess.grey(picture))
    found: list[CodeRead] = []
    tried = False
    for step in pipeline:
        backend = get_backend(step.backend)
        if backend is None:
            continue
        preparation, options = step.prepare, step.options
        if found:
            look = step.second_look
            if look is None or (look.sideways_only and not _any_sideways(found)):
                continue
            preparation = step.prepare if look.prepare is None else look.prepare
            options = look.options
        if tried and budget_ms is not None and _ms_since(started) > budget_ms:
            break
        tried = True
        view = views.get(preparation)
        if view is None:
            continue
        for raw_read in backend.read(view.pixels, **options):
            if not _accepted(raw_read, view):
                continue
            corners = tuple(_scaled(view.original_point(x, y), scale) for x, y in raw_read.corners)
            read = CodeRead(
                format=raw_read.format,
                text=payload_text(raw_read.raw),
                raw=raw_read.raw,
                position=corners,  # type: ignore[arg-type]
                backend=backend.name,
                elapsed_ms=_ms_since(started),
                step=step.name,
            )
            if not any(_same_code(read, seen) for seen in found):
                found.append(read)
    if not tried:
        raise KioskError("no barcode decoder is available on this machine", code="scan.no_backend")
    return found


def _turn_degrees(corners: Corners) -> float:
    """The direction of a code's top edge, in degrees in [0, 360) (image y points down)."""
    (left_x, left_y), (right_x, right_y) = corners[0], corners[1]
    return math.degrees(math.atan2(right_y - left_y, right_x - left_x)) % 360.0


def _any_sideways(found: list[CodeRead]) -> bool:
    return any(45.0 < _turn_degrees(read.position) % 180.0 < 135.0 for read in found)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _scaled(point: Point, scale: float) -> Point:
    return (point[0] * scale, point[1] * scale)


@dataclass(frozen=True)
class FileScan:
    """What one file gave: its codes, or the reason it could not be read."""

    path: str
    reads: tuple[CodeRead, ...] = ()
    error: ImageError | None = None
    elapsed_ms: float = 0.0

    @property
    def readable(self) -> bool:
        return self.error is None


def scan_file(path: str | Path, *, pipeline: Iterable[Step] = DEFAULT_PIPELINE) -> FileScan:
    """The codes in one image file; a file that cannot be used gives its error, never raises it."""
    started = time.perf_counter()
    name = str(path)
    try:
        picture, scale = preprocess.open_picture(Path(path), where=name)
        with picture:
            reads = decode_picture(picture, pipeline=pipeline, scale=scale)
    except ImageError as exc:
        return FileScan(name, error=exc, elapsed_ms=(time.perf_counter() - started) * 1000)
    return FileScan(name, tuple(reads), elapsed_ms=(time.perf_counter() - started) * 1000)


def scan_files(
    paths: Iterable[str | Path], *, pipeline: Iterable[Step] = DEFAULT_PIPELINE
) -> Iterator[FileScan]:
    """One FileScan per path, in order; a bad file never stops the batch."""
    steps = tuple(pipeline)
    for path in paths:
        yield scan_file(path, pipeline=steps)
