"""NIK and No. KK rules from DOMAIN.md, one example per rule plus properties over generated numbers.

Every number here is made up: region codes are real, the rest is invented.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import ClassVar

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kiosk.domain.identity import (
    AGE_RANGES,
    KkResult,
    NikResult,
    RegionName,
    Role,
    age_on,
    clean_digits,
    mask_nik,
    parse_kk,
    parse_nik,
)

TODAY = date(2025, 6, 1)


class FakeRegions:
    """A tiny region table: Jakarta Pusat/Gambir, and Merauke under its old Papua code 91.01."""

    provinces: ClassVar[dict[str, str]] = {
        "31": "DKI Jakarta",
        "91": "Papua",
        "93": "Papua Selatan",
    }
    regencies: ClassVar[dict[str, RegionName]] = {
        "3171": RegionName("Kota Jakarta Pusat", "3171", "DKI Jakarta"),
        "9301": RegionName("Kabupaten Merauke", "9301", "Papua Selatan"),
        "9101": RegionName("Kabupaten Merauke", "9301", "Papua Selatan", historical=True),
    }
    districts: ClassVar[dict[str, str]] = {
        "317101": "Gambir",
        "930101": "Merauke",
        "910101": "Merauke",
    }

    def province(self, code: str) -> str | None:
        return self.provinces.get(code)

    def regency(self, code: str) -> RegionName | None:
        return self.regencies.get(code)

    def district(self, code: str) -> str | None:
        return self.districts.get(code)


REGIONS = FakeRegions()


def nik(
    region: str = "317101", day: int = 12, month: int = 3, yy: int = 10, serial: str = "0001"
) -> str:
    return f"{region}{day:02d}{month:02d}{yy:02d}{serial}"


def codes(result: NikResult | KkResult) -> list[str]:
    return [finding.code for finding in (*result.errors, *result.warnings)]


def error_codes(result: NikResult | KkResult) -> list[str]:
    return [finding.code for finding in result.errors]


def warning_codes(result: NikResult | KkResult) -> list[str]:
    return [finding.code for finding in result.warnings]


# --- shape ----------------------------------------------------------------------------------------


def test_a_well_formed_nik_is_valid_and_says_who_and_where():
    result = parse_nik("3171015203100001", REGIONS, today=TODAY)
    assert result.valid
    assert result.number == "3171015203100001"
    assert result.errors == ()
    assert result.gender == "P"
    assert result.birth_date == date(2010, 3, 12)
    assert result.age == 15
    assert result.serial == "0001"
    assert result.region is not None
    assert (result.region.province, result.region.regency, result.region.district) == (
        "DKI Jakarta",
        "Kota Jakarta Pusat",
        "Gambir",
    )


@pytest.mark.parametrize(
    "typed", ["3171 0152 0310 0001", "3171.01.520310.0001", "3171-01-520310-0001"]
)
def test_spaces_dots_and_dashes_are_stripped_before_checking(typed: str):
    assert parse_nik(typed).number == "3171015203100001"


def test_full_width_digits_from_a_phone_keyboard_count_as_digits():
    assert parse_nik("３１７１０１５２０３１００００１").valid


@pytest.mark.parametrize("typed, digits", [("317101520310001", 15), ("31710152031000011", 17)])
def test_a_nik_without_16_digits_is_rejected_saying_how_many_were_typed(typed: str, digits: int):
    result = parse_nik(typed)
    assert not result.valid
    assert result.number is None
    assert [(f.code, dict(f.params)) for f in result.errors] == [
        ("nik.wrong_length", {"digits": digits})
    ]


def test_a_nik_with_a_letter_is_rejected_naming_the_letter():
    result = parse_nik("31710152O3100001")
    assert error_codes(result) == ["nik.not_digits"]
    assert result.errors[0].params == {"char": "O", "digits": 15}


def test_an_empty_nik_is_rejected_as_empty():
    assert error_codes(parse_nik("  ")) == ["nik.empty"]


# --- birth date -----------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [0, 32, 35, 40, 72, 85, 99])
def test_a_day_code_outside_01_31_and_41_71_is_rejected(day: int):
    result = parse_nik(nik(day=day))
    assert error_codes(result) == ["nik.day_out_of_range"]
    assert result.errors[0].params == {"day": f"{day:02d}"}


@pytest.mark.parametrize("day, gender", [(1, "L"), (31, "L"), (41, "P"), (71, "P")])
def test_the_edges_of_both_day_ranges_are_accepted(day: int, gender: str):
    result = parse_nik(nik(day=day, month=1))
    assert result.valid
    assert result.gender == gender


@pytest.mark.parametrize("month", [0, 13, 99])
def test_a_month_outside_01_12_is_rejected(month: int):
    assert error_codes(parse_nik(nik(month=month))) == ["nik.month_out_of_range"]


@pytest.mark.parametrize(
    "day, month, yy", [(30, 2, 10), (31, 4, 10), (31, 11, 88), (29, 2, 1), (29 + 40, 2, 99)]
)
def test_a_date_that_is_not_in_the_calendar_is_rejected(day: int, month: int, yy: int):
    result = parse_nik(nik(day=day, month=month, yy=yy))
    assert error_codes(result) == ["nik.no_such_date"]


def test_29_february_is_accepted_in_a_leap_year():
    result = parse_nik(nik(day=29, month=2, yy=12), today=TODAY)
    assert result.valid
    assert result.birth_date == date(2012, 2, 29)


def test_29_february_00_is_accepted_because_2000_was_a_leap_year_though_1900_was_not():
    result = parse_nik(nik(day=29, month=2, yy=0), today=TODAY)
    assert result.valid
    assert result.birth_date_candidates == (date(2000, 2, 29),)


def test_a_serial_of_0000_is_rejected():
    assert error_codes(parse_nik(nik(serial="0000"))) == ["nik.serial_zero"]


def test_every_structural_problem_is_reported_at_once():
    result = parse_nik(nik(day=35, month=13, serial="0000"))
    assert error_codes(result) == [
        "nik.day_out_of_range",
        "nik.month_out_of_range",
        "nik.serial_zero",
    ]


@pytest.mark.parametrize("day, month", [(1, 7), (31, 12), (1, 1), (15, 3), (15, 11)])
def test_a_default_birth_date_is_flagged_as_untrustworthy(day: int, month: int):
    result = parse_nik(nik(day=day + 40, month=month), today=TODAY)
    assert result.valid
    assert "nik.default_birth_date" in warning_codes(result)
    found = next(f for f in result.warnings if f.code == "nik.default_birth_date")
    assert found.params == {"date": f"{day:02d}-{month:02d}"}


def test_an_ordinary_birth_date_is_not_flagged_as_default():
    assert "nik.default_birth_date" not in warning_codes(
        parse_nik(nik(day=12, month=3), today=TODAY)
    )


# --- century and age ------------------------------------------------------------------------------


def test_a_student_born_in_yy_10_is_read_as_2010():
    result = parse_nik(nik(yy=10), role=Role.STUDENT, today=TODAY)
    assert result.birth_date == date(2010, 3, 12)
    assert result.birth_date_candidates == (date(1910, 3, 12), date(2010, 3, 12))
    assert warning_codes(result) == []


def test_a_parent_born_in_yy_75_is_read_as_1975():
    result = parse_nik(nik(yy=75), role=Role.PARENT, today=TODAY)
    assert result.birth_date == date(1975, 3, 12)
    assert result.age == 50


def test_a_guardian_born_in_yy_05_is_read_as_2005_the_century_that_makes_an_adult():
    result = parse_nik(nik(yy=5), role=Role.GUARDIAN, today=TODAY)
    assert result.birth_date == date(2005, 3, 12)
    assert warning_codes(result) == []


def test_a_student_aged_45_by_the_nik_gets_a_warning_but_the_nik_stays_valid():
    result = parse_nik(nik(yy=80), role=Role.STUDENT, today=TODAY)
    assert result.valid
    assert result.birth_date == date(1980, 3, 12)
    assert warning_codes(result) == ["nik.age_unexpected"]
    assert result.warnings[0].params == {"age": 45, "role": "student", "low": 6, "high": 21}


def test_a_parent_whose_nik_says_child_gets_a_warning_and_the_nearest_century():
    result = parse_nik(nik(yy=15), role=Role.PARENT, today=TODAY)
    assert result.valid
    assert result.birth_date == date(2015, 3, 12)
    assert warning_codes(result) == ["nik.age_unexpected"]


def test_any_role_never_warns_about_age():
    for yy in range(100):
        assert "nik.age_unexpected" not in warning_codes(parse_nik(nik(yy=yy), today=TODAY))


def test_a_birth_date_in_the_future_is_never_chosen():
    result = parse_nik(nik(yy=30), role=Role.STUDENT, today=TODAY)
    assert result.birth_date == date(1930, 3, 12)


def test_without_a_clock_a_student_is_read_as_20yy_and_a_parent_as_19yy():
    assert parse_nik(nik(yy=10), role=Role.STUDENT).birth_date == date(2010, 3, 12)
    assert parse_nik(nik(yy=10), role=Role.PARENT).birth_date == date(1910, 3, 12)
    unknown = parse_nik(nik(yy=10))
    assert unknown.birth_date is None
    assert unknown.age is None
    assert unknown.birth_date_candidates == (date(1910, 3, 12), date(2010, 3, 12))


def test_age_counts_whole_years_up_to_the_birthday():
    assert age_on(date(2010, 6, 2), date(2025, 6, 1)) == 14
    assert age_on(date(2010, 6, 1), date(2025, 6, 1)) == 15


# --- regions --------------------------------------------------------------------------------------


def test_an_unknown_region_prefix_only_warns():
    result = parse_nik(nik(region="999901"), REGIONS, today=TODAY)
    assert result.valid
    assert warning_codes(result) == ["nik.region_unknown"]
    assert result.warnings[0].params == {"prefix": "99.99"}


def test_an_unknown_district_in_a_known_regency_is_a_soft_warning():
    result = parse_nik(nik(region="317199"), REGIONS, today=TODAY)
    assert result.valid
    assert warning_codes(result) == ["nik.district_unknown"]
    assert result.region is not None
    assert result.region.regency == "Kota Jakarta Pusat"
    assert result.region.district is None


def test_a_pre_split_papua_prefix_is_known_named_and_explained():
    result = parse_nik(nik(region="910101"), REGIONS, today=TODAY)
    assert result.valid
    assert "nik.region_unknown" not in warning_codes(result)
    assert result.region is not None
    assert result.region.regency == "Kabupaten Merauke"
    assert result.region.current_regency_code == "9301"
    assert result.region.current_province == "Papua Selatan"
    note = next(f for f in result.warnings if f.code == "nik.region_pre_split")
    assert note.params == {
        "prefix": "91.01",
        "current_code": "93.01",
        "name": "Kabupaten Merauke",
        "province": "Papua Selatan",
    }


def test_without_a_region_table_no_region_is_judged():
    result = parse_nik(nik(region="999999"), today=TODAY)
    assert warning_codes(result) == []
    assert result.region is not None
    assert result.region.district_code == "999999"
    assert result.region.province is None


# --- JSON -----------------------------------------------------------------------------------------


def test_to_dict_is_plain_json_data_without_messages():
    data = parse_nik("3171017107050001", REGIONS, role=Role.STUDENT, today=TODAY).to_dict()
    assert data["valid"] is True
    assert data["birth_date"] == "2005-07-31"
    assert data["birth_date_candidates"] == ["1905-07-31", "2005-07-31"]
    assert data["gender"] == "P"
    assert data["region"]["district"] == "Gambir"
    assert data["warnings"] == []
    assert "message" not in str(data)


def test_a_mid_month_default_date_shows_in_to_dict_warnings():
    data = parse_nik(nik(day=15), today=TODAY).to_dict()
    assert data["warnings"] == [
        {"code": "nik.default_birth_date", "field": "birth_date", "params": {"date": "15-03"}}
    ]


# --- KK -------------------------------------------------------------------------------------------


def kk(
    region: str = "317101", day: int = 20, month: int = 3, yy: int = 15, serial: str = "0003"
) -> str:
    return f"{region}{day:02d}{month:02d}{yy:02d}{serial}"


def test_a_well_formed_kk_is_valid_with_its_recording_date():
    result = parse_kk(kk(), REGIONS, today=TODAY)
    assert result.valid
    assert result.issue_date == date(2015, 3, 20)
    assert result.region is not None
    assert result.region.district == "Gambir"
    assert result.serial == "0003"


def test_a_kk_without_16_digits_is_rejected():
    assert error_codes(parse_kk("31710120031500")) == ["kk.wrong_length"]
    assert error_codes(parse_kk("317101200315000A")) == ["kk.not_digits"]


@pytest.mark.parametrize("day, month", [(32, 3), (0, 3), (31, 4), (20, 13), (29, 2)])
def test_a_kk_whose_digits_7_to_12_are_not_a_real_date_is_rejected(day: int, month: int):
    assert error_codes(parse_kk(kk(day=day, month=month, yy=15))) == ["kk.no_such_date"]


def test_a_kk_day_code_over_40_is_rejected_and_flagged_as_a_womans_nik():
    result = parse_kk(kk(day=52, month=3, yy=10))
    assert error_codes(result) == ["kk.no_such_date"]
    assert warning_codes(result) == ["kk.looks_like_nik"]


def test_a_kk_serial_of_0000_is_rejected():
    assert error_codes(parse_kk(kk(serial="0000"))) == ["kk.serial_zero"]


def test_a_kk_from_the_1990s_is_read_as_19yy():
    assert parse_kk(kk(yy=95), today=TODAY).issue_date == date(1995, 3, 20)


def test_a_kk_dated_in_the_future_only_warns():
    result = parse_kk(kk(yy=30), today=TODAY)
    assert result.valid
    assert result.issue_date == date(2030, 3, 20)
    assert warning_codes(result) == ["kk.issue_date_in_future"]


def test_a_kk_dated_later_this_year_is_in_the_future_too():
    assert warning_codes(parse_kk(kk(day=2, month=6, yy=25), today=TODAY)) == [
        "kk.issue_date_in_future"
    ]
    assert warning_codes(parse_kk(kk(day=1, month=6, yy=25), today=TODAY)) == []


def test_a_kk_with_an_unknown_region_only_warns():
    result = parse_kk(kk(region="999901"), REGIONS, today=TODAY)
    assert result.valid
    assert warning_codes(result) == ["kk.region_unknown"]


def test_a_kk_with_an_old_papua_prefix_is_known():
    result = parse_kk(kk(region="910101"), REGIONS, today=TODAY)
    assert result.valid
    assert warning_codes(result) == ["kk.region_pre_split"]


def test_kk_to_dict_is_plain_json_data():
    data = parse_kk(kk(), REGIONS, today=TODAY).to_dict()
    assert data["kind"] == "kk"
    assert data["issue_date"] == "2015-03-20"
    assert data["region"]["regency_code"] == "3171"


# --- masking --------------------------------------------------------------------------------------


def test_mask_nik_keeps_only_the_first_and_last_four_digits():
    assert mask_nik("3171014107050001") == "3171********0001"
    assert mask_nik("3171 0141 0705 0001") == "3171********0001"


def test_mask_nik_hides_everything_of_a_short_fragment():
    assert mask_nik("31710141") == "********"


# --- properties -----------------------------------------------------------------------------------


@st.composite
def valid_niks(draw: st.DrawFn) -> tuple[str, date, str]:
    """A NIK built from a real region, a birth date in the last 100 years, a gender and a serial."""
    region = draw(st.sampled_from(["317101", "930101", "910101", "320101"]))
    born = draw(st.dates(min_value=TODAY - timedelta(days=365 * 99), max_value=TODAY))
    gender = draw(st.sampled_from(["L", "P"]))
    serial = draw(st.integers(min_value=1, max_value=9999))
    day = born.day + (40 if gender == "P" else 0)
    return f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}", born, gender


@given(valid_niks())
def test_every_nik_built_from_valid_parts_parses_valid_with_its_gender_and_date(case):
    number, born, gender = case
    result = parse_nik(number, REGIONS, today=TODAY)
    assert result.valid, result.errors
    assert result.gender == gender
    assert result.birth_date == born
    assert born in result.birth_date_candidates


@given(valid_niks())
def test_adding_40_to_the_day_flips_the_gender_and_keeps_the_date(case):
    number, born, gender = case
    day = int(number[6:8])
    flipped_day = day - 40 if gender == "P" else day + 40
    flipped = parse_nik(f"{number[:6]}{flipped_day:02d}{number[8:]}", today=TODAY)
    assert flipped.valid
    assert flipped.gender == ("L" if gender == "P" else "P")
    assert flipped.birth_date == born


@given(st.text(max_size=40))
def test_any_text_without_exactly_16_digits_is_rejected(typed: str):
    assume(not re.fullmatch(r"[0-9]{16}", clean_digits(typed)))
    result = parse_nik(typed)
    assert not result.valid
    assert result.number is None
    assert len(result.errors) == 1


@given(st.text(alphabet="0123456789", max_size=30).filter(lambda s: len(s) != 16))
def test_any_digit_string_of_the_wrong_length_is_rejected_with_its_length(digits: str):
    result = parse_nik(digits)
    expected = "nik.empty" if not digits else "nik.wrong_length"
    assert error_codes(result) == [expected]


@given(st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_any_16_digits_get_a_verdict_consistent_with_their_errors(digits: str):
    result = parse_nik(digits, REGIONS, role=Role.STUDENT, today=TODAY)
    assert result.valid == (result.errors == ())
    assert result.number == digits
    if result.valid:
        assert result.birth_date is not None
        low, high = AGE_RANGES[Role.STUDENT]
        assert (low <= (result.age or 0) <= high) or "nik.age_unexpected" in warning_codes(result)


@given(st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_any_16_digit_kk_gets_a_verdict_consistent_with_its_errors(digits: str):
    result = parse_kk(digits, REGIONS, today=TODAY)
    assert result.valid == (result.errors == ())
    if result.valid:
        assert result.issue_date is not None
        assert int(digits[6:8]) == result.issue_date.day
