"""Real code images for the scanning tests, made with zxing-cpp's writer and Pillow at test time."""

from __future__ import annotations

import io

import numpy as np
import zxingcpp
from PIL import Image

WRITER = {
    "qr": zxingcpp.BarcodeFormat.QRCode,
    "code128": zxingcpp.BarcodeFormat.Code128,
    "pdf417": zxingcpp.BarcodeFormat.PDF417,
    "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
    "ean13": zxingcpp.BarcodeFormat.EAN13,
    "ean8": zxingcpp.BarcodeFormat.EAN8,
}
PAPER = 236


def code(fmt: str, payload: str | bytes, module: int = 4) -> Image.Image:
    """The symbol, black on white with its quiet zone, `module` pixels per module."""
    symbol = zxingcpp.create_barcode(payload, WRITER[fmt])
    return Image.fromarray(np.asarray(symbol.to_image(scale=module)))


def page(
    *codes: tuple[Image.Image, tuple[int, int]], size: tuple[int, int] = (640, 400)
) -> Image.Image:
    """A light-grey RGB 'photo' with each code pasted at its top-left corner."""
    frame = Image.new("RGB", size, (PAPER, PAPER - 4, PAPER - 14))
    for image, where in codes:
        frame.paste(image.convert("RGB"), where)
    return frame


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()
