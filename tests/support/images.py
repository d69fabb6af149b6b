"""Real test images made with Pillow: photos with EXIF orientation and GPS, like a phone's."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def document_photo(
    width: int = 1200, height: int = 800, *, orientation: int = 1, gps: bool = True, seed: int = 0
) -> bytes:
    """A JPEG that looks like a photographed paper: text-like bars, an EXIF orientation and GPS tags."""
    image = Image.new("RGB", (width, height), (236, 232, 220))
    draw = ImageDraw.Draw(image)
    for row in range(12):
        y = 40 + row * (height - 80) // 12
        draw.rectangle(
            [40, y, 40 + (row * 97 + seed * 31) % (width - 120) + 60, y + 12], fill=(30, 30, 60)
        )
    draw.rectangle([width - 160, height - 160, width - 40, height - 40], outline=(0, 0, 0), width=6)
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"
    if gps:
        exif.get_ifd(GPS_IFD).update({1: "S", 2: (6.0, 12.0, 30.0), 3: "E", 4: (106.0, 49.0, 10.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()
