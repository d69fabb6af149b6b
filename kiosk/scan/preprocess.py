"""Pictures in, grey pixels out: opening image files safely, and the few transformations that
measurably help the decoders, each remembering how to map a point back to the original image.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageFilter, UnidentifiedImageError

from kiosk.errors import ImageError

# A phone photo is at most ~50 megapixels; a bigger "photo" is a decompression bomb or a scanning
# mistake. It is refused from the header, before a single pixel is decoded.
MAX_PIXELS = 64_000_000
# A JPEG decodes at a reduced scale straight from the file (draft mode); other formats decode whole
# first, so they get a lower limit: measured, a 62-megapixel PNG took 770 MB.
MAX_FULL_DECODE_PIXELS = 40_000_000
MAX_FILE_BYTES = 64 * 1024 * 1024
# Codes on a document photo stay readable at this size; JPEGs above it decode at 1/2, 1/4 or 1/8
# scale straight from the file (Pillow's draft mode), so memory stays bounded.
DECODE_SIDE = 4096
# The largest enlarged view the pipeline makes: 4 times a 1280x720 frame enlarged twice over.
MAX_ENLARGED_PIXELS = 16_000_000
# Only formats a camera or a scanner writes; this also keeps Pillow from handing an EPS file to
# Ghostscript.
READABLE_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF", "PPM")

Affine = tuple[float, float, float, float, float, float]  # x = a*u + b*v + c; y = d*u + e*v + f
IDENTITY: Affine = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


@dataclass(frozen=True)
class View:
    """Grey pixels for a decoder, and the affine map from its pixels to the original image's."""

    pixels: np.ndarray  # 2-D, uint8, C-contiguous
    to_original: Affine = IDENTITY

    def original_point(self, x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f = self.to_original
        return (a * x + b * y + c, d * x + e * y + f)

    def image(self) -> Image.Image:
        return Image.fromarray(self.pixels)


def then(outer: Affine, inner: Affine) -> Affine:
    """The map `outer(inner(p))`: a view's map to the original after a new view's map to it."""
    a, b, c, d, e, f = outer
    g, h, i, j, k, m = inner
    return (
        a * g + b * j,
        a * h + b * k,
        a * i + b * m + c,
        d * g + e * j,
        d * h + e * k,
        d * i + e * m + f,
    )


def _derived(view: View, image: Image.Image, to_parent: Affine = IDENTITY) -> View:
    pixels = np.asarray(image, dtype=np.uint8)
    return View(np.ascontiguousarray(pixels), then(view.to_original, to_parent))


def grey(picture: Image.Image | np.ndarray) -> View:
    """The picture as 8-bit grey: every decoder binarises luminance, colour only costs time."""
    if isinstance(picture, np.ndarray):
        if picture.ndim == 2:
            return View(np.ascontiguousarray(picture, dtype=np.uint8))
        if picture.ndim == 3 and picture.shape[2] in (3, 4):
            picture = Image.fromarray(np.ascontiguousarray(picture[:, :, :3], dtype=np.uint8))
        else:
            raise ImageError(
                f"an array of shape {picture.shape} is not a picture", code="scan.image.unreadable"
            )
    if _has_alpha(picture):
        picture = _on_paper(picture)
    if picture.mode.startswith("I"):  # 16-bit scans: keep the top 8 bits
        # In the image's own integer type: a 64-bit copy of a 40-megapixel scan would be 320 MB.
        wide = np.asarray(picture)
        return View(np.ascontiguousarray(np.clip(wide >> 8, 0, 255).astype(np.uint8)))
    return View(np.ascontiguousarray(np.asarray(picture.convert("L"), dtype=np.uint8)))


def scaled(view: View, factor: float) -> View:
    """Resized by `factor`; bicubic keeps module edges steep when a small code is enlarged."""
    height, width = view.pixels.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    resample = Image.Resampling.BICUBIC if factor > 1 else Image.Resampling.BOX
    resized = view.image().resize(size, resample)
    sx, sy = width / size[0], height / size[1]
    # Pixel centres: new (u + 0.5) * s = old (x + 0.5).
    return _derived(view, resized, (sx, 0.0, 0.5 * sx - 0.5, 0.0, sy, 0.5 * sy - 0.5))


def enlarged(view: View, factor: float) -> View | None:
    """Scaled up by `factor` for codes whose modules are 1-2 pixels; None for a big picture.

    A camera frame needs it; a photo of over MAX_ENLARGED_PIXELS / factor² pixels has pixels
    enough, and its enlarged copies would take 4 times its memory each (a 4096x4096 photo without
    a code once took 530 MB and 9 s).
    """
    if enlarged_size_refused(view, factor):
        return None
    return scaled(view, factor)


def unenlargeable(view: View, factor: float) -> View | None:
    """The picture itself when `enlarged` refuses it (a big photo), else None: the second
    backend still gets one look at a photo too big to enlarge, and none twice at a frame."""
    return view if enlarged_size_refused(view, factor) else None


def enlarged_size_refused(view: View, factor: float) -> bool:
    height, width = view.pixels.shape
    return width * height * factor * factor > MAX_ENLARGED_PIXELS


def smoothed(view: View, radius: float) -> View:
    """Gaussian-smoothed: averages sensor noise away before the binariser sees it."""
    return _derived(view, view.image().filter(ImageFilter.GaussianBlur(radius)))


def sharpened(view: View, radius: float, percent: int) -> View:
    """Unsharp-masked: steepens the edges a defocused or shaken camera leaves soft."""
    mask = ImageFilter.UnsharpMask(radius=radius, percent=percent, threshold=0)
    return _derived(view, view.image().filter(mask))


def rotated(view: View, degrees: float) -> View:
    """Turned by `degrees` (counter-clockwise) onto a canvas that keeps every corner.

    zxing-cpp reads 1-D and PDF417 codes along rows and columns only, so a code printed at 45°
    to the camera needs the picture turned; QR and DataMatrix do not.
    """
    height, width = view.pixels.shape
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    out_w = math.ceil(abs(width * cos) + abs(height * sin))
    out_h = math.ceil(abs(width * sin) + abs(height * cos))
    cx, cy, ox, oy = width / 2, height / 2, out_w / 2, out_h / 2
    # Output (u, v) -> input (x, y): rotate by -degrees about the centres (image y points down).
    to_parent: Affine = (cos, -sin, cx - cos * ox + sin * oy, sin, cos, cy - sin * ox - cos * oy)
    turned = view.image().transform(
        (out_w, out_h),
        Image.Transform.AFFINE,
        to_parent,
        Image.Resampling.BILINEAR,
        fillcolor=255,
    )
    return _derived(view, turned, to_parent)


def skew_degrees(view: View, sketch_side: int = 640, blur: float = 1.5) -> float:
    """The page's tilt in degrees, modulo 90 (in (-45, 45]), from its edges' directions.

    Text lines, table rules and the bars of a code share one direction on a photographed page;
    the strongest peak of the edge-direction histogram is that direction. A 640-pixel sketch is
    enough for one angle; a 400-pixel one (half the time) is within a few degrees of it.
    """
    height, width = view.pixels.shape
    factor = max(1, max(height, width) // sketch_side)
    image = view.image()
    sketch = image.reduce(factor) if factor > 1 else image
    # Smoothed first: on thin bars, differences of raw neighbouring pixels snap to the pixel
    # grid's directions (measured: a PDF417 turned 12 degrees came out as 21.5; smoothed, 12.5).
    pixels = np.asarray(sketch.filter(ImageFilter.GaussianBlur(blur)), dtype=np.float32)
    gx = pixels[1:-1, 2:] - pixels[1:-1, :-2]
    gy = pixels[2:, 1:-1] - pixels[:-2, 1:-1]
    strength = gx * gx + gy * gy  # squared: the sharp edges of a code outvote paper texture
    # Only clear edges vote: the faint gradients of paper texture and noise are direction-less.
    # The 95th percentile by partial sort: np.percentile costs 1.5 ms here, a third of the estimate.
    flat = strength.ravel()
    rank = int(flat.size * 0.95)
    strong = strength > max(float(np.partition(flat, rank)[rank]), 100.0)
    if int(strong.sum()) < 50:
        return 0.0
    angles = np.degrees(np.arctan2(gy[strong], gx[strong])) % 90.0
    histogram, _ = np.histogram(angles, bins=90, range=(0.0, 90.0), weights=strength[strong])
    smooth = histogram + np.roll(histogram, 1) + np.roll(histogram, -1)
    peak = int(np.argmax(smooth))
    left, centre, right = smooth[peak - 1], smooth[peak], smooth[(peak + 1) % 90]
    bend = left - 2 * centre + right
    offset = 0.5 * (left - right) / bend if bend else 0.0  # parabola through the three bins
    degrees = (peak + 0.5 + offset) % 90.0
    return degrees - 90.0 if degrees > 45.0 else degrees


def deskewed(view: View, least: float = 3.0, screened: bool = False) -> View | None:
    """Turned so that the page's lines are level; None when it is level within `least` degrees.

    zxing-cpp reads PDF417 only within about 6 degrees of level and Code 128 within about 15
    (measured with rendered codes), so a tilted invitation letter needs this. `screened` first
    asks a coarse sketch (2.2 instead of 4.5 ms on a 1280x720 frame), for the many level frames:
    on 205 frames its estimate was never under least - 2 where the fine one reached 6 degrees.
    """
    if screened and abs(skew_degrees(view, sketch_side=400, blur=1.0)) < least - 2.0:
        return None
    skew = skew_degrees(view)
    if abs(skew) < least:
        return None
    return rotated(view, skew)


# EXIF orientation -> the turn that makes the picture upright (as ImageOps.exif_transpose does, but
# on the small grey copy instead of the full-size original).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _on_paper(image: Image.Image) -> Image.Image:
    """A transparent picture in grey on white, like the paper a code is printed on.

    Grey and alpha apart, then pasted: two one-byte planes instead of full-size RGBA copies.
    """
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    alpha = image.getchannel("A")
    paper = Image.new("L", image.size, 255)
    paper.paste(image.convert("L"), mask=alpha)
    return paper


def _small_grey(image: Image.Image) -> Image.Image:
    """The picture grey, then at most DECODE_SIDE on its longer side, box-averaged.

    Grey first: Pillow keeps RGB in 4 bytes a pixel, so the full-size colour picture is the only
    big copy, and it is dropped as soon as the one-byte grey copy exists.
    """
    if _has_alpha(image):
        image = _on_paper(image)
    elif image.mode.startswith("I"):
        image = grey(image).image()
    elif image.mode != "L":
        image = image.convert("L")
    return _fitted(image)


def _fitted(image: Image.Image) -> Image.Image:
    factor = DECODE_SIDE / max(image.size)
    if factor >= 1:
        return image
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.BOX)


def open_picture(path: Path, where: str | None = None) -> tuple[Image.Image, float]:
    """The picture in `path`, grey, upright, at most DECODE_SIDE, and the factor to its full size.

    Refuses empty, huge, damaged and non-image files with an ImageError naming the file, so one bad
    file in a batch costs its own line, not the batch.
    """
    source = where or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImageError(
            "the file cannot be opened", where=source, code="scan.image.missing"
        ) from exc
    if not path.is_file():
        raise ImageError("not a file", where=source, code="scan.image.missing")
    if size == 0:
        raise ImageError("the file is empty", where=source, code="scan.image.empty")
    if size > MAX_FILE_BYTES:
        params = {"megabytes": MAX_FILE_BYTES // (1024 * 1024)}
        raise ImageError(
            "the file is too large", where=source, code="scan.image.too_large_file", params=params
        )
    try:
        with warnings.catch_warnings():
            # Pillow only warns below its own hard limit; we refuse instead (see MAX_PIXELS).
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path, formats=READABLE_FORMATS)
        with image:
            width, height = image.size
            limit = MAX_PIXELS if image.format == "JPEG" else MAX_FULL_DECODE_PIXELS
            if width * height > limit:
                raise ImageError(
                    f"{width}x{height} pixels is more than a photo can be",
                    where=source,
                    code="scan.image.too_many_pixels",
                    params={"megapixels": round(width * height / 1e6), "limit": limit // 10**6},
                )
            # JPEG decodes straight to grey at a reduced scale: less memory and time.
            image.draft("L", (DECODE_SIDE, DECODE_SIDE))
            image.load()
            orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
            picture = _small_grey(image)
            if picture is image:  # closing the file may free the pixels of the very same image
                picture = image.copy()
        upright = picture.transpose(_UPRIGHT[orientation]) if orientation in _UPRIGHT else picture
        return upright, max(width, height) / max(upright.size)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses far larger images itself, from the header; its message has the count.
        counted = re.search(r"\((\d+) pixels\)", str(exc))
        megapixels = round(int(counted.group(1)) / 1e6) if counted else "?"
        raise ImageError(
            "more pixels than a photo can have",
            where=source,
            code="scan.image.too_many_pixels",
            params={"megapixels": megapixels, "limit": MAX_FULL_DECODE_PIXELS // 10**6},
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageError(
            "not an image that can be read", where=source, code="scan.image.unreadable"
        ) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        # Truncated or corrupt data surfaces from the decoders as OSError/ValueError/EOFError.
        raise ImageError(
            f"damaged image data ({type(exc).__name__})", where=source, code="scan.image.damaged"
        ) from exc
