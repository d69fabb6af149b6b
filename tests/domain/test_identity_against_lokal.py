"""Our NIK parser against lokal-id's, on generated numbers: a second, independent implementation.

The domain keeps its own parser (pure, with findings a person can act on, and the applicant's role
deciding the century); lokal-id is a well-kept one that the edges use for region names. Where both
read a number they must agree on validity, gender and birth day. They differ by design on two
points: lokal-id may place a birth date in the future (ours never does), and it refuses a regency
or district code 00, which ours only warns about, as DOMAIN.md asks of every region code it does
not know.
"""

from __future__ import annotations

from datetime import date

import lokal
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.identity import parse_nik
from kiosk.regions import default_regions

TODAY = date(2026, 11, 24)
REGIONS = default_regions()

niks = st.builds(
    lambda province, regency, district, day, month, year, serial: (
        f"{province}{regency:02d}{district:02d}{day:02d}{month:02d}{year:02d}{serial:04d}"
    ),
    st.sampled_from(["11", "31", "32", "33", "35", "51", "92", "96"]),
    st.integers(0, 80),
    st.integers(0, 40),
    st.integers(0, 75),
    st.integers(0, 14),
    st.integers(0, 99),
    st.integers(0, 9999),
)


@settings(max_examples=2000)
@given(niks)
def test_both_parsers_agree_on_what_a_nik_says(nik: str):
    ours = parse_nik(nik, REGIONS, today=TODAY)
    theirs = lokal.parse_nik(nik)
    if theirs.errors and all(issue.code == "wilayah" for issue in theirs.errors):
        assert ours.valid, ours.errors
        assert any(warning.field == "region" for warning in ours.warnings)
        return
    assert ours.valid == theirs.valid, (ours.errors, theirs.errors)
    if not ours.valid:
        return
    assert ours.gender == theirs.gender
    assert ours.birth_date is not None and ours.birth_date <= TODAY
    theirs_born = date.fromisoformat(theirs.birth_date)
    assert (ours.birth_date.month, ours.birth_date.day) == (theirs_born.month, theirs_born.day)
    if theirs_born <= TODAY:
        assert ours.birth_date == theirs_born
