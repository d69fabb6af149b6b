"""Keyboard-wedge scanners: bursts, typing, prefixes and suffixes, all with synthetic timings."""

from __future__ import annotations

import pytest

from kiosk.domain.payloads import PayloadKind
from kiosk.scan.keyboard import KeyboardTiming, KeyboardWedge, ScannerRead, TypedText

MOTHER_NIK = "3174015708800002"  # made up: a real Jakarta Selatan prefix, invented rest


def burst(wedge: KeyboardWedge, text: str, start: float, gap: float = 0.004) -> tuple[list, float]:
    """Feed `text` as a scanner does: one key every `gap` seconds. Returns events and the end time."""
    events: list = []
    at = start
    for char in text:
        events += wedge.feed(char, at)
        at += gap
    return events, at - gap


def typed(events: list) -> str:
    return "".join(event.text for event in events if isinstance(event, TypedText))


def reads(events: list) -> list[ScannerRead]:
    return [event for event in events if isinstance(event, ScannerRead)]


def test_a_fast_burst_ending_in_enter_is_a_scanner_read():
    wedge = KeyboardWedge()
    events, end = burst(wedge, MOTHER_NIK + "\r", start=10.0)
    [read] = reads(events)
    assert read.text == MOTHER_NIK
    assert read.ended_by == "enter"
    assert read.started_at == 10.0
    assert read.finished_at == pytest.approx(end)
    assert typed(events) == ""


def test_a_scanner_read_is_classified_like_any_other_scan():
    wedge = KeyboardWedge()
    events, _ = burst(wedge, MOTHER_NIK + "\n", start=0.0)
    [read] = reads(events)
    assert read.payload.kind is PayloadKind.NIK
    assert read.payload.fields == {"nik": MOTHER_NIK}
    assert read.payload.raw == MOTHER_NIK.encode()


def test_a_person_typing_is_left_alone():
    wedge = KeyboardWedge()
    events: list = []
    # 120-260 ms between keys, irregular, as people type.
    times = [0.0, 0.15, 0.27, 0.53, 0.70, 0.83, 1.09]
    for char, at in zip("Aminah\r", times, strict=True):
        events += wedge.feed(char, at)
    events += wedge.poll(2.0)
    assert reads(events) == []
    assert typed(events) == "Aminah\r"


def test_a_quick_rolled_pair_while_typing_is_still_typing():
    wedge = KeyboardWedge()
    events = wedge.feed("t", 0.0) + wedge.feed("h", 0.012) + wedge.feed("e", 0.2)
    events += wedge.poll(0.5)
    assert typed(events) == "the"
    assert reads(events) == []


def test_typed_keys_are_held_only_as_long_as_a_burst_could_still_start():
    wedge = KeyboardWedge()
    assert wedge.feed("a", 1.0) == []
    assert wedge.poll(1.01) == []  # might still be the start of a burst
    assert wedge.poll(1.05) == []  # or a burst that stalled for a moment (a hiccup)
    assert typed(wedge.poll(1.08)) == "a"


def test_a_scan_in_the_middle_of_typing_is_told_apart():
    wedge = KeyboardWedge()
    events = wedge.feed("a", 0.0) + wedge.feed("b", 0.3)
    more, _ = burst(wedge, "KJP-2026-T1-004512\r", start=0.8)
    events += more + wedge.feed("c", 1.5) + wedge.poll(2.0)
    assert typed(events) == "abc"
    [read] = reads(events)
    assert read.text == "KJP-2026-T1-004512"


def test_a_burst_interrupted_by_a_person_ends_where_the_pause_begins():
    wedge = KeyboardWedge()
    events, _ = burst(wedge, "PKH-2026-2-3174-000981", start=0.0)  # no Enter
    events += wedge.feed("x", 0.6)  # a person presses a key much later
    events += wedge.poll(1.0)
    [read] = reads(events)
    assert read.text == "PKH-2026-2-3174-000981"
    assert read.ended_by == "timeout"
    assert typed(events) == "x"


def test_a_burst_without_enter_is_completed_by_the_timeout():
    wedge = KeyboardWedge(KeyboardTiming(end_timeout=0.1))
    events, end = burst(wedge, MOTHER_NIK, start=5.0)
    assert reads(events) == []
    assert wedge.poll(end + 0.05) == []  # quiet, but not yet long enough
    [read] = reads(wedge.poll(end + 0.15))
    assert read.text == MOTHER_NIK
    assert read.ended_by == "timeout"


def test_aim_identifiers_are_stripped_and_name_the_symbology():
    wedge = KeyboardWedge()
    events, _ = burst(wedge, "]Q1" + MOTHER_NIK + "\r", start=0.0)
    [read] = reads(events)
    assert read.text == MOTHER_NIK
    assert read.symbology == "qr"
    events, _ = burst(wedge, "]C0KJP-2026-T1-004512\r", start=5.0)
    [read] = reads(events)
    assert (read.text, read.symbology) == ("KJP-2026-T1-004512", "code128")


def test_custom_prefixes_and_suffixes_are_stripped():
    timing = KeyboardTiming(prefixes=("@@",), suffixes=("#END", "\t"))
    wedge = KeyboardWedge(timing)
    events, _ = burst(wedge, "@@]L2" + MOTHER_NIK + "#END\r", start=0.0)
    [read] = reads(events)
    assert read.text == MOTHER_NIK
    assert read.symbology == "pdf417"


def test_aim_stripping_can_be_turned_off():
    wedge = KeyboardWedge(KeyboardTiming(strip_aim_identifier=False))
    events, _ = burst(wedge, "]Q1ABCDEF\r", start=0.0)
    [read] = reads(events)
    assert read.text == "]Q1ABCDEF"
    assert read.symbology is None


def test_a_slow_bluetooth_scanner_needs_a_wider_gap():
    slow = "3174015708800002\r"
    events, _ = burst(KeyboardWedge(), slow, start=0.0, gap=0.045)
    assert reads(events) == []
    events, _ = burst(KeyboardWedge(KeyboardTiming(max_gap=0.06)), slow, start=0.0, gap=0.045)
    assert len(reads(events)) == 1


def test_the_injected_classifier_and_clock_are_used():
    now = [100.0]
    seen: list[str] = []

    def classify(text: str, raw: bytes):
        seen.append(text)
        from kiosk.domain.payloads import classify_payload

        return classify_payload(text, raw)

    wedge = KeyboardWedge(classify=classify, clock=lambda: now[0])
    for char in "ABCDEF":
        wedge.feed(char)
        now[0] += 0.002
    now[0] += 1.0
    [read] = wedge.poll()
    assert seen == ["ABCDEF"]
    assert read.started_at == 100.0


def test_inconsistent_timings_are_refused():
    with pytest.raises(ValueError):
        KeyboardTiming(max_gap=0.05, end_timeout=0.01)
    with pytest.raises(ValueError):
        KeyboardTiming(max_gap=0.05, hiccup_gap=0.04)
    with pytest.raises(ValueError):
        KeyboardTiming(hiccup_gap=0.2, end_timeout=0.1)


class FakeClock:
    """The wedge's clock, moved by hand: nothing here depends on how fast the test runs."""

    def __init__(self, start: float = 50.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def keys(self, wedge: KeyboardWedge, text: str, gap: float = 0.004) -> list:
        events: list = []
        for char in text:
            events += wedge.feed(char)
            self.now += gap
        self.now -= gap  # the clock stands at the last key
        return events


def test_an_enter_shortly_after_a_burst_that_ended_by_going_quiet_is_swallowed():
    clock = FakeClock()
    wedge = KeyboardWedge(clock=clock)
    events = clock.keys(wedge, MOTHER_NIK)
    clock.now += 0.15  # quiet for longer than end_timeout: the poll ends the burst
    events += wedge.poll()
    clock.now += 0.03  # then the scanner's Enter arrives late
    events += wedge.feed("\r")
    [read] = reads(events)
    assert (read.text, read.ended_by) == (MOTHER_NIK, "timeout")
    assert typed(events) == ""  # no stray Enter for the focused field


def test_a_late_enter_that_ends_the_burst_itself_is_swallowed_too():
    clock = FakeClock()
    wedge = KeyboardWedge(clock=clock)
    events = clock.keys(wedge, MOTHER_NIK)
    clock.now += 0.09  # longer than a hiccup: the Enter's arrival ends the burst
    events += wedge.feed("\r")
    assert [r.text for r in reads(events)] == [MOTHER_NIK]
    assert typed(events) == ""


def test_an_enter_well_after_a_burst_is_a_persons_enter():
    clock = FakeClock()
    wedge = KeyboardWedge(clock=clock)
    events = clock.keys(wedge, MOTHER_NIK)
    clock.now += 0.15
    events += wedge.poll()
    clock.now += 0.5  # a person pressing Enter to move on
    events += wedge.feed("\r")
    assert len(reads(events)) == 1
    assert typed(events) == "\r"


def test_only_the_first_enter_after_a_burst_is_swallowed():
    clock = FakeClock()
    wedge = KeyboardWedge(clock=clock)
    clock.keys(wedge, MOTHER_NIK)
    clock.now += 0.15
    wedge.poll()
    clock.now += 0.02
    assert wedge.feed("\r") == []
    clock.now += 0.02
    assert typed(wedge.feed("\r")) == "\r"


def test_a_short_stall_in_the_middle_of_a_burst_keeps_it_one_read():
    clock = FakeClock()
    wedge = KeyboardWedge(clock=clock)
    events = clock.keys(wedge, MOTHER_NIK[:7])
    clock.now += 0.05  # a 50 ms hiccup (a Bluetooth retry, a busy browser)
    events += clock.keys(wedge, MOTHER_NIK[7:] + "\r")
    [read] = reads(events)
    assert (read.text, read.ended_by) == (MOTHER_NIK, "enter")
    assert typed(events) == ""


def test_a_stall_at_the_start_of_a_burst_keeps_it_one_read():
    clock = FakeClock()
    wedge = KeyboardWedge(clock=clock)
    events = clock.keys(wedge, MOTHER_NIK[:2])
    clock.now += 0.04
    events += clock.keys(wedge, MOTHER_NIK[2:] + "\r")
    assert [r.text for r in reads(events)] == [MOTHER_NIK]


def test_a_pause_longer_than_a_hiccup_still_splits():
    clock = FakeClock()
    wedge = KeyboardWedge(clock=clock)
    events = clock.keys(wedge, "ABCDEF")
    clock.now += 0.09  # more than hiccup_gap: a new run begins
    events += clock.keys(wedge, "GHIJKL\r")
    assert [r.text for r in reads(events)] == ["ABCDEF", "GHIJKL"]


def test_keys_mostly_slower_than_a_scanner_are_typing_even_within_the_hiccup_gap():
    clock = FakeClock()
    wedge = KeyboardWedge(clock=clock)
    events: list = []
    for char, gap in zip("Siti\r", (0.0, 0.012, 0.06, 0.07, 0.05), strict=True):
        clock.now += gap  # a quick typist's rolled pair, then fast but human keys
        events += wedge.feed(char)
    clock.now += 1.0
    events += wedge.poll()
    assert reads(events) == []
    assert typed(events) == "Siti\r"


def test_the_hiccup_tolerance_is_configurable():
    clock = FakeClock()
    strict = KeyboardWedge(KeyboardTiming(hiccup_gap=0.030), clock=clock)
    events = clock.keys(strict, MOTHER_NIK[:7])
    clock.now += 0.05
    events += clock.keys(strict, MOTHER_NIK[7:] + "\r")
    assert [r.text for r in reads(events)] == [MOTHER_NIK[:7], MOTHER_NIK[7:]]


def test_a_read_keeps_the_keys_as_they_came_for_the_field_that_received_them():
    wedge = KeyboardWedge(KeyboardTiming(prefixes=("@@",)))
    events, _ = burst(wedge, "@@]Q1" + MOTHER_NIK + "\r", start=0.0)
    [read] = reads(events)
    assert read.keys == "@@]Q1" + MOTHER_NIK
    assert MOTHER_NIK not in repr(read)
