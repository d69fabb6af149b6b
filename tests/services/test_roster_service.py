"""Importing a roster CSV: good rows kept, bad rows reported by line, non-CSV files refused."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.errors import InputError
from kiosk.regions import default_regions
from kiosk.services.roster import find_by_kk, find_by_nik, import_roster, search_by_name
from kiosk.store.roster import count_entries

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)

GOOD = [
    "3171015203100001,Siti Aminah,3171012003150003,12-03-2010,BRI,001201000123501,31.71.01",
    "3171011203800002,Moh. Abd. Rahman,3171012003150003,1980-03-12,Mandiri,1300002238114,",
    "9101014107050003,Yohana Kogoya,,,,,",
]


def write(tmp_path: Path, lines: list[str], *, name: str = "roster.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    data = "\n".join(lines).encode("utf-8") + b"\n"
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return path


def run(db, path: Path, program: str = "pkh", **options):
    return import_roster(db, path, program, regions=default_regions(), now=NOW, **options)


HEADER = "nik,nama,no_kk,tanggal_lahir,bank,rekening,kode_wilayah"


def test_a_clean_file_is_imported_completely(fresh_db, tmp_path):
    report = run(fresh_db, write(tmp_path, [HEADER, *GOOD]))
    assert (report.rows_read, report.imported, report.updated, report.rejected) == (3, 3, 0, 0)
    [siti] = find_by_nik(fresh_db, "3171015203100001")
    assert siti.name == "Siti Aminah"
    assert siti.birth_date == "2010-03-12"
    assert siti.account == "001201000123501"
    assert siti.region_code == "317101"
    assert siti.source == "roster.csv"
    assert siti.source_line == 2
    assert siti.imported_at == "2025-06-01T09:00:00+00:00"


def test_bad_rows_are_reported_by_line_and_the_good_rows_kept(fresh_db, tmp_path):
    lines = [
        HEADER,
        GOOD[0],
        "317101520310001,Short Nik,,,,,",  # line 3: 15 digits
        "3171013502100001,Day Thirty Five,,,,,",  # line 4: day code 35
        GOOD[1],
        "3171011203800009,,,,,,",  # line 6: no name
        "3171011203800010,Rekening Pendek,,,BRI,12345,",  # line 7: BRI needs 15 digits
        "3171011203800011,Tanggal Salah,,31-02-1980,,,",  # line 8: no 31 February
        "3171011203800012,Kk Salah,3171014107300003,,,,",  # line 9: a woman's NIK as KK
        "3171011203800013,Kolom Kurang",  # line 10: 2 fields of 7
        GOOD[2],
    ]
    report = run(fresh_db, write(tmp_path, lines))
    assert report.imported == 3
    assert report.rejected == 7
    assert report.rows_read == 10
    assert [(p.line, p.code) for p in report.problems] == [
        (3, "nik.wrong_length"),
        (4, "nik.day_out_of_range"),
        (6, "roster.name_missing"),
        (7, "account.wrong_length"),
        (8, "roster.birth_date_invalid"),
        (9, "kk.no_such_date"),
        (10, "roster.row_field_count"),
    ]
    assert report.problems[0].params == {"digits": 15}
    assert count_entries(fresh_db) == 3


def test_problems_never_carry_the_rows_personal_data(fresh_db, tmp_path):
    lines = [HEADER, "3171013502100001,Siti Rahasia,,,,,"]
    report = run(fresh_db, write(tmp_path, lines))
    shown = str(report.to_dict())
    assert "3171013502100001" not in shown
    assert "Rahasia" not in shown


def test_only_the_first_problems_are_listed_but_all_are_counted(fresh_db, tmp_path):
    lines = [HEADER, *[f"31710135021000{i:02d},Bad Day,,,,," for i in range(1, 31)]]
    report = run(fresh_db, write(tmp_path, lines), max_problems=5)
    assert report.rejected == 30
    assert len(report.problems) == 5
    assert report.to_dict()["problems_shown"] == 5


def test_reimporting_updates_instead_of_duplicating(fresh_db, tmp_path):
    run(fresh_db, write(tmp_path, [HEADER, *GOOD]))
    changed = GOOD[0].replace("Siti Aminah", "Siti Aminah Lestari")
    report = run(fresh_db, write(tmp_path, [HEADER, changed, GOOD[1]], name="again.csv"))
    assert (report.imported, report.updated) == (0, 2)
    assert count_entries(fresh_db) == 3
    assert find_by_nik(fresh_db, "3171015203100001")[0].name == "Siti Aminah Lestari"


def test_rows_are_committed_in_batches_and_counted_across_them(fresh_db, tmp_path):
    lines = [HEADER, *[f"31710112038000{i:02d},Orang Ke {i},,,,," for i in range(1, 26)]]
    report = run(fresh_db, write(tmp_path, lines), batch_size=4)
    assert report.imported == 25
    assert count_entries(fresh_db, "pkh") == 25


def test_a_utf8_bom_from_excel_is_ignored(fresh_db, tmp_path):
    report = run(fresh_db, write(tmp_path, [HEADER, *GOOD], bom=True))
    assert report.imported == 3
    assert report.columns[0] == "nik"


def test_english_headers_in_any_case_and_semicolons_are_accepted(fresh_db, tmp_path):
    lines = [
        "NIK;Name;Family Card;Birth Date;School",
        "3171015203100001;Siti Aminah;3171012003150003;;SDN 01",
    ]
    report = run(fresh_db, write(tmp_path, lines))
    assert report.imported == 1
    [siti] = find_by_nik(fresh_db, "3171015203100001")
    assert siti.kk == "3171012003150003"
    assert siti.extra == {"school": "SDN 01"}


def test_a_quoted_name_with_a_comma_and_a_line_break_keeps_line_numbers_right(fresh_db, tmp_path):
    lines = [
        HEADER,
        '3171015203100001,"Aminah, Siti\nbinti Ahmad",,,,,',
        "317101520310001,Bad,,,,,",
    ]
    report = run(fresh_db, write(tmp_path, lines))
    assert report.imported == 1
    assert [(p.line, p.code) for p in report.problems] == [(4, "nik.wrong_length")]


def test_blank_lines_and_empty_rows_are_skipped_silently(fresh_db, tmp_path):
    report = run(fresh_db, write(tmp_path, [HEADER, GOOD[0], "", ",,,,,,", GOOD[1]]))
    assert (report.rows_read, report.imported, report.rejected) == (2, 2, 0)


def test_a_missing_required_column_names_the_columns_recognised(fresh_db, tmp_path):
    with pytest.raises(InputError) as caught:
        run(fresh_db, write(tmp_path, ["nik,alamat", "3171015203100001,Jl. Mawar"]))
    error = caught.value
    assert error.code == "roster.missing_columns"
    # Only recognised names: in a file without a header, the other cells are a person's data.
    assert error.params == {"missing": "name", "found": "nik"}
    assert error.where == "roster.csv:1"


def test_two_columns_for_the_same_field_are_refused(fresh_db, tmp_path):
    with pytest.raises(InputError) as caught:
        run(fresh_db, write(tmp_path, ["nik,nama,name", "3171015203100001,Siti,Siti"]))
    assert caught.value.code == "roster.duplicate_column"


def test_an_empty_file_is_refused_by_name(fresh_db, tmp_path):
    path = tmp_path / "kosong.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"\n")
    with pytest.raises(InputError) as caught:
        run(fresh_db, path)
    assert caught.value.code == "roster.empty_file"
    assert caught.value.params["file"] == "kosong.csv"


def test_a_header_only_file_imports_nothing_without_error(fresh_db, tmp_path):
    report = run(fresh_db, write(tmp_path, [HEADER]))
    assert (report.rows_read, report.imported) == (0, 0)


def test_a_latin1_file_names_the_file_and_line_when_its_header_is_not_utf8(fresh_db, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("nik,nama_penerimá\n3171015203100001,José\n".encode("latin-1"))
    with pytest.raises(InputError) as caught:
        run(fresh_db, path)
    assert caught.value.code == "roster.not_utf8"
    assert caught.value.where == "latin1.csv:1"


def test_non_utf8_rows_are_rejected_by_line_and_the_rest_kept(fresh_db, tmp_path):
    path = tmp_path / "mixed.csv"
    rows = [HEADER, GOOD[0], "3171011203800002,Jos\xe9 Rahman,,,,,", GOOD[2]]
    path.write_bytes("\n".join(rows).encode("latin-1"))
    report = run(fresh_db, path)
    assert report.imported == 2
    assert [(p.line, p.code) for p in report.problems] == [(3, "roster.row_not_utf8")]


@pytest.mark.parametrize(
    "content, code",
    [
        (b"PK\x03\x04rest-of-a-workbook", "roster.workbook"),
        (codecs.BOM_UTF16_LE + "nik,nama\n".encode("utf-16-le"), "roster.utf16"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "roster.not_text"),
    ],
)
def test_files_that_are_not_csv_text_are_refused_with_a_specific_reason(
    fresh_db, tmp_path, content, code
):
    path = tmp_path / "wrong.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        run(fresh_db, path)
    assert caught.value.code == code


def test_a_missing_file_is_a_clear_error(fresh_db, tmp_path):
    with pytest.raises(InputError) as caught:
        run(fresh_db, tmp_path / "nowhere.csv")
    assert caught.value.code == "roster.cannot_open"


def test_an_unknown_program_is_refused(fresh_db, tmp_path):
    with pytest.raises(InputError) as caught:
        run(fresh_db, write(tmp_path, [HEADER]), program="bpnt")
    assert caught.value.code == "roster.unknown_program"


def test_lookups_accept_typed_numbers_with_separators(fresh_db, tmp_path):
    run(fresh_db, write(tmp_path, [HEADER, *GOOD]))
    assert find_by_nik(fresh_db, "3171 0152 0310 0001")[0].name == "Siti Aminah"
    assert len(find_by_kk(fresh_db, "3171-01-200315-0003")) == 2


def test_a_malformed_nik_lookup_says_why(fresh_db):
    with pytest.raises(InputError) as caught:
        find_by_nik(fresh_db, "31710152031")
    assert caught.value.code == "nik.wrong_length"


def test_name_search_after_import_finds_moh_abd_rahman(fresh_db, tmp_path):
    run(fresh_db, write(tmp_path, [HEADER, *GOOD]))
    matches = search_by_name(fresh_db, "Muhammad Abdul Rahman", "pkh")
    assert matches[0].entry.nik == "3171011203800002"
    assert matches[0].verdict == "match"


def test_an_import_refreshes_the_name_search(fresh_db, tmp_path):
    run(fresh_db, write(tmp_path, [HEADER, GOOD[0]]))
    assert not any(
        m.entry.name == "Yohana Kogoya" for m in search_by_name(fresh_db, "Yohana Kogoya")
    )
    run(fresh_db, write(tmp_path, [HEADER, GOOD[2]], name="more.csv"))
    assert search_by_name(fresh_db, "Yohana Kogoya")[0].entry.name == "Yohana Kogoya"
