"""Which clock a complaint's deadlines count from: the device's stated filing time while it is
believable next to the server's receipt, else the receipt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kiosk.domain.complaints import (
    ClockTolerance,
    ComplaintCategory,
    deadlines_for,
    deadlines_on_receipt,
)

RECEIVED = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
TOLERANCE = ClockTolerance(ahead=timedelta(hours=1), behind=timedelta(days=30))
CATEGORY = ComplaintCategory.WRONG_DATA


@pytest.mark.parametrize(
    ("stated", "believed"),
    [
        (RECEIVED, True),
        (RECEIVED + timedelta(hours=1), True),  # the edge ahead is still believed
        (RECEIVED + timedelta(hours=1, seconds=1), False),
        (RECEIVED - timedelta(days=30), True),  # the edge behind is still believed
        (RECEIVED - timedelta(days=30, seconds=1), False),
        (datetime(2000, 1, 1, tzinfo=UTC), False),
        (datetime(2099, 1, 1, tzinfo=UTC), False),
    ],
)
def test_deadlines_count_from_the_stated_time_only_while_it_is_believable(stated, believed):
    kept = deadlines_on_receipt(CATEGORY, stated, RECEIVED, TOLERANCE)
    start = stated if believed else RECEIVED
    assert kept.stated_filing_plausible is believed
    assert kept.counted_from == start
    assert kept.deadlines == deadlines_for(CATEGORY, start)


def test_a_stated_time_in_another_zone_is_compared_as_the_same_instant():
    wib = timezone(timedelta(hours=7))
    same_instant = datetime(2026, 3, 10, 15, 0, tzinfo=wib)  # 08:00 UTC
    later_by_the_zone = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 7 hours after the receipt
    assert deadlines_on_receipt(CATEGORY, same_instant, RECEIVED, TOLERANCE).stated_filing_plausible
    kept = deadlines_on_receipt(CATEGORY, later_by_the_zone, RECEIVED, TOLERANCE)
    assert kept.stated_filing_plausible is False
