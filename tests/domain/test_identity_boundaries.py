"""NIK and No. KK results as JSON, whole, and the edge of masking (cases found by mutation testing).

Every number here is made up; 91.01 is Merauke's code from before Papua was split.
"""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.domain.findings import error, warning
from kiosk.domain.identity import RegionName, Role, mask_nik, parse_kk, parse_nik

TODAY = date(2025, 6, 1)


class PapuaBeforeTheSplit:
    """A region table that knows one district, under its historical regency code."""

    def province(self, code: str) -> str | None:
        return {"91": "Papua"}.get(code)

    def regency(self, code: str) -> RegionName | None:
        if code == "9101":
            return RegionName("Kabupaten Merauke", "9301", "Papua Selatan", historical=True)
        return None

    def district(self, code: str) -> str | None:
        return {"910101": "Merauke"}.get(code)


MERAUKE = {
    "province_code": "91",
    "regency_code": "9101",
    "district_code": "910101",
    "province": "Papua",
    "regency": "Kabupaten Merauke",
    "district": "Merauke",
    "current_regency_code": "9301",
    "current_province": "Papua Selatan",
}
PRE_SPLIT = {
    "code": "region_pre_split",
    "field": "region",
    "params": {
        "prefix": "91.01",
        "current_code": "93.01",
        "name": "Kabupaten Merauke",
        "province": "Papua Selatan",
    },
}


def test_a_nik_as_json_carries_every_reading_and_the_region_in_full():
    data = parse_nik("9101015203100007", PapuaBeforeTheSplit(), today=TODAY).to_dict()
    assert data == {
        "kind": "nik",
        "valid": True,
        "number": "9101015203100007",
        "errors": [],
        "warnings": [{**PRE_SPLIT, "code": "nik.region_pre_split"}],
        "gender": "P",
        "birth_date": "2010-03-12",
        "birth_date_candidates": ["1910-03-12", "2010-03-12"],
        "age": 15,
        "region": MERAUKE,
        "serial": "0007",
    }


def test_a_nik_refused_for_its_shape_has_no_date_and_no_region_in_json():
    assert parse_nik("12345", today=TODAY).to_dict() == {
        "kind": "nik",
        "valid": False,
        "number": None,
        "errors": [{"code": "nik.wrong_length", "field": "nik", "params": {"digits": 5}}],
        "warnings": [],
        "gender": None,
        "birth_date": None,
        "birth_date_candidates": [],
        "age": None,
        "region": None,
        "serial": None,
    }


def test_a_kk_as_json_carries_its_recording_date_and_the_region_in_full():
    data = parse_kk("9101012003150003", PapuaBeforeTheSplit(), today=TODAY).to_dict()
    assert data == {
        "kind": "kk",
        "valid": True,
        "number": "9101012003150003",
        "errors": [],
        "warnings": [{**PRE_SPLIT, "code": "kk.region_pre_split"}],
        "issue_date": "2015-03-20",
        "issue_date_candidates": ["1915-03-20", "2015-03-20"],
        "region": MERAUKE,
        "serial": "0003",
    }


def test_a_kk_refused_for_its_shape_has_no_date_and_no_region_in_json():
    assert parse_kk("31710120031500O3").to_dict() == {
        "kind": "kk",
        "valid": False,
        "number": None,
        "errors": [{"code": "kk.not_digits", "field": "kk", "params": {"char": "O", "digits": 15}}],
        "warnings": [],
        "issue_date": None,
        "issue_date_candidates": [],
        "region": None,
        "serial": None,
    }


def test_up_to_eight_digits_are_masked_whole_and_from_nine_the_ends_show():
    assert mask_nik("12345678") == "********"
    assert mask_nik("123456789") == "1234*6789"


# --- findings compared whole, and the edges of each rule -----------------------------------------


def nik(region="317101", day=12, month=3, yy=10, serial="0001") -> str:
    return f"{region}{day:02d}{month:02d}{yy:02d}{serial}"


class Gambir:
    """A region table that knows Jakarta Pusat and one of its districts."""

    def province(self, code: str) -> str | None:
        return {"31": "DKI Jakarta"}.get(code)

    def regency(self, code: str) -> RegionName | None:
        if code == "3171":
            return RegionName("Kota Jakarta Pusat", "3171", "DKI Jakarta")
        return None

    def district(self, code: str) -> str | None:
        return {"317101": "Gambir"}.get(code)


class UnhashableGambir(Gambir):
    """The same table as an object that cannot be a cache key (it defines == without hash)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnhashableGambir)

    __hash__ = None  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("typed", "finding"),
    [
        ("", error("nik.empty", "nik")),
        ("31710112031O0001", error("nik.not_digits", "nik", char="O", digits=15)),
        ("317101120310001", error("nik.wrong_length", "nik", digits=15)),
    ],
)
def test_a_nik_refused_for_its_shape_names_the_nik_field(typed, finding):
    result = parse_nik(typed)
    assert (result.valid, result.errors, result.gender, result.region) == (
        False,
        (finding,),
        None,
        None,
    )


@pytest.mark.parametrize(
    ("typed", "finding"),
    [
        ("", error("kk.empty", "kk")),
        ("317101120315000A", error("kk.not_digits", "kk", char="A", digits=15)),
        ("31710112031500031", error("kk.wrong_length", "kk", digits=17)),
    ],
)
def test_a_kk_refused_for_its_shape_names_the_kk_field(typed, finding):
    result = parse_kk(typed)
    assert (result.valid, result.errors, result.issue_date) == (False, (finding,), None)


def test_impossible_day_and_month_codes_are_reported_with_the_digits_typed():
    result = parse_nik(nik(day=72, month=13))
    assert result.errors == (
        error("nik.day_out_of_range", "birth_date", day="72"),
        error("nik.month_out_of_range", "birth_date", month="13"),
    )
    assert (result.gender, result.birth_date, result.age) == (None, None, None)


def test_a_day_not_in_the_calendar_is_reported_as_day_month_and_two_digit_year():
    result = parse_nik(nik(day=71, month=2, yy=5), today=TODAY)
    assert result.errors == (
        error("nik.no_such_date", "birth_date", day="31", month="02", year="05"),
    )
    assert (result.birth_date, result.age, result.birth_date_candidates) == (None, None, ())


def test_a_serial_of_zeros_is_an_error_on_the_serial_field():
    assert parse_nik(nik(serial="0000")).errors == (error("nik.serial_zero", "serial"),)
    assert parse_kk(nik(serial="0000")).errors == (error("kk.serial_zero", "serial"),)


def test_without_a_region_table_the_region_codes_are_still_split_out():
    expected = {"province_code": "31", "regency_code": "3171", "district_code": "317101"}
    for result in (parse_nik(nik()), parse_kk(nik())):
        assert result.region is not None
        assert result.region.to_dict() == {
            **expected,
            "province": None,
            "regency": None,
            "district": None,
            "current_regency_code": None,
            "current_province": None,
        }


def test_an_unknown_regency_or_district_is_named_by_its_dotted_prefix():
    assert parse_nik(nik(region="319901"), Gambir()).warnings == (
        warning("nik.region_unknown", "region", prefix="31.99"),
    )
    assert parse_kk(nik(region="317199"), Gambir()).warnings == (
        warning("kk.district_unknown", "region", prefix="31.71.99"),
    )


def test_a_region_table_that_cannot_be_cached_still_names_the_region():
    result = parse_nik(nik(), UnhashableGambir())
    assert result.region is not None
    assert (result.region.province, result.region.regency, result.region.district) == (
        "DKI Jakarta",
        "Kota Jakarta Pusat",
        "Gambir",
    )
    assert result.warnings == ()
    assert parse_kk(nik(region="317199"), UnhashableGambir()).warnings == (
        warning("kk.district_unknown", "region", prefix="31.71.99"),
    )


def test_without_a_clock_a_date_only_one_century_has_is_read_as_that_one():
    result = parse_nik(nik(day=29, month=2, yy=0), role=Role.PARENT)
    assert (result.birth_date, result.age, result.warnings) == (date(2000, 2, 29), None, ())


def test_a_birth_date_of_today_is_past_and_read_in_this_century():
    result = parse_nik(nik(day=1, month=6, yy=25), role=Role.STUDENT, today=TODAY)
    assert (result.birth_date, result.age) == (date(2025, 6, 1), 0)


def test_both_readings_in_the_future_keep_the_older_and_warn_about_the_age():
    result = parse_nik(nik(yy=60), role=Role.STUDENT, today=date(1950, 1, 1))
    assert (result.birth_date, result.age) == (date(1960, 3, 12), -11)
    assert result.warnings == (
        warning("nik.age_unexpected", "birth_date", age=-11, role="student", low=6, high=21),
    )


def test_a_student_aged_exactly_the_top_of_the_range_is_plausible():
    result = parse_nik(nik(day=2, month=1, yy=4), role=Role.STUDENT, today=TODAY)
    assert (result.birth_date, result.age, result.warnings) == (date(2004, 1, 2), 21, ())


def test_a_parent_outside_the_range_gets_the_nearer_century():
    # 1920 makes a parent of 105 (5 years too old); 2020 a parent of 5 (12 years too young).
    result = parse_nik(nik(yy=20), role=Role.PARENT, today=TODAY)
    assert (result.birth_date, result.age) == (date(1920, 3, 12), 105)


@pytest.mark.parametrize(
    ("yy", "year"), [(0, 2000), (15, 2015), (69, 2069), (70, 1970), (80, 1980)]
)
def test_without_a_clock_a_kk_date_reads_70_to_99_as_19yy_and_the_rest_as_20yy(yy, year):
    result = parse_kk(nik(yy=yy))
    assert result.issue_date == date(year, 3, 12)
    assert result.warnings == ()


def test_with_a_clock_a_kk_from_the_80s_is_not_in_the_future():
    result = parse_kk(nik(yy=80), today=TODAY)
    assert (result.issue_date, result.warnings) == (date(1980, 3, 12), ())


def test_a_kk_recorded_today_is_read_as_today_even_when_the_older_century_fits():
    result = parse_kk(nik(yy=80), today=date(2080, 3, 12))
    assert (result.issue_date, result.warnings) == (date(2080, 3, 12), ())


def test_a_kk_of_2000_read_before_2000_is_in_the_future():
    result = parse_kk(nik(yy=0), today=date(1999, 1, 1))
    assert result.issue_date == date(2000, 3, 12)
    assert result.warnings == (warning("kk.issue_date_in_future", "issue_date", date="2000-03-12"),)


@pytest.mark.parametrize(
    ("day", "looks_like_nik"), [(40, False), (41, True), (71, True), (72, False)]
)
def test_a_kk_day_code_of_41_to_71_looks_like_a_woman_s_nik(day, looks_like_nik):
    hint = warning("kk.looks_like_nik", "kk", day=f"{day:02d}")
    assert (hint in parse_kk(nik(day=day)).warnings) is looks_like_nik


def test_a_kk_date_not_in_the_calendar_is_reported_with_the_digits_typed():
    result = parse_kk(nik(day=31, month=4, yy=15))
    assert result.errors == (
        error("kk.no_such_date", "issue_date", day="31", month="04", year="15"),
    )
    assert (result.issue_date, result.issue_date_candidates) == (None, ())
