"""Handheld scanners that type like a keyboard: tell a scanner's burst from a person typing, by timing.

A USB or Bluetooth scanner in keyboard mode "types" what it read, far faster and more evenly than
a person, and ends with Enter. Feed every key as (character, timestamp); completed bursts come back
as ScannerRead (prefixes and suffixes stripped, classified), everything else as TypedText for the
focused field. Pure logic: the clock is injected, so tests replay exact timings.
"""

from __future__ import annotations

import itertools
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
    - hiccup_gap 75 ms: a scanner's keys can stall once or twice (a Bluetooth retry, a busy
      browser or server when keys are timed on arrival); such a gap does not end a burst as long
      as at most a quarter of its gaps are that slow. 75 ms stays under a person's usual 100-200
      ms between keys, so typing still splits at nearly every key.

    Scanners differ: raise max_gap for a slow Bluetooth scanner, and check a key held down (auto-
    repeat runs at 25-40 ms) still reads as typing on the kiosk's keyboard.
    """

    max_gap: float = 0.030
    min_length: int = 4
    end_timeout: float = 0.100
    hiccup_gap: float = 0.075
    # Text scanners are set up to send before and after every read ("custom prefix/suffix").
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    # AIM symbology identifiers ("]Q1" QR, "]C0" Code 128, "]L2" PDF417): "]", a letter, a modifier.
    strip_aim_identifier: bool = True

    def __post_init__(self) -> None:
        if (
            self.max_gap <= 0
            or not self.max_gap <= self.hiccup_gap <= self.end_timeout
            or self.min_length < 1
        ):
            raise ValueError(
                "need max_gap > 0, max_gap <= hiccup_gap <= end_timeout and min_length >= 1"
            )


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
    # The keys exactly as they came (prefix and suffix included, Enter not): a focused text field
    # received them too, and the app takes them out again when the code is not for that field.
    keys: str = field(default="", repr=False)


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
        # When the last burst without Enter was known to be over (its Enter may still come).
        self._timeout_read_ended_at: float | None = None

    def feed(self, char: str, at: float | None = None) -> list[Event]:
        """One key (a single character; "\\r" or "\\n" for Enter) at time `at` (seconds)."""
        now = self.clock() if at is None else at
        events: list[Event] = []
        if self._keys and now - self._keys[-1][1] > self.timing.hiccup_gap:
            # A pause longer than any hiccup: what came before is finished, burst or typing.
            events += self._flush(ended_by="timeout", recognised_at=now)
        if char in ENTER_KEYS:
            if self._keys and self._is_burst(until=now):
                events.append(self._read(now, "enter"))
            elif not self._keys and self._enter_belongs_to_last_read(now):
                pass  # the scanner's own Enter, late after a burst that ended by going quiet
            else:
                events += self._as_typed()
                events.append(TypedText(char))
            self._timeout_read_ended_at = None
            return events
        self._timeout_read_ended_at = None
        self._keys.append((char, now))
        return events

    def poll(self, now: float | None = None) -> list[Event]:
        """Call regularly (e.g. every 50 ms): completes a burst without Enter, releases typing."""
        at = self.clock() if now is None else now
        if not self._keys:
            return []
        quiet = at - self._keys[-1][1]
        if self._is_burst():
            if quiet > self.timing.end_timeout:
                return self._flush(ended_by="timeout", recognised_at=at)
            return []
        # Typing is held back only as long as it could still turn out to be a burst's beginning
        # (a hiccup's length: the next key may continue a burst that stalled).
        return self._as_typed() if quiet > self.timing.hiccup_gap else []

    def pending(self) -> bool:
        """Keys are held back: keep polling until this is False."""
        return bool(self._keys)

    def _is_burst(self, until: float | None = None) -> bool:
        """Enough keys, fast enough: gaps over max_gap (hiccups) are at most a quarter of them.

        `until` adds the gap to a key that ends the run (Enter), so a slow Enter counts too.
        """
        if len(self._keys) < self.timing.min_length:
            return False
        times = [at for _, at in self._keys] + ([until] if until is not None else [])
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        slow = sum(1 for gap in gaps if gap > self.timing.max_gap)
        return slow * 4 <= len(gaps)

    def _enter_belongs_to_last_read(self, now: float) -> bool:
        ended = self._timeout_read_ended_at
        return ended is not None and now - ended <= self.timing.end_timeout

    def _flush(self, ended_by: Literal["enter", "timeout"], recognised_at: float) -> list[Event]:
        if self._is_burst():
            last_key = self._keys[-1][1]
            # Polled late or not at all, the burst still ended end_timeout after its last key.
            self._timeout_read_ended_at = min(recognised_at, last_key + self.timing.end_timeout)
            return [self._read(last_key, ended_by)]
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
            keys=text,
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
