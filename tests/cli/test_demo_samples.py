"""The demo's sample people are consistent: each NIK says the birth date and sex the data says."""

from __future__ import annotations

import csv
import json
from datetime import date

from kiosk.assets import assets_dir
from kiosk.cli.demo import MISTYPED_STUDENT_NIK, SAMPLE_MOTHER_NIK, SAMPLE_STUDENT_NIK
from kiosk.domain.identity import Role, parse_nik

SAMPLES = assets_dir() / "samples"
# Who is who in the sample roster, as their names say (the bad row has no valid NIK anyway).
WOMEN = {"Siti Rahmawati", "Dewi Lestari", "Nur Aisyah", "Putri Cahyani"}
MEN = {"Muhammad Abdul Rahman", "Joko Susilo", "Achmad Fauzi"}


def _roster() -> list[dict[str, str]]:
    with (SAMPLES / "roster-kjp-plus.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_valid_sample_roster_nik_gives_the_row_s_birth_date_and_sex():
    checked = 0
    for row in _roster():
        nik = parse_nik(row["nik"])
        if not nik.valid:
            continue
        # A two-digit year may be read as either century without a role; the row's date must be one.
        readings = {nik.birth_date, *nik.birth_date_candidates}
        assert date.fromisoformat(row["tanggal_lahir"]) in readings, row["nama"]
        assert nik.gender == ("P" if row["nama"] in WOMEN else "L"), row["nama"]
        assert row["nama"] in WOMEN | MEN
        checked += 1
    assert checked == len(WOMEN | MEN)


def test_the_sample_roster_holds_exactly_one_bad_row_for_the_demo_to_show():
    bad = [row["nama"] for row in _roster() if not parse_nik(row["nik"]).valid]
    assert bad == ["Baris Rusak"]


def test_the_sample_submission_is_for_siti_a_girl_born_on_14_may_2009():
    request = json.loads((SAMPLES / "submission-kjp-plus.json").read_text(encoding="utf-8"))
    applicant = request["applicant"]
    assert (applicant["nik"], applicant["name"]) == (SAMPLE_STUDENT_NIK, "Siti Rahmawati")
    student = parse_nik(SAMPLE_STUDENT_NIK, role=Role.STUDENT, today=date(2026, 7, 1))
    assert student.valid and student.gender == "P"
    assert student.birth_date == date(2009, 5, 14)
    assert request["collector"]["nik"] == SAMPLE_MOTHER_NIK
    assert parse_nik(SAMPLE_MOTHER_NIK).gender == "P"  # her mother, Hj. Aminah


def test_the_demo_s_mistyped_nik_is_one_digit_from_the_student_s_and_invalid():
    differing = [a != b for a, b in zip(SAMPLE_STUDENT_NIK, MISTYPED_STUDENT_NIK, strict=True)]
    assert sum(differing) == 1
    assert not parse_nik(MISTYPED_STUDENT_NIK).valid
