"""A handheld scanner at the app: the page's key events, timed on arrival, become classified reads.

The browser reports keys by label ("A", "7", "Enter") with Shift as a flag; this module turns
them into characters for kiosk.scan.keyboard's KeyboardWedge, built from the device's
`[scanner]` settings and classifying exactly as a camera scan does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kiosk.bootstrap import Kiosk
from kiosk.errors import InputError
from kiosk.scan.keyboard import KeyboardTiming, ScannerRead
from kiosk.services.scanning import keyboard_wedge
from kiosk.settings import ScannerSettings

# Flutter's labels for keys that type something other than their own label.
_NAMED_KEYS = {"Enter": "\r", "Numpad Enter": "\r", "Tab": "\t", "Space": " "}
_NUMPAD = "Numpad "


def key_character(
    key: str, *, shift: bool = False, ctrl: bool = False, alt: bool = False, meta: bool = False
) -> str | None:
    """The character a key types, or None for keys that type nothing (Shift, arrows, shortcuts).

    Letters come labelled in capitals whatever was typed: Shift says which case (scanners press
    Shift for capitals, as a keyboard would).
    """
    if ctrl or alt or meta:
        return None
    if key in _NAMED_KEYS:
        return _NAMED_KEYS[key]
    if key.startswith(_NUMPAD) and len(key) == len(_NUMPAD) + 1:
        return key[-1]
    if len(key) != 1:
        return None
    if key.isalpha():
        return key.upper() if shift else key.lower()
    return key


def scanner_timing(settings: ScannerSettings) -> KeyboardTiming:
    """The wedge's timing from `[scanner]`; InputError when the thresholds contradict each other."""
    try:
        return KeyboardTiming(
            max_gap=settings.max_gap_ms / 1000,
            min_length=settings.min_length,
            end_timeout=settings.end_timeout_ms / 1000,
            hiccup_gap=settings.hiccup_gap_ms / 1000,
            prefixes=settings.prefixes,
            suffixes=settings.suffixes,
            strip_aim_identifier=settings.strip_aim_identifier,
        )
    except ValueError as exc:
        raise InputError(
            "need max_gap_ms <= hiccup_gap_ms <= end_timeout_ms",
            where="settings.toml [scanner]",
            code="settings.invalid",
        ) from exc


class HandheldScanner:
    """One screen session's scanner listener: keys in, completed scanner reads out.

    Keys are timed when they reach the app (`clock`), so network and browser jitter count too;
    that is what the hiccup tolerance is for.
    """

    def __init__(
        self,
        kiosk: Kiosk,
        settings: ScannerSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.wedge = keyboard_wedge(kiosk, scanner_timing(settings or ScannerSettings()))

    @property
    def poll_every(self) -> float:
        """How often to poll while keys are held back: well inside the end timeout."""
        return self.wedge.timing.end_timeout / 3

    def key(
        self,
        key: str,
        *,
        shift: bool = False,
        ctrl: bool = False,
        alt: bool = False,
        meta: bool = False,
        at: float | None = None,
    ) -> list[ScannerRead]:
        """One key event from the page; the scanner reads it completed (typing is left alone)."""
        char = key_character(key, shift=shift, ctrl=ctrl, alt=alt, meta=meta)
        if char is None:
            return []
        events = self.wedge.feed(char, self.clock() if at is None else at)
        return [event for event in events if isinstance(event, ScannerRead)]

    def poll(self, at: float | None = None) -> list[ScannerRead]:
        events = self.wedge.poll(self.clock() if at is None else at)
        return [event for event in events if isinstance(event, ScannerRead)]

    def pending(self) -> bool:
        return self.wedge.pending()
