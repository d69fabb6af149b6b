"""Document photos: normalised with Pillow, then stored once by the SHA-256 of what is kept.

Normalising applies the EXIF orientation, drops every piece of metadata (EXIF, GPS, comments),
limits the longest side to 2048 px and re-encodes as JPEG at quality 80: legible for an officer,
small enough for a village office's link, and free of the location where the photo was taken.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlite_utils
from PIL import Image, ImageOps, UnidentifiedImageError

from kiosk.domain import media
from kiosk.errors import ImageError

MAX_SIDE = 2048
JPEG_QUALITY = 80
MAX_SOURCE_BYTES = 40 * 1024 * 1024


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str
    size: int
    width: int
    height: int
    path: Path


def normalise_photo(data: bytes, source: str = "photo") -> tuple[bytes, int, int]:
    """The normalised JPEG bytes and their size; ImageError naming `source` when unusable."""
    if not data:
        raise ImageError("the file is empty", where=source, code="image.empty")
    if len(data) > MAX_SOURCE_BYTES:
        raise ImageError(
            "the file is too large",
            where=source,
            code="image.too_large_file",
            params={"megabytes": MAX_SOURCE_BYTES // (1024 * 1024)},
        )
    # Told by content, not by name: only JPEG, PNG and WebP reach Pillow, and then only the one
    # decoder for that kind (never EPS, whose plugin runs Ghostscript).
    kind = media.identify(data[: media.SNIFF_BYTES])
    if kind is None or kind not in media.PHOTO_KINDS:
        raise ImageError("not a JPEG, PNG or WebP photo", where=source, code="image.unreadable")
    try:
        with warnings.catch_warnings():
            # Pillow only warns below its own hard limit; our own limit is checked below.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=[media.PILLOW_FORMATS[kind]])
        with opened as image:
            # Read from the header: nothing is decoded before this check.
            width, height = image.size
            if media.too_many_pixels(kind, width, height):
                raise ImageError(
                    f"{width}x{height} pixels is more than a photo can be",
                    where=source,
                    code="image.too_many_pixels",
                    params={"width": width, "height": height},
                )
            # Let the JPEG decoder scale down while decoding when the photo is at least twice too big.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            upright = ImageOps.exif_transpose(image)
            rgb = _to_rgb(upright)
            rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False)
            return out.getvalue(), rgb.width, rgb.height
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(
            "more pixels than a photo can have",
            where=source,
            code="image.too_many_pixels",
            params={"width": "?", "height": "?"},
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageError(
            "not an image Pillow can read", where=source, code="image.unreadable"
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        # Truncated or corrupt data surfaces as OSError/ValueError from the decoder.
        raise ImageError(
            f"damaged image data ({type(exc).__name__})", where=source, code="image.damaged"
        ) from exc


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas become white, like the paper they stand for.
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def attachments_dir(data_dir: Path) -> Path:
    return data_dir / "attachments"


def photo_path(data_dir: Path, sha256: str) -> Path:
    return attachments_dir(data_dir) / sha256[:2] / f"{sha256}.jpg"


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo normalised in memory, not yet on disk: every photo of a record is prepared first,
    so a bad one refuses the record before anything is written."""

    data: bytes
    sha256: str
    width: int
    height: int


def prepare_photo(data: bytes, source: str) -> PreparedPhoto:
    """Normalise a photo and name it by its SHA-256; ImageError naming `source` when unusable."""
    normalised, width, height = normalise_photo(data, source)
    return PreparedPhoto(normalised, hashlib.sha256(normalised).hexdigest(), width, height)


def keep_photo(
    db: sqlite_utils.Database, data_dir: Path, photo: PreparedPhoto, at: datetime
) -> tuple[StoredPhoto, bool]:
    """Write a prepared photo once and register it; True when this call wrote a new file.

    Call it inside the record's transaction: if that rolls back, `forget_unregistered` removes
    the files this call wrote.
    """
    path = photo_path(data_dir, photo.sha256)
    written = not path.exists()
    if written:
        _write_atomically(path, photo.data)
    db.execute(
        "INSERT OR IGNORE INTO attachments(sha256, size, width, height, media_type, created_at)"
        " VALUES (?, ?, ?, ?, 'image/jpeg', ?)",
        [photo.sha256, len(photo.data), photo.width, photo.height, at.isoformat()],
    )
    stored = StoredPhoto(photo.sha256, len(photo.data), photo.width, photo.height, path)
    return stored, written


def _is_registered(db: sqlite_utils.Database, sha256: str) -> bool:
    return db.execute("SELECT 1 FROM attachments WHERE sha256 = ?", [sha256]).fetchone() is not None


def forget_unregistered(db: sqlite_utils.Database, data_dir: Path, sha256s: list[str]) -> None:
    """Remove the files of photos whose registration was rolled back (personal data kept for nothing)."""
    for sha256 in sha256s:
        if not _is_registered(db, sha256):
            photo_path(data_dir, sha256).unlink(missing_ok=True)


def sweep_orphan_photos(db: sqlite_utils.Database, data_dir: Path, *, older_than: datetime) -> int:
    """Remove photo files that no row registers and half-written temporary files, older than
    `older_than` (so a save in progress in another process is left alone); returns how many.

    Only a crash between writing a file and committing its record leaves such a file.
    """
    root = attachments_dir(data_dir)
    if not root.is_dir():
        return 0
    cutoff = older_than.timestamp()
    registered = {row[0] for row in db.execute("SELECT sha256 FROM attachments").fetchall()}
    removed = 0
    for path in root.glob("*/*"):
        is_orphan = path.name.startswith(".incoming-") or (
            path.suffix == ".jpg" and path.stem not in registered
        )
        try:
            if is_orphan and path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file, fsync, then rename: a reader never sees half a photo."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
