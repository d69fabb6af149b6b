"""The order and wording of a printed receipt, shared by the PDF and the PNG renderer.

Indonesian comes first on every line; English follows in smaller, lighter type, so a person reads
the receipt in their language and an officer from elsewhere can still follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kiosk.domain.receipts import Receipt, ReceiptKind
from kiosk.domain.requirements import Texts
from kiosk.i18n import text

FIRST, SECOND = "id", "en"


class Style(StrEnum):
    TITLE = "title"
    NUMBER = "number"
    HEADING = "heading"
    BODY = "body"
    MUTED = "muted"  # the English line under an Indonesian one, and footnotes


@dataclass(frozen=True)
class Line:
    text: str
    style: Style = Style.BODY
    indent: bool = False
    centred: bool = False


@dataclass(frozen=True)
class QrCode:
    payload: str


@dataclass(frozen=True)
class Rule:
    """A thin line between sections."""


Block = Line | QrCode | Rule


def long_date(day: date, language: str) -> str:
    """1 Maret 2026 / 1 March 2026: people misread 01-03 and 03-01, never a month's name."""
    months = text("receipt.months", language).split(",")
    return f"{day.day} {months[day.month - 1]} {day.year}"


def _both(label: str, values: Texts | None = None, **params: str | int) -> list[Line]:
    """A labelled line in Indonesian, then the same in English, lighter."""
    lines = []
    for language, style in ((FIRST, Style.BODY), (SECOND, Style.MUTED)):
        caption = text(label, language, **params)
        lines.append(Line(f"{caption}: {values[language]}" if values else caption, style))
    return lines


def _dates(label: str, day: date) -> list[Line]:
    return [
        Line(f"{text(label, FIRST)}: {long_date(day, FIRST)}", Style.BODY),
        Line(f"{text(label, SECOND)}: {long_date(day, SECOND)}", Style.MUTED),
    ]


def receipt_blocks(receipt: Receipt) -> tuple[Block, ...]:
    """Everything a receipt prints, top to bottom."""
    blocks: list[Block] = [
        Line(text("receipt.title", FIRST), Style.TITLE, centred=True),
        Line(text("receipt.title", SECOND), Style.MUTED, centred=True),
        Line(text("receipt.kiosk", FIRST), Style.MUTED, centred=True),
        QrCode(receipt.code),
        Line(str(receipt.register_number), Style.NUMBER, centred=True),
        Line(
            f"{text('receipt.number', FIRST)} / {text('receipt.number', SECOND)}",
            Style.MUTED,
            centred=True,
        ),
        Rule(),
        Line(
            f"{text('receipt.kind.' + receipt.kind.value, FIRST)}"
            f" / {text('receipt.kind.' + receipt.kind.value, SECOND)}",
            Style.HEADING,
        ),
    ]
    if receipt.program:
        blocks += _both("receipt.program", receipt.program)
    if receipt.stage:
        blocks += _both("receipt.stage", receipt.stage)
    if receipt.category:
        blocks += _both("receipt.category", receipt.category)
    blocks += _dates("receipt.date", receipt.issued_on)
    if receipt.nik_masked:
        blocks.append(Line(f"{text('receipt.nik', FIRST)}: {receipt.nik_masked}"))
    blocks.append(Rule())
    if receipt.kind is ReceiptKind.SUBMISSION:
        blocks += _missing(receipt)
    else:
        if receipt.first_response_due:
            blocks += _dates("receipt.first_response", receipt.first_response_due)
        if receipt.resolution_due:
            blocks += _dates("receipt.resolution", receipt.resolution_due)
        blocks.append(Rule())
    blocks += [
        Line(receipt.next_step[FIRST], Style.HEADING),
        Line(receipt.next_step[SECOND], Style.MUTED),
        Rule(),
        Line(text("receipt.keep", FIRST), Style.BODY),
        Line(text("receipt.keep", SECOND), Style.MUTED),
        Line(text("receipt.verify_note", FIRST), Style.BODY),
        Line(text("receipt.verify_note", SECOND), Style.MUTED),
    ]
    return tuple(blocks)


def _missing(receipt: Receipt) -> list[Block]:
    if not receipt.missing:
        return [*_both("receipt.complete"), Rule()]
    count = len(receipt.missing)
    blocks: list[Block] = [
        Line(text("receipt.missing", FIRST, count=count), Style.HEADING),
        Line(text("receipt.missing", SECOND, count=count), Style.MUTED),
    ]
    for item in receipt.missing:
        blocks.append(Line(f"• {item.title[FIRST]}", Style.HEADING))
        if item.why:
            blocks.append(Line(f"{text('receipt.why', FIRST)}: {item.why[FIRST]}", indent=True))
        if item.accept:
            accept = f"{text('receipt.accept', FIRST)}: {item.accept[FIRST]}"
            blocks.append(Line(accept, indent=True))
        english = item.title[SECOND]
        if item.why:
            english += f". {text('receipt.why', SECOND)}: {item.why[SECOND]}"
        if item.accept:
            english += f" {text('receipt.accept', SECOND)}: {item.accept[SECOND]}"
        blocks.append(Line(english, Style.MUTED, indent=True))
    blocks.append(Rule())
    return blocks
