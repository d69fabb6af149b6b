"""Handheld scanners that type like a keyboard: tell a scanner's burst from a person typing, by timing.

A USB or Bluetooth scanner in keyboard mode "types" what it read, far faster and more evenly than
a person, and ends with Enter. Feed every key as (character, timestamp); completed bursts come back
as ScannerRead (prefixes and suffixes stripped, classified), everything else as TypedText for the
focused field. Pure logic: the clock is injected, so tests replay exact timings.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from kiosk.domain.payloads import Payload, classify_payload

ENTER_KEYS = frozenset({"\r", "\n"})


@dataclass(frozen=True)
class KeyboardTiming:
    """When keys are a scanner burst. Defaults, and why:

    - max_gap 30 ms: scanners send a character every 1-15 ms (USB HID polls at 1-8 ms; Bluetooth
      ones are slower but steady), while fast typists average 100-200 ms between keys and seldom
      go under 50 ms except for an occasional rolled pair.
    - min_length 4: a rolled pair or triple of a person ("th", "ing") can be under 30 ms, but no
      one types four or more keys that fast; every code we read is longer than four characters.
    - end_timeout 100 ms: scanners set up without an Enter suffix finish a burst by going quiet;
      100 ms is several times any scanner's gap and shorter than a person's reaction to the beep.

    Scanners differ: raise max_gap for a slow Bluetooth scanner, and check a key held down (auto-
    repeat runs at 25-40 ms) still reads as typing on the kiosk's keyboard.
    """

    max_gap: float = 0.030
    min_length: int = 4
    end_timeout: float = 0.100
    # Text scanners are set up to send before and after every read ("custom prefix/suffix").
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    # AIM symbology identifiers ("]Q1" QR, "]C0" Code 128, "]L2" PDF417): "]", a letter, a modifier.
    strip_aim_identifier: bool = True

    def __post_init__(self) -> None:
        if self.max_gap <= 0 or self.end_timeout < self.max_gap or self.min_length < 1:
            raise ValueError("need max_gap > 0, end_timeout >= max_gap and min_length >= 1")


# The AIM code letters (ISO/IEC 15424) of the symbologies on our documents, for the record kept.
SYMBOLOGIES = {
    "Q": "qr",
    "C": "code128",
    "L": "pdf417",
    "d": "datamatrix",
    "E": "ean",
    "A": "code39",
    "I": "itf",
}
_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")

Classifier = Callable[[str, bytes], Payload]


def _classify_plainly(text: str, raw: bytes) -> Payload:
    """Without a kiosk: no invitation patterns, no receipt key."""
    return classify_payload(text, raw)


@dataclass(frozen=True)
class ScannerRead:
    """A completed scanner burst, stripped of prefixes and suffixes, and what it is."""

    text: str = field(repr=False)
    payload: Payload
    started_at: float
    finished_at: float
    ended_by: Literal["enter", "timeout"]
    symbology: str | None = None  # from the AIM identifier, when the scanner sends one


@dataclass(frozen=True)
class TypedText:
    """Keys a person typed (Enter included), handed back unchanged for the focused field."""

    text: str = field(repr=False)


Event = ScannerRead | TypedText


class KeyboardWedge:
    """Splits a stream of keys into scanner reads and typed text."""

    def __init__(
        self,
        timing: KeyboardTiming | None = None,
        *,
        classify: Classifier = _classify_plainly,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timing = timing or KeyboardTiming()
        self.classify = classify
        self.clock = clock
        self._keys: list[tuple[str, float]] = []

    def feed(self, char: str, at: float | None = None) -> list[Event]:
        """One key (a single character; "\\r" or "\\n" for Enter) at time `at` (seconds)."""
        now = self.clock() if at is None else at
        events: list[Event] = []
        if self._keys and now - self._keys[-1][1] > self.timing.max_gap:
            # A pause: whatever came before is finished, whether a burst or typing.
            events += self._flush(ended_by="timeout")
        if char in ENTER_KEYS:
            if self._is_burst():
                events.append(self._read(now, "enter"))
            else:
                events += self._as_typed()
                events.append(TypedText(char))
            return events
        self._keys.append((char, now))
        return events

    def poll(self, now: float | None = None) -> list[Event]:
        """Call regularly (e.g. every 50 ms): completes a burst without Enter, releases typing."""
        at = self.clock() if now is None else now
        if not self._keys:
            return []
        quiet = at - self._keys[-1][1]
        if self._is_burst():
            return self._flush(ended_by="timeout") if quiet > self.timing.end_timeout else []
        # Typing is held back only as long as it could still turn out to be a burst's beginning.
        return self._as_typed() if quiet > self.timing.max_gap else []

    def _is_burst(self) -> bool:
        # Gaps are checked as keys arrive (a pause flushes), so length decides here.
        return len(self._keys) >= self.timing.min_length

    def _flush(self, ended_by: Literal["enter", "timeout"]) -> list[Event]:
        if self._is_burst():
            return [self._read(self._keys[-1][1], ended_by)]
        return self._as_typed()

    def _as_typed(self) -> list[Event]:
        if not self._keys:
            return []
        typed = "".join(char for char, _ in self._keys)
        self._keys.clear()
        return [TypedText(typed)]

    def _read(self, finished_at: float, ended_by: Literal["enter", "timeout"]) -> ScannerRead:
        text = "".join(char for char, _ in self._keys)
        started_at = self._keys[0][1]
        self._keys.clear()
        stripped, symbology = self._strip(text)
        return ScannerRead(
            text=stripped,
            payload=self.classify(stripped, stripped.encode("utf-8", "surrogatepass")),
            started_at=started_at,
            finished_at=finished_at,
            ended_by=ended_by,
            symbology=symbology,
        )

    def _strip(self, text: str) -> tuple[str, str | None]:
        """Remove the configured prefix, the AIM identifier and the configured suffix."""
        for prefix in self.timing.prefixes:
            if prefix and text.startswith(prefix):
                text = text[len(prefix) :]
                break
        symbology = None
        if self.timing.strip_aim_identifier:
            aim = _AIM.match(text)
            if aim:
                symbology = SYMBOLOGIES.get(aim.group()[1], aim.group())
                text = text[aim.end() :]
        for suffix in self.timing.suffixes:
            if suffix and text.endswith(suffix):
                text = text[: -len(suffix)]
                break
        return text, symbology
