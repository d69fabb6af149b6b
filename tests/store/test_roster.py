"""The roster repository on real SQLite: upserts, lookups, the name index and its invalidation."""

from __future__ import annotations

import pytest

from kiosk.domain.names import name_key
from kiosk.store.roster import (
    RosterEntry,
    count_entries,
    find_by_kk,
    find_by_nik,
    name_index,
    roster_version,
    search_by_name,
    upsert_entries,
)

KK = "3171012003150003"


def entry(nik: str, name: str, program: str = "pkh", kk: str | None = KK, **more) -> RosterEntry:
    return RosterEntry(
        program=program,
        nik=nik,
        name=name,
        name_key=name_key(name),
        kk=kk,
        imported_at="2025-06-01",
        **more,
    )


def test_upsert_inserts_new_people_and_counts_them(fresh_db):
    inserted, updated, _repeated = upsert_entries(
        fresh_db,
        [entry("3171015203100001", "Siti Aminah"), entry("3171011203800002", "Budi Santoso")],
    )
    assert (inserted, updated) == (2, 0)
    assert count_entries(fresh_db) == 2


def test_upserting_a_known_nik_updates_it_instead_of_duplicating(fresh_db):
    upsert_entries(fresh_db, [entry("3171015203100001", "Siti Aminah")])
    inserted, updated, _repeated = upsert_entries(
        fresh_db, [entry("3171015203100001", "Siti Aminah Lestari")]
    )
    assert (inserted, updated) == (0, 1)
    [found] = find_by_nik(fresh_db, "3171015203100001")
    assert found.name == "Siti Aminah Lestari"
    assert count_entries(fresh_db) == 1


def test_a_nik_repeated_in_one_batch_counts_as_one_insert_and_one_update(fresh_db):
    inserted, updated, _repeated = upsert_entries(
        fresh_db, [entry("3171015203100001", "Siti"), entry("3171015203100001", "Siti Aminah")]
    )
    assert (inserted, updated) == (1, 1)
    assert find_by_nik(fresh_db, "3171015203100001")[0].name == "Siti Aminah"


def test_the_same_nik_may_be_registered_in_two_programs(fresh_db):
    upsert_entries(
        fresh_db,
        [
            entry("3171015203100001", "Siti Aminah"),
            entry("3171015203100001", "Siti Aminah", "kjp-plus"),
        ],
    )
    assert [e.program for e in find_by_nik(fresh_db, "3171015203100001")] == ["kjp-plus", "pkh"]
    assert [e.program for e in find_by_nik(fresh_db, "3171015203100001", "pkh")] == ["pkh"]


def test_a_failing_batch_writes_nothing(fresh_db):
    broken = RosterEntry(program="pkh", nik="3171011203800002", name=None, name_key="X")  # type: ignore[arg-type]
    with pytest.raises(Exception, match="NOT NULL"):
        upsert_entries(fresh_db, [entry("3171015203100001", "Siti Aminah"), broken])
    assert count_entries(fresh_db) == 0
    assert roster_version(fresh_db) == 0


def test_find_by_kk_lists_the_whole_family(fresh_db):
    upsert_entries(
        fresh_db,
        [
            entry("3171015203100001", "Siti Aminah"),
            entry("3171011203800002", "Budi Santoso"),
            entry("3171011203800003", "Joko", kk="3171012003150009"),
        ],
    )
    assert sorted(e.name for e in find_by_kk(fresh_db, KK)) == ["Budi Santoso", "Siti Aminah"]
    assert find_by_kk(fresh_db, KK, "kjp-plus") == []


def test_extra_columns_and_leading_zeros_survive_the_round_trip(fresh_db):
    upsert_entries(
        fresh_db,
        [
            entry(
                "3171015203100001",
                "Siti",
                bank="BRI",
                account="001201000123501",
                extra={"sekolah": "SDN 01"},
            )
        ],
    )
    [found] = find_by_nik(fresh_db, "3171015203100001")
    assert found.account == "001201000123501"
    assert found.extra == {"sekolah": "SDN 01"}


def test_an_entry_repr_hides_nik_name_and_account(fresh_db):
    shown = repr(entry("3171015203100001", "Siti Aminah", account="001201000123501"))
    assert "3171015203100001" not in shown
    assert "Siti" not in shown
    assert "001201000123501" not in shown


def test_to_dict_offers_a_masked_nik_for_public_screens():
    assert entry("3171015203100001", "Siti").to_dict()["nik_masked"] == "3171********0001"


def test_every_write_moves_the_roster_version(fresh_db):
    assert roster_version(fresh_db) == 0
    upsert_entries(fresh_db, [entry("3171015203100001", "Siti")])
    upsert_entries(fresh_db, [entry("3171011203800002", "Budi")])
    assert roster_version(fresh_db) == 2


def test_name_search_finds_moh_abd_rahman_for_muhammad_abdul_rahman(fresh_db):
    upsert_entries(
        fresh_db,
        [
            entry("3171011203800002", "Moh. Abd. Rahman"),
            entry("3171015203100001", "Siti Aminah"),
            entry("3171011203800003", "Abdul Rahmat Hidayat"),
        ],
    )
    matches = search_by_name(fresh_db, "Muhammad Abdul Rahman")
    assert matches[0].entry.name == "Moh. Abd. Rahman"
    assert matches[0].verdict == "match"
    assert {r.code for r in matches[0].reasons} >= {"name.abbreviation"}
    assert "Siti Aminah" not in [m.entry.name for m in matches]


def test_name_search_ranks_matches_before_reviews(fresh_db):
    upsert_entries(
        fresh_db,
        [entry("3171011203800002", "Budi Santosa"), entry("3171011203800003", "Budi Santoso")],
    )
    matches = search_by_name(fresh_db, "Budi Santoso")
    assert matches[0].entry.name == "Budi Santoso"
    assert matches[0].score >= matches[-1].score


def test_name_search_respects_program_and_limit(fresh_db):
    upsert_entries(
        fresh_db,
        [
            entry(f"31710112038000{i:02d}", "Siti Aminah", "pkh" if i % 2 else "kjp-plus")
            for i in range(1, 21)
        ],
    )
    assert len(search_by_name(fresh_db, "Siti Aminah", limit=3)) == 3
    assert {m.entry.program for m in search_by_name(fresh_db, "Siti Aminah", "pkh", limit=20)} == {
        "pkh"
    }


def test_an_empty_query_finds_nobody(fresh_db):
    upsert_entries(fresh_db, [entry("3171015203100001", "Siti")])
    assert search_by_name(fresh_db, "  . ") == []


def test_the_name_index_is_reused_until_the_roster_changes(fresh_db):
    upsert_entries(fresh_db, [entry("3171015203100001", "Siti Aminah")])
    first = name_index(fresh_db, "pkh")
    assert name_index(fresh_db, "pkh") is first
    upsert_entries(fresh_db, [entry("3171011203800002", "Budi Santoso")])
    rebuilt = name_index(fresh_db, "pkh")
    assert rebuilt is not first
    assert search_by_name(fresh_db, "Budi Santoso", "pkh")[0].entry.name == "Budi Santoso"


def test_the_index_notices_an_import_made_through_another_connection(tmp_path):
    from kiosk.store.database import open_database

    path = tmp_path / "kiosk.sqlite"
    reader, writer = open_database(path), open_database(path)
    try:
        upsert_entries(writer, [entry("3171015203100001", "Siti Aminah")])
        assert search_by_name(reader, "Siti Aminah")
        upsert_entries(writer, [entry("3171011203800002", "Budi Santoso")])
        assert search_by_name(reader, "Budi Santoso")[0].entry.name == "Budi Santoso"
    finally:
        reader.close()
        writer.close()
