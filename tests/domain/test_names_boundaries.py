"""Name comparison, whole results: verdict, score and every reason with its words, in both orders
where the reason names two sides (cases found by mutation testing)."""

from __future__ import annotations

import pytest

from kiosk.domain.findings import warning
from kiosk.domain.names import NameMatch, NameVerdict, compare_names, name_key

MATCH, REVIEW, NO_MATCH = NameVerdict.MATCH, NameVerdict.REVIEW, NameVerdict.NO_MATCH


def said(code: str, **params: str | int):
    return warning(f"name.{code}", "name", **params)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (
            "Hj. Siti Aminah, S.Pd.",
            "SITI AMINAH",
            NameMatch(
                MATCH,
                100.0,
                (said("title_removed", title="HJ"), said("title_removed", title="SPD")),
            ),
        ),
        (
            "H. Bambang",
            "Hj. Bambang",
            NameMatch(
                MATCH, 100.0, (said("title_removed", title="H"), said("title_removed", title="HJ"))
            ),
        ),
        (
            "Moh. Rizki",
            "Muhammad Rizki",
            NameMatch(MATCH, 100.0, (said("abbreviation", short="MOH", full="MUHAMMAD"),)),
        ),
        (
            "Muhammad Rizki",
            "Moh. Rizki",
            NameMatch(MATCH, 100.0, (said("abbreviation", short="MOH", full="MUHAMMAD"),)),
        ),
        (
            "Soekarno",
            "Sukarno",
            NameMatch(MATCH, 100.0, (said("old_spelling", old="SOEKARNO", new="SUKARNO"),)),
        ),
        (
            "Sukarno",
            "Soekarno",
            NameMatch(MATCH, 100.0, (said("old_spelling", old="SOEKARNO", new="SUKARNO"),)),
        ),
        (
            "Mohamad Yusuf",
            "Muhammad Yusuf",
            NameMatch(MATCH, 100.0, (said("common_variant", first="MOHAMAD", second="MUHAMMAD"),)),
        ),
        (
            "Muhammad Yusuf",
            "Mohamad Yusuf",
            NameMatch(MATCH, 100.0, (said("common_variant", first="MUHAMMAD", second="MOHAMAD"),)),
        ),
        (
            "Soejono",
            "Suyono",
            NameMatch(MATCH, 95.0, (said("old_spelling", old="SOEJONO", new="SUYONO"),)),
        ),
        (
            "Suyono",
            "Soejono",
            NameMatch(MATCH, 95.0, (said("old_spelling", old="SOEJONO", new="SUYONO"),)),
        ),
        (
            "A. Rahman",
            "Ahmad Rahman",
            NameMatch(MATCH, 92.5, (said("initial", initial="A", word="AHMAD"),)),
        ),
        (
            "Ahmad Rahman",
            "A Rahman",
            NameMatch(MATCH, 92.5, (said("initial", initial="A", word="AHMAD"),)),
        ),
        (
            "Siti Nurhayati",
            "Siti Nurhayaty",
            NameMatch(
                MATCH,
                94.4,
                (said("spelling_differs", first="NURHAYATI", second="NURHAYATY", similarity=89),),
            ),
        ),
        (
            "Budi Rahmat",
            "Budi Rahman",
            NameMatch(
                REVIEW,
                91.7,
                (said("spelling_differs", first="RAHMAT", second="RAHMAN", similarity=83),),
            ),
        ),
        ("Abdul Rahman", "Abdulrahman", NameMatch(MATCH, 98.0, (said("spacing_differs"),))),
        (
            "Siti Aminah Lestari",
            "Siti Lestari",
            NameMatch(MATCH, 97.0, (said("middle_name_missing", word="AMINAH"),)),
        ),
        (
            "Siti Aminah",
            "Siti Aminah Lestari",
            NameMatch(REVIEW, 85.0, (said("word_missing", word="LESTARI"),)),
        ),
        (
            "Siti Aminah Lestari Putri",
            "Siti",
            NameMatch(
                REVIEW,
                75.0,
                (
                    said("word_missing", word="AMINAH"),
                    said("word_missing", word="LESTARI"),
                    said("word_missing", word="PUTRI"),
                ),
            ),
        ),
        ("Aminah Siti", "Siti Aminah", NameMatch(MATCH, 98.0, (said("word_order"),))),
        ("Budi", "Joko", NameMatch(NO_MATCH, 0.0, (said("no_common_word"),))),
        (
            "Abdul Rahman",
            "Abdurrahman",
            NameMatch(
                REVIEW, 89.0, (said("no_common_word"), said("similar_overall", similarity=91))
            ),
        ),
        ("", "Siti", NameMatch(NO_MATCH, 0.0, (said("empty"),))),
        ("Siti", "Hj.", NameMatch(NO_MATCH, 0.0, (said("no_common_word"),))),
        # An M stands for Muhammad only as the first of several words.
        ("M", "Ali M", NameMatch(REVIEW, 85.0, (said("word_missing", word="ALI"),))),
        (
            "M",
            "Muhammad",
            NameMatch(REVIEW, 85.0, (said("initial", initial="M", word="MUHAMMAD"),)),
        ),
        (
            "Muhammad",
            "M Ali",
            NameMatch(
                REVIEW,
                85.0,
                (
                    said("abbreviation", short="M", full="MUHAMMAD"),
                    said("word_missing", word="ALI"),
                ),
            ),
        ),
        # An initial fits a word it begins, of two letters or more, and nothing else.
        ("A Siti", "Ab Siti", NameMatch(MATCH, 92.5, (said("initial", initial="A", word="AB"),))),
        ("Siti", "M", NameMatch(NO_MATCH, 0.0, (said("no_common_word"),))),
        # The comparison runs in a fixed order; these put the newer or fuller word first.
        (
            "Tjipto",
            "Cipto",
            NameMatch(MATCH, 100.0, (said("old_spelling", old="TJIPTO", new="CIPTO"),)),
        ),
        (
            "A Suyono",
            "B Sujono",
            NameMatch(
                NO_MATCH,
                22.5,
                (
                    said("old_spelling", old="SUJONO", new="SUYONO"),
                    said("word_missing", word="A"),
                    said("word_missing", word="B"),
                ),
            ),
        ),
        (
            "Aminah Siti",
            "Budi A",
            NameMatch(
                NO_MATCH,
                17.5,
                (
                    said("initial", initial="A", word="AMINAH"),
                    said("word_missing", word="SITI"),
                    said("word_missing", word="BUDI"),
                ),
            ),
        ),
        # Repeated words pair one to one, the nearest positions first.
        ("Siti", "Siti Siti", NameMatch(REVIEW, 85.0, (said("word_missing", word="SITI"),))),
        (
            "Aminah Siti",
            "Siti Siti Aminah",
            NameMatch(REVIEW, 83.0, (said("word_missing", word="SITI"), said("word_order"))),
        ),
        (
            "Siti Siti",
            "Sitti Aminah",
            NameMatch(
                NO_MATCH,
                19.4,
                (
                    said("spelling_differs", first="SITI", second="SITTI", similarity=89),
                    said("word_missing", word="SITI"),
                    said("word_missing", word="AMINAH"),
                ),
            ),
        ),
        ("Siti", "Aminah Siti", NameMatch(REVIEW, 85.0, (said("word_missing", word="AMINAH"),))),
        # The best fit is paired first: SITI with SITI, not with SITTI.
        ("Siti", "Sitti Siti", NameMatch(REVIEW, 85.0, (said("word_missing", word="SITTI"),))),
        # Reasons come back in the caller's order, whichever order the words were compared in.
        (
            "Siti Aminah",
            "Ab Siti",
            NameMatch(
                NO_MATCH,
                25.0,
                (said("word_missing", word="AB"), said("word_missing", word="AMINAH")),
            ),
        ),
        (
            "Siti Aminah Lestari",
            "Siti Siti Aminah",
            NameMatch(
                REVIEW,
                85.7,
                (
                    said("word_missing", word="LESTARI"),
                    said("middle_name_missing", word="SITI"),
                    said("similar_overall", similarity=86),
                ),
            ),
        ),
        (
            "Abdurrahman",
            "Abdul Rahman",
            NameMatch(
                REVIEW, 89.0, (said("no_common_word"), said("similar_overall", similarity=91))
            ),
        ),
        # Exactly at the thresholds: 90 is a match; a word at exactly 88 is a typo, not doubtful.
        (
            "A. Soejono",
            "Ahmad Suyono",
            NameMatch(
                MATCH,
                90.0,
                (
                    said("initial", initial="A", word="AHMAD"),
                    said("old_spelling", old="SOEJONO", new="SUYONO"),
                ),
            ),
        ),
        (
            "Kartasasmita Dewi",
            "Kartasasmytha Dewi",
            NameMatch(
                MATCH,
                94.0,
                (
                    said(
                        "spelling_differs",
                        first="KARTASASMITA",
                        second="KARTASASMYTHA",
                        similarity=88,
                    ),
                ),
            ),
        ),
    ],
)
def test_two_written_names_compare_to_exactly_this_verdict_score_and_reasons(a, b, expected):
    assert compare_names(a, b) == expected


def test_a_lone_m_stays_an_initial_but_a_leading_m_before_a_name_is_muhammad():
    assert name_key("M") == "M"
    assert name_key("M. Rizki") == "MUHAMMAD RIZKI"


def test_a_score_never_falls_below_zero_however_many_words_are_missing():
    padded = "Siti " + "Budi " * 34 + "Siti"
    result = compare_names(padded, "Siti Siti")
    assert (result.verdict, result.score) == (NO_MATCH, 0.0)
    assert result.reasons == (said("middle_name_missing", word="BUDI"),) * 34


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Siti SE", "SITI"),
        ("Siti S.Pd.", "SITI"),
        ("Siti Spdi", "SITI"),
        # Titles are removed only while a word is left: a title alone stays as the name.
        ("S.Pd.", "S PD"),
        ("H. S.Pd.", "S PD"),
    ],
)
def test_titles_after_a_name_are_left_out_of_its_key_but_never_the_last_word(written, key):
    assert name_key(written) == key
