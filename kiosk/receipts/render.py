"""Receipts as files a printer takes: PDF (fpdf2) or PNG (Pillow), on A6 or 58 mm thermal paper.

Both draw the same blocks (kiosk.receipts.layout) with a shipped TTF font, so Indonesian text and
symbols print the same on every device, and the QR code (segno) is drawn module by module so it
stays sharp at any printer resolution.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image, ImageDraw, ImageFont

from kiosk.assets import assets_dir
from kiosk.domain.receipts import Receipt
from kiosk.receipts.layout import Block, Line, QrCode, Rule, Style, receipt_blocks

FONT_REGULAR = Path("fonts") / "DejaVuSansCondensed.ttf"
FONT_BOLD = Path("fonts") / "DejaVuSansCondensed-Bold.ttf"
MM_PER_INCH = 25.4
POINTS_PER_INCH = 72
# ISO 18004 asks for a quiet zone of 4 modules; scanners fail more often without it.
QR_QUIET_ZONE = 4
# M recovers about 15 % of the code: enough for a creased or smudged thermal slip while keeping the
# code small (the payload is short and alphanumeric).
QR_ERROR_LEVEL = "m"
LINE_SPACING = 1.25
# The longest page a roll-paper PDF is laid out on before it is cut to length.
MAX_ROLL_MM = 2000.0


class PaperWidth(StrEnum):
    A6 = "a6"
    THERMAL_58 = "58mm"


class ReceiptFormat(StrEnum):
    PDF = "pdf"
    PNG = "png"


@dataclass(frozen=True)
class Paper:
    """A paper's size and how a receipt sits on it."""

    width_mm: float
    height_mm: float | None  # None: a roll, cut as long as the content
    margin_mm: float  # PDF margin on each side
    png_dpi: int
    png_width_px: int
    png_margin_px: int
    qr_mm: float
    body_pt: float  # the other styles scale from it


PAPERS: dict[PaperWidth, Paper] = {
    # A6 (105 x 148 mm), for office printers; PNG at 300 dpi is 1240 x 1748 px.
    PaperWidth.A6: Paper(105.0, 148.0, 8.0, 300, 1240, 94, 30.0, 8.0),
    # 58 mm thermal rolls print 48 mm: 384 dots at 203 dpi (8 dots/mm), so the PNG is exactly the
    # printable width and needs only a small margin of its own.
    PaperWidth.THERMAL_58: Paper(58.0, None, 5.0, 203, 384, 8, 30.0, 8.0),
}

_SCALE = {
    Style.TITLE: 1.45,
    Style.NUMBER: 1.6,
    Style.HEADING: 1.0,
    Style.BODY: 1.0,
    Style.MUTED: 0.88,
}
_BOLD = frozenset({Style.TITLE, Style.NUMBER, Style.HEADING})
_GREY = 90  # for muted lines: light enough to tell apart, dark enough for a thermal head
_INDENT_EMS = 1.0


def format_for(path: Path) -> ReceiptFormat | None:
    """The format a file name asks for (.pdf or .png, any case), or None."""
    suffix = path.suffix.lower().lstrip(".")
    return ReceiptFormat(suffix) if suffix in ReceiptFormat._value2member_map_ else None


def render_receipt(receipt: Receipt, fmt: ReceiptFormat, width: PaperWidth) -> bytes:
    if fmt is ReceiptFormat.PDF:
        return render_pdf(receipt, width)
    return render_png(receipt, width)


def _font_path(bold: bool) -> Path:
    return assets_dir() / (FONT_BOLD if bold else FONT_REGULAR)


def _qr(payload: str) -> segno.QRCode:
    return segno.make(payload, error=QR_ERROR_LEVEL, micro=False, boost_error=True)


def _dark_runs(payload: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR's size in modules (quiet zone included) and its dark runs: (row, first, length)."""
    rows = [list(row) for row in _qr(payload).matrix_iter(scale=1, border=QR_QUIET_ZONE)]
    runs: list[tuple[int, int, int]] = []
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append((y, start, x - start))
            else:
                x += 1
    return len(rows), runs


# --- PDF ----------------------------------------------------------------------------------------


def render_pdf(receipt: Receipt, width: PaperWidth) -> bytes:
    """A PDF of one receipt; on a roll the page is exactly as long as the receipt."""
    paper = PAPERS[width]
    blocks = receipt_blocks(receipt)
    height = paper.height_mm
    if height is None:
        # A roll has no page length: lay the receipt out on a very long page to measure it, then
        # again on a page cut to the length it took.
        measured, used = _pdf(blocks, receipt, paper, MAX_ROLL_MM)
        _close_fonts(measured)
        height = used + paper.margin_mm
    pdf, _ = _pdf(blocks, receipt, paper, height)
    try:
        return bytes(pdf.output())
    finally:
        _close_fonts(pdf)


def _close_fonts(pdf: FPDF) -> None:
    # fpdf2 keeps each TTF file open until output(); a layout that is only measured, or a font
    # that is never used, would otherwise leave the file open until garbage collection.
    for font in pdf.fonts.values():
        close = getattr(font, "close", None)
        if close is not None:
            close()


def _pdf(
    blocks: tuple[Block, ...], receipt: Receipt, paper: Paper, height_mm: float
) -> tuple[FPDF, float]:
    pdf = FPDF(orientation="P", unit="mm", format=(paper.width_mm, height_mm))
    pdf.set_title(f"Tanda terima {receipt.register_number}")
    pdf.set_creator("Lengkap")
    pdf.set_margins(paper.margin_mm, paper.margin_mm, paper.margin_mm)
    pdf.set_auto_page_break(auto=True, margin=paper.margin_mm)
    pdf.add_font("receipt", style="", fname=str(_font_path(bold=False)))
    pdf.add_font("receipt", style="B", fname=str(_font_path(bold=True)))
    pdf.add_page()
    text_width = paper.width_mm - 2 * paper.margin_mm
    for block in blocks:
        if isinstance(block, Line):
            size = paper.body_pt * _SCALE[block.style]
            pdf.set_font("receipt", style="B" if block.style in _BOLD else "", size=size)
            pdf.set_text_color(_GREY if block.style is Style.MUTED else 0)
            line_mm = size * LINE_SPACING * MM_PER_INCH / POINTS_PER_INCH
            indent = _INDENT_EMS * size * MM_PER_INCH / POINTS_PER_INCH if block.indent else 0.0
            pdf.set_x(paper.margin_mm + indent)
            pdf.multi_cell(
                w=text_width - indent,
                h=line_mm,
                text=block.text,
                align="C" if block.centred else "L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        elif isinstance(block, QrCode):
            _pdf_qr(pdf, block.payload, paper)
        elif isinstance(block, Rule):
            y = pdf.get_y() + 1.2
            pdf.set_draw_color(0)
            pdf.set_line_width(0.2)
            pdf.line(paper.margin_mm, y, paper.width_mm - paper.margin_mm, y)
            pdf.set_y(y + 1.2)
    return pdf, pdf.get_y()


def _pdf_qr(pdf: FPDF, payload: str, paper: Paper) -> None:
    modules, runs = _dark_runs(payload)
    size = paper.qr_mm
    if pdf.get_y() + size > pdf.page_break_trigger:
        pdf.add_page()
    module = size / modules
    left = (paper.width_mm - size) / 2
    top = pdf.get_y()
    pdf.set_fill_color(0)
    for row, first, length in runs:
        pdf.rect(left + first * module, top + row * module, length * module, module, style="F")
    pdf.set_y(top + size)


# --- PNG ----------------------------------------------------------------------------------------


def render_png(receipt: Receipt, width: PaperWidth) -> bytes:
    """A PNG of one receipt, with its print resolution recorded so it prints at the right size.

    58 mm: 1-bit black and white, as thermal printers print, 384 px wide. A6: greyscale, at least
    one A6 page long (longer when the list of missing documents needs it).
    """
    paper = PAPERS[width]
    dots_per_mm = paper.png_dpi / MM_PER_INCH
    fonts = {
        style: ImageFont.truetype(
            str(_font_path(style in _BOLD)),
            round(paper.body_pt * _SCALE[style] * paper.png_dpi / POINTS_PER_INCH),
        )
        for style in Style
    }
    blocks = receipt_blocks(receipt)
    margin = paper.png_margin_px
    text_width = paper.png_width_px - 2 * margin
    qr_px = round(paper.qr_mm * dots_per_mm)
    height = _png_layout(blocks, fonts, text_width, qr_px, margin, None)
    if paper.height_mm is not None:
        height = max(height, round(paper.height_mm * dots_per_mm))
    image = Image.new("L", (paper.png_width_px, height), 255)
    _png_layout(blocks, fonts, text_width, qr_px, margin, ImageDraw.Draw(image))
    if paper.height_mm is None:
        # Thermal heads print dots or nothing: decide here, not in the printer's driver.
        image = image.point(lambda value: 0 if value < 160 else 255).convert(
            "1", dither=Image.Dither.NONE
        )
    out = io.BytesIO()
    # optimize=True tried every zlib strategy: ~0.5 s per A6 receipt for a few KB saved.
    image.save(out, "PNG", dpi=(paper.png_dpi, paper.png_dpi), compress_level=3)
    return out.getvalue()


def _png_layout(
    blocks: tuple[Block, ...],
    fonts: dict[Style, ImageFont.FreeTypeFont],
    text_width: int,
    qr_px: int,
    margin: int,
    draw: ImageDraw.ImageDraw | None,
) -> int:
    """Lay the blocks out top to bottom (drawing them when `draw` is given); returns the height."""
    y = margin
    for block in blocks:
        if isinstance(block, Line):
            font = fonts[block.style]
            size = font.size
            indent = round(_INDENT_EMS * size) if block.indent else 0
            step = round(size * LINE_SPACING)
            for piece in wrap(block.text, font, text_width - indent):
                if draw is not None:
                    x = margin + indent
                    if block.centred:
                        x = margin + (text_width - round(font.getlength(piece))) // 2
                    fill = _GREY if block.style is Style.MUTED else 0
                    draw.text((x, y), piece, font=font, fill=fill)
                y += step
        elif isinstance(block, QrCode):
            modules, runs = _dark_runs(block.payload)
            # Whole pixels per module: a fractional module blurs edges and scanners misread them.
            module = max(1, qr_px // modules)
            size = module * modules
            left = margin + (text_width - size) // 2
            if draw is not None:
                for row, first, length in runs:
                    x0, y0 = left + first * module, y + row * module
                    draw.rectangle((x0, y0, x0 + length * module - 1, y0 + module - 1), fill=0)
            y += size
        elif isinstance(block, Rule):
            gap = max(4, text_width // 60)
            if draw is not None:
                draw.line((margin, y + gap, margin + text_width, y + gap), fill=0, width=2)
            y += 2 * gap + 2
    return y + margin


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to `width` pixels; a word longer than a line is cut between characters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while font.getlength(word) > width:
            cut = len(word) - 1
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]
