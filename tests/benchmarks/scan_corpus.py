"""A seeded corpus of camera frames and photos of program documents, for the scanning benchmark.

Each sample is a 1280x720 frame of a paper document (text lines, table rules) carrying zero, one or
two codes with the payloads the kiosk meets (NIK, No. KK, invitations, receipts, Dukcapil links),
degraded the way a kiosk camera or a phone degrades them. Same seed, same images, in any order.
"""

from __future__ import annotations

import io
import math
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FRAME = (1280, 720)

# One cycle of 40 samples: 6 without a code (15 %), the rest spread over the degradations that
# field reports name (SYNC.md item 9: wide PDF417, two codes in a frame, dim rooms).
CYCLE: tuple[tuple[str, int], ...] = (
    ("clean", 3),
    ("rot90_180", 3),
    ("rotation", 3),
    ("perspective", 3),
    ("blur", 3),
    ("motion", 3),
    ("jpeg", 3),
    ("dim_uneven", 3),
    ("glare", 3),
    ("noise", 3),
    ("small", 3),
    ("two_codes", 1),
    ("no_code", 6),
)
CATEGORIES = tuple(name for name, _ in CYCLE)
_SCHEDULE = tuple(name for name, count in CYCLE for _ in range(count))

# Formats as the printed documents use them: QR and Code 128 most, PDF417 on invitation letters
# and cards, a few DataMatrix and EAN.
_FORMATS = (("qr", 40), ("code128", 25), ("pdf417", 25), ("datamatrix", 5), ("ean13", 5))
_WRITER = {
    "qr": zxingcpp.BarcodeFormat.QRCode,
    "code128": zxingcpp.BarcodeFormat.Code128,
    "pdf417": zxingcpp.BarcodeFormat.PDF417,
    "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
    "ean13": zxingcpp.BarcodeFormat.EAN13,
}
_LINEAR = {"code128", "ean13"}
# The diameter of the circle a frame keeps through any rotation, less a margin.
_TURNING_ROOM = 680
_REGISTER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTWXYZ"  # no I, L, O, U, V (README)
_PROVINCES = ("31", "32", "33", "35", "36", "51", "52", "61", "73", "92")
_WORDS_TEXT = (
    "KARTU KELUARGA Nama Lengkap NIK Jenis Kelamin Tempat Lahir Tanggal Agama Pendidikan "
    "Jenis Pekerjaan Status Perkawinan Hubungan Keluarga Kewarganegaraan Ayah Ibu Alamat RT RW "
    "Desa Kelurahan Kecamatan Kabupaten Kota Provinsi DKI Jakarta Undangan Penyaluran Bantuan "
    "Sosial Tahap Program Keluarga Harapan KJP Plus Bank DKI BRI BNI Mandiri Siswa Sekolah Wali "
    "Kepala Dinas Sosial Dikeluarkan Tanggal Siti Rahmawati Aminah Budi Santoso Dewi Lestari"
)
_WORDS = _WORDS_TEXT.split()


@dataclass(frozen=True)
class Truth:
    """A code printed in the frame: its format and the exact text it carries."""

    format: str
    payload: str


@dataclass(frozen=True)
class Sample:
    index: int
    category: str
    image: Image.Image  # RGB, as a camera or a phone delivers it
    truths: tuple[Truth, ...]
    detail: str  # the degradation's parameters, to look at a failure again


def generate(count: int, seed: int = 1) -> Iterator[Sample]:
    """`count` samples; sample i depends only on (seed, i), so a failure can be regenerated alone."""
    for index in range(count):
        yield make_sample(index, seed)


def make_sample(index: int, seed: int = 1) -> Sample:
    category = _SCHEDULE[index % len(_SCHEDULE)]
    rng = random.Random(f"lengkap-scan:{seed}:{index}")
    nrng = np.random.default_rng([seed, index])
    return _BUILDERS[category](index, category, rng, nrng)


# ---- payloads ---------------------------------------------------------------------------------


def _nik(rng: random.Random) -> str:
    day = rng.randint(1, 28) + (40 if rng.random() < 0.5 else 0)
    region = rng.choice(_PROVINCES) + f"{rng.randint(1, 79):02d}{rng.randint(1, 30):02d}"
    born = f"{day:02d}{rng.randint(1, 12):02d}{rng.randint(0, 99):02d}"
    return f"{region}{born}{rng.randint(1, 999):04d}"


def _kk(rng: random.Random) -> str:
    region = rng.choice(_PROVINCES) + f"{rng.randint(1, 79):02d}{rng.randint(1, 30):02d}"
    issued = f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(5, 25):02d}"
    return f"{region}{issued}{rng.randint(1, 999):04d}"


def _invitation(rng: random.Random) -> str:
    program = rng.choice(("KJP", "PKH"))
    stage = rng.randint(1, 2 if program == "KJP" else 4)
    return f"{program}-{rng.choice((2025, 2026))}-T{stage}-{rng.randint(1, 999_999):06d}"


def _receipt(rng: random.Random) -> str:
    device = "".join(rng.choices(_REGISTER_ALPHABET, k=6))
    check = rng.choice(_REGISTER_ALPHABET)
    tail = "".join(rng.choices(string.ascii_uppercase, k=8))
    return f"LKP1:{device}-{rng.randint(1, 99_999):06d}-{check}:{tail}"


def _url(rng: random.Random) -> str:
    token = "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(24, 96)))
    host = rng.choice(
        (
            "https://verifikasi.dukcapil.kemendagri.go.id/kk?sig=",
            "https://kjp.jakarta.go.id/cek/",
            "https://cekbansos.kemensos.go.id/v/",
        )
    )
    return host + token


def _letter_fields(rng: random.Random) -> str:
    """What an invitation letter's PDF417 carries: several fields in one wide symbol."""
    bank = rng.choice(("BRI", "BNI", "MANDIRI", "BTN", "BANK DKI"))
    amount = rng.choice((250_000, 300_000, 420_000, 450_000, 750_000))
    return f"{_invitation(rng)}|{_nik(rng)}|{_kk(rng)}|{bank}|{amount}"


def _ean13(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(12)]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def _payload(fmt: str, rng: random.Random) -> str:
    if fmt == "ean13":
        return _ean13(rng)
    if fmt == "code128":
        return rng.choice((_nik, _kk, _invitation, _receipt))(rng)
    if fmt == "pdf417":
        return rng.choice((_letter_fields, _letter_fields, _receipt, _url))(rng)
    if fmt == "datamatrix":
        return rng.choice((_receipt, _invitation, _nik))(rng)
    return rng.choice((_url, _url, _receipt, _invitation, _nik, _kk))(rng)


def _pick_format(rng: random.Random) -> str:
    return rng.choices([f for f, _ in _FORMATS], weights=[w for _, w in _FORMATS])[0]


# ---- drawing ----------------------------------------------------------------------------------


def render_code(fmt: str, payload: str, module: float, rng: random.Random) -> Image.Image:
    """The symbol at `module` pixels per module (fractional: a camera does not sample on a grid)."""
    kwargs: dict[str, object] = {}
    if fmt == "qr":
        kwargs["ec_level"] = rng.choice("LMMQ")
    elif fmt == "pdf417":
        kwargs["columns"] = rng.randint(3, 8)  # wide symbols like those on ID cards
    symbol = zxingcpp.create_barcode(payload, _WRITER[fmt], **kwargs)
    bitmap = np.asarray(symbol.to_image(scale=1, add_quiet_zones=True))
    height, width = bitmap.shape
    if fmt in _LINEAR:
        bitmap = bitmap[height // 2 : height // 2 + 1, :]
        out_w = round(width * module)
        size = (out_w, max(12, round(out_w * rng.uniform(0.18, 0.35))))
    else:
        size = (max(1, round(width * module)), max(1, round(height * module)))
    # A sensor averages the light over each pixel: print sharp modules 8 times finer, then
    # average them down (a bilinear upscale would smear every edge over a whole module).
    fine = np.repeat(np.repeat(bitmap, 8, axis=0), 8, axis=1)
    return Image.fromarray(fine).resize(size, Image.Resampling.BOX)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _paper(rng: random.Random) -> tuple[int, int, int]:
    base = rng.randint(225, 250)
    return (base, base - rng.randint(0, 12), base - rng.randint(2, 25))  # white to yellowish


def _document(
    rng: random.Random, avoid: list[tuple[int, int, int, int]]
) -> tuple[Image.Image, tuple[int, int, int]]:
    """A page filling the frame: heading, text lines, a table with rules; `avoid` stays blank."""
    paper = _paper(rng)
    page = Image.new("RGB", FRAME, paper)
    draw = ImageDraw.Draw(page)
    ink = rng.randint(20, 70)
    width, height = FRAME
    if rng.random() < 0.4:  # a desk shows at one edge of the photo
        edge = rng.randint(20, 90)
        desk = (rng.randint(60, 140), rng.randint(40, 100), rng.randint(20, 80))
        draw.rectangle((0, 0, edge, height), fill=desk)
    draw.text((rng.randint(60, 300), 18), "KARTU KELUARGA", fill=(ink, ink, ink), font=_font(30))
    y = 70
    size = rng.randint(13, 19)
    while y < height - 30:
        if rng.random() < 0.25:  # a table: rules and short cells
            rows = rng.randint(2, 5)
            left, right = rng.randint(40, 120), rng.randint(width - 160, width - 40)
            for r in range(rows + 1):
                draw.line((left, y + r * 26, right, y + r * 26), fill=(ink, ink, ink), width=1)
            for x in range(left, right + 1, rng.randint(110, 220)):
                draw.line((x, y, x, y + rows * 26), fill=(ink, ink, ink), width=1)
            for r in range(rows):
                cell = " ".join(rng.choices(_WORDS, k=rng.randint(2, 6)))
                draw.text((left + 6, y + r * 26 + 5), cell, fill=(ink, ink, ink), font=_font(14))
            y += rows * 26 + 20
        else:
            words = rng.choices(_WORDS, k=rng.randint(4, 14))
            if rng.random() < 0.3:
                words.append(str(rng.randint(10**15, 10**16 - 1)))  # numbers printed as text
            draw.text((rng.randint(40, 120), y), " ".join(words), fill=(ink,) * 3, font=_font(size))
            y += size + rng.randint(6, 16)
    for left, top, right, bottom in avoid:  # the printed code's white box
        draw.rectangle((left, top, right, bottom), fill=paper)
    return page, paper


def _compose(
    rng: random.Random,
    codes: list[Image.Image],
    centred: bool,
) -> Image.Image:
    """Codes pasted onto a document; `centred` keeps them inside the circle a rotation keeps."""
    width, height = FRAME
    boxes: list[tuple[int, int, int, int]] = []
    if len(codes) == 2:  # side by side, as on an invitation letter
        total = codes[0].width + codes[1].width + 60
        left = rng.randint(20, max(20, width - total - 20))
        assert left + total <= width, "two codes wider than the frame"
        for code in codes:
            top = rng.randint(20, max(20, height - code.height - 20))
            boxes.append((left, top, left + code.width, top + code.height))
            left += code.width + 60
    else:
        code = codes[0]
        if centred:
            reach = max(0.0, _TURNING_ROOM / 2 - 10 - math.hypot(code.width, code.height) / 2)
            cx = width / 2 + rng.uniform(-reach, reach) * 0.7
            cy = height / 2 + rng.uniform(-reach, reach) * 0.7
            left, top = round(cx - code.width / 2), round(cy - code.height / 2)
        else:
            left = rng.randint(10, max(10, width - code.width - 10))
            top = rng.randint(10, max(10, height - code.height - 10))
        boxes.append((left, top, left + code.width, top + code.height))
    page, paper = _document(rng, boxes)
    for code, (left, top, _, _) in zip(codes, boxes, strict=True):
        # Black ink on this paper: the symbol's white is the paper's colour.
        grey = np.asarray(code, dtype=np.float32) / 255.0
        tint = np.asarray(paper, dtype=np.float32)
        ink = np.float32(rng.randint(10, 40))
        rgb = ink + grey[..., None] * (tint - ink)
        page.paste(Image.fromarray(rgb.astype(np.uint8)), (left, top))
    return page


def _code_module(fmt: str, rng: random.Random) -> float:
    """Pixels per module for a code photographed from a normal distance."""
    if fmt in _LINEAR:
        return rng.uniform(2.0, 3.5)
    if fmt == "pdf417":
        return rng.uniform(1.8, 3.0)
    return rng.uniform(3.0, 6.0)


def _one_code(rng: random.Random, module: float | None = None) -> tuple[Image.Image, Truth]:
    fmt = _pick_format(rng)
    payload = _payload(fmt, rng)
    image = render_code(fmt, payload, module or _code_module(fmt, rng), rng)
    if image.width > FRAME[0] - 40:  # a long payload at a big module: shrink to fit the frame
        factor = (FRAME[0] - 40) / image.width
        image = image.resize((FRAME[0] - 40, max(12, round(image.height * factor))))
    return image, Truth(fmt, payload)


# ---- degradations ----------------------------------------------------------------------------


def _as_float(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32)


def _as_image(array: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def _desk(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randint(50, 130), rng.randint(40, 100), rng.randint(20, 80))


def _perspective_coefficients(
    target: list[tuple[float, float]], source: list[tuple[float, float]]
) -> list[float]:
    """PIL's 8 coefficients mapping output points `target` back to input points `source`."""
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    answer = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(source).reshape(8))
    return [float(c) for c in answer]


def _motion_blur(array: np.ndarray, length: int, angle: float) -> np.ndarray:
    """The average of the frame shifted along a line: a hand moving during the exposure."""
    total = np.zeros_like(array)
    dx, dy = math.cos(angle), math.sin(angle)
    padded = np.pad(array, ((length, length), (length, length), (0, 0)), mode="edge")
    height, width = array.shape[:2]
    for step in range(length):
        ox = length + round((step - length / 2) * dx)
        oy = length + round((step - length / 2) * dy)
        total += padded[oy : oy + height, ox : ox + width]
    return total / length


def _degrade(category: str, frame: Image.Image, rng: random.Random, nrng: np.random.Generator):
    """The frame after `category`'s degradation, and the parameters used."""
    if category == "rot90_180":
        turn = rng.choice((90, 180, 270))
        return frame.rotate(turn, expand=True), f"turn={turn}"
    if category == "rotation":
        angle = rng.uniform(8, 352)
        rotated = frame.rotate(
            angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=_desk(rng)
        )
        return rotated, f"angle={angle:.0f}"
    if category == "perspective":
        width, height = FRAME
        strength = rng.uniform(0.12, 0.32)
        corners = [(0, 0), (width, 0), (width, height), (0, height)]
        moved = [
            (x + (1 if x == 0 else -1) * rng.uniform(0, strength) * width,
             y + (1 if y == 0 else -1) * rng.uniform(0, strength) * height)
            for x, y in corners
        ]  # fmt: skip
        coefficients = _perspective_coefficients(moved, corners)
        warped = frame.transform(
            FRAME,
            Image.Transform.PERSPECTIVE,
            coefficients,
            Image.Resampling.BILINEAR,
            fillcolor=_desk(rng),
        )
        return warped, f"strength={strength:.2f}"
    if category == "blur":
        radius = rng.uniform(1.0, 3.0)
        return frame.filter(ImageFilter.GaussianBlur(radius)), f"radius={radius:.1f}"
    if category == "motion":
        length = rng.randint(4, 13)
        angle = rng.uniform(0, math.pi)
        blurred = _motion_blur(_as_float(frame), length, angle)
        return _as_image(blurred), f"length={length} angle={math.degrees(angle):.0f}"
    if category == "jpeg":
        quality = rng.randint(20, 60)
        return _jpeg(frame, quality), f"quality={quality}"
    if category == "dim_uneven":
        array = _as_float(frame)
        height, width = array.shape[:2]
        gain = rng.uniform(0.12, 0.45)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, 2 * math.pi)
        ramp = (xs * math.cos(angle) + ys * math.sin(angle)) / max(width, height)
        ramp = (ramp - ramp.min()) / max(1e-6, float(ramp.max() - ramp.min()))
        low = rng.uniform(0.2, 0.7)
        field = gain * (low + (1 - low) * ramp)
        noisy = array * field[..., None] + nrng.normal(0, rng.uniform(2, 6), array.shape)
        return _as_image(noisy + rng.uniform(0, 12)), f"gain={gain:.2f} low={low:.2f}"
    if category == "glare":
        array = _as_float(frame)
        height, width = array.shape[:2]
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        cx = width / 2 + rng.uniform(-250, 250)
        cy = height / 2 + rng.uniform(-150, 150)
        sigma = rng.uniform(40, 140)
        amount = rng.uniform(120, 320)
        blob = amount * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2))
        return _as_image(array + blob[..., None]), f"amount={amount:.0f} sigma={sigma:.0f}"
    if category == "noise":
        array = _as_float(frame)
        sigma = rng.uniform(15, 45)
        noisy = array + nrng.normal(0, sigma, array.shape)
        share = rng.uniform(0, 0.04)
        specks = nrng.random(array.shape[:2]) < share
        noisy[specks] = nrng.choice([0.0, 255.0], size=(int(specks.sum()), 1))
        return _as_image(noisy), f"sigma={sigma:.0f} specks={share:.3f}"
    if category == "small":
        radius = rng.uniform(0.3, 0.8)  # the optics of a cheap camera at distance
        return frame.filter(ImageFilter.GaussianBlur(radius)), f"optics={radius:.1f}"
    return frame, ""


def _build_clean_like(index: int, category: str, rng: random.Random, nrng: np.random.Generator):
    image, truth = _one_code(rng)
    centred = category in ("rotation", "perspective", "rot90_180")
    if category == "rotation":  # a turn keeps only a circle of the frame: draw a code that fits
        for _ in range(20):
            if math.hypot(image.width, image.height) <= _TURNING_ROOM:
                break
            image, truth = _one_code(rng)
        else:
            factor = _TURNING_ROOM / math.hypot(image.width, image.height)
            size = (round(image.width * factor), round(image.height * factor))
            image = image.resize(size, Image.Resampling.BOX)
    frame = _compose(rng, [image], centred)
    degraded, detail = _degrade(category, frame, rng, nrng)
    return Sample(index, category, degraded, (truth,), f"{truth.format} {detail}".strip())


def _build_small(index: int, category: str, rng: random.Random, nrng: np.random.Generator):
    fmt = _pick_format(rng)
    module = rng.uniform(1.0, 1.6) if fmt in _LINEAR or fmt == "pdf417" else rng.uniform(1.1, 2.0)
    payload = _payload(fmt, rng)
    image = render_code(fmt, payload, module, rng)
    frame = _compose(rng, [image], centred=False)
    degraded, detail = _degrade(category, frame, rng, nrng)
    truth = Truth(fmt, payload)
    return Sample(index, category, degraded, (truth,), f"{fmt} module={module:.2f} {detail}")


def _build_two(index: int, category: str, rng: random.Random, nrng: np.random.Generator):
    """Two different codes side by side, both wholly in the frame (an invitation letter)."""
    room = FRAME[0] - 100  # both widths, the gap between them and the margins
    first, first_truth = _one_code(rng)
    second, second_truth = _one_code(rng)
    for _ in range(20):
        if second_truth.payload != first_truth.payload and first.width + second.width <= room:
            break
        first, first_truth = _one_code(rng)
        second, second_truth = _one_code(rng)
    else:  # rare: two long linear codes; print them at a smaller module
        factor = room / (first.width + second.width)
        first, second = (
            image.resize(
                (round(image.width * factor), round(image.height * factor)), Image.Resampling.BOX
            )
            for image in (first, second)
        )
    frame = _compose(rng, [first, second], centred=False)
    truths = (first_truth, second_truth)
    return Sample(index, category, frame, truths, f"{first_truth.format}+{second_truth.format}")


def _build_none(index: int, category: str, rng: random.Random, nrng: np.random.Generator):
    frame, _ = _document(rng, [])
    degradation = rng.choice(CATEGORIES[:11])
    degraded, detail = _degrade(degradation, frame, rng, nrng)
    return Sample(index, category, degraded, (), f"{degradation} {detail}".strip())


_BUILDERS = {
    **{name: _build_clean_like for name in CATEGORIES},
    "small": _build_small,
    "two_codes": _build_two,
    "no_code": _build_none,
}
