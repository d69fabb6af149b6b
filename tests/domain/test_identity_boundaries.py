"""NIK and No. KK results as JSON, whole, and the edge of masking (cases found by mutation testing).

Every number here is made up; 91.01 is Merauke's code from before Papua was split.
"""

from __future__ import annotations

from datetime import date

from kiosk.domain.identity import RegionName, mask_nik, parse_kk, parse_nik

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
