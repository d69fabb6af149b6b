"""The live reader: a code counts after two identical consecutive reads, and not before."""

from __future__ import annotations

import pytest

from kiosk.scan.decode import CodeRead
from kiosk.scan.live import LiveReader
from tests.scan.code_images import code, page

BOX = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0))


def _read(raw: bytes, fmt: str = "qr") -> CodeRead:
    return CodeRead(fmt, raw.decode(), raw, BOX, "zxing-cpp", 5.0)


def test_one_read_is_not_enough_two_identical_consecutive_reads_confirm():
    reader = LiveReader()
    assert reader.feed_reads([_read(b"KJP-2026-T2-000123")]) == []
    assert reader.pending() == [("qr", b"KJP-2026-T2-000123")]
    confirmed = reader.feed_reads([_read(b"KJP-2026-T2-000123")])
    assert [read.raw for read in confirmed] == [b"KJP-2026-T2-000123"]


def test_a_different_read_resets_the_count():
    reader = LiveReader()
    assert reader.feed_reads([_read(b"KJP-2026-T2-000123")]) == []
    assert reader.feed_reads([_read(b"KJP-2026-T2-000124")]) == []  # a misread in between
    assert reader.feed_reads([_read(b"KJP-2026-T2-000123")]) == []
    assert [r.raw for r in reader.feed_reads([_read(b"KJP-2026-T2-000123")])] == [
        b"KJP-2026-T2-000123"
    ]


def test_a_frame_without_the_code_resets_the_count():
    reader = LiveReader()
    reader.feed_reads([_read(b"A-1")])
    reader.feed_reads([])
    assert reader.feed_reads([_read(b"A-1")]) == []


def test_the_same_bytes_in_another_format_are_a_different_read():
    reader = LiveReader()
    reader.feed_reads([_read(b"3174011405090003", "qr")])
    assert reader.feed_reads([_read(b"3174011405090003", "code128")]) == []


def test_a_confirmed_code_is_reported_once_while_it_stays_in_view_and_again_after_it_left():
    reader = LiveReader()
    reader.feed_reads([_read(b"A-1")])
    assert len(reader.feed_reads([_read(b"A-1")])) == 1
    assert reader.feed_reads([_read(b"A-1")]) == []
    reader.feed_reads([])
    reader.feed_reads([_read(b"A-1")])
    assert len(reader.feed_reads([_read(b"A-1")])) == 1


def test_two_codes_in_view_are_confirmed_independently():
    reader = LiveReader()
    reader.feed_reads([_read(b"A-1"), _read(b"B-2", "code128")])
    confirmed = reader.feed_reads([_read(b"B-2", "code128"), _read(b"A-1")])
    assert sorted(read.raw for read in confirmed) == [b"A-1", b"B-2"]


def test_reset_forgets_sightings():
    reader = LiveReader()
    reader.feed_reads([_read(b"A-1")])
    reader.reset()
    assert reader.feed_reads([_read(b"A-1")]) == []


def test_required_must_be_positive():
    with pytest.raises(ValueError):
        LiveReader(required=0)


def test_real_camera_frames_confirm_on_the_second_frame():
    reader = LiveReader()
    frame = page((code("qr", "LKP1:7KQ2ZB-000123-M:ABCDEFGH", 4), (100, 60)), size=(640, 360))
    empty = page(size=(640, 360))
    assert reader.feed(frame) == []
    [confirmed] = reader.feed(frame)
    assert confirmed.text == "LKP1:7KQ2ZB-000123-M:ABCDEFGH"
    assert reader.feed(empty) == []
    assert reader.feed(frame) == []
