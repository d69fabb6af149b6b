"""Names: the same person written differently matches; different names say so, with reasons."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import process

from kiosk.domain.names import (
    NAME_SEARCH_CUTOFF,
    NameMatch,
    NameVerdict,
    compare_names,
    name_key,
    name_scorer,
    normalise_name,
)
from kiosk.i18n import LANGUAGES, catalog


def codes(result: NameMatch) -> list[str]:
    return [reason.code for reason in result.reasons]


# --- normalising and keys ---------------------------------------------------------------------


def test_normalising_gives_ascii_capitals_and_single_spaces():
    assert normalise_name("  Hj. Siti  Ä'isyah,  S.Pd. ") == "HJ SITI A ISYAH S PD"


def test_normalising_folds_accents_to_ascii():
    assert normalise_name("Sumarsé Ñoman") == "SUMARSE NOMAN"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("H. Ahmad", "AHMAD"),
        ("Hj. Siti Aisyah, S.Pd.I", "SITI AISYAH"),
        ("Prof. Dr. Ir. H. Tjipto Soedjono, M.Si.", "CIPTO SUJONO"),
        ("Moh. Abd. Rahman", "MUHAMMAD ABDUL RAHMAN"),
        ("M. Yusuf", "MUHAMMAD YUSUF"),
        ("Mochammad Noer", "MUHAMMAD NUR"),
        ("Achmad Abdoel Kadir", "AHMAD ABDUL KADIR"),
        ("Njoman Sjarif", "NYOMAN SYARIF"),
        ("Bapak Budi Santoso, S.E.", "BUDI SANTOSO"),
    ],
)
def test_key_strips_titles_and_folds_variants(raw: str, key: str):
    assert name_key(raw) == key


def test_a_title_in_old_spelling_is_still_a_title():
    assert name_key("Nj. Soemarni") == "SUMARNI"


def test_titles_inside_a_name_are_kept():
    assert name_key("Ahmad H Rahman") == "AHMAD H RAHMAN"


def test_a_lone_m_is_muhammad_only_as_the_first_word():
    assert name_key("Ahmad M Yusuf") == "AHMAD M YUSUF"


def test_a_name_made_only_of_a_title_keeps_its_word():
    assert name_key("Ibu") == "IBU"


def test_customary_names_are_part_of_the_name():
    assert name_key("Raden Ayu Siti") == "RADEN AYU SITI"


def test_initials_before_a_name_are_not_mistaken_for_suffix_titles():
    assert name_key("Budi S") == "BUDI S"


# --- comparing: examples from DOMAIN.md ------------------------------------------------------


def test_a_title_on_one_side_still_matches():
    result = compare_names("H. Ahmad", "Ahmad")
    assert result.verdict is NameVerdict.MATCH
    assert result.score == 100
    assert codes(result) == ["name.title_removed"]
    assert result.reasons[0].params == {"title": "H"}


@pytest.mark.parametrize(
    ("old", "new"),
    [("Soekarno", "Sukarno"), ("Djoko Widodo", "Joko Widodo"), ("Tjahjono", "Cahyono")],
)
def test_old_spelling_matches_new_spelling(old: str, new: str):
    result = compare_names(old, new)
    assert result.verdict is NameVerdict.MATCH
    assert "name.old_spelling" in codes(result)


def test_abbreviations_match_the_full_words():
    result = compare_names("Moh. Abd. Rahman", "Muhammad Abdul Rahman")
    assert result.verdict is NameVerdict.MATCH
    assert [dict(reason.params) for reason in result.reasons] == [
        {"short": "MOH", "full": "MUHAMMAD"},
        {"short": "ABD", "full": "ABDUL"},
    ]


def test_swapped_word_order_matches_and_says_so():
    result = compare_names("Rahman Ahmad", "Ahmad Rahman")
    assert result.verdict is NameVerdict.MATCH
    assert codes(result) == ["name.word_order"]


def test_a_dropped_middle_name_matches_and_names_the_word():
    result = compare_names("Ahmad Fauzi Rahman", "Ahmad Rahman")
    assert result.verdict is NameVerdict.MATCH
    assert codes(result) == ["name.middle_name_missing"]
    assert result.reasons[0].params == {"word": "FAUZI"}


def test_a_dropped_last_name_needs_review():
    result = compare_names("Siti Aminah", "Siti Aminah Lestari")
    assert result.verdict is NameVerdict.REVIEW
    assert codes(result) == ["name.word_missing"]


def test_an_initial_matches_a_full_word():
    result = compare_names("A. Rahman", "Ahmad Rahman")
    assert result.verdict is NameVerdict.MATCH
    assert codes(result) == ["name.initial"]


def test_initials_only_need_review():
    assert compare_names("A. R.", "Ahmad Rahman").verdict is NameVerdict.REVIEW


def test_a_one_letter_slip_in_a_long_word_matches():
    result = compare_names("Siti Nurhayati", "Siti Nurhayaty")
    assert result.verdict is NameVerdict.MATCH
    assert codes(result) == ["name.spelling_differs"]


def test_a_doubtful_word_needs_review_however_similar_the_rest():
    result = compare_names("Ahmad Rahman", "Ahmad Rahmat")
    assert result.verdict is NameVerdict.REVIEW
    assert result.reasons[0].params == {"first": "RAHMAN", "second": "RAHMAT", "similarity": 83}


def test_reason_params_follow_the_callers_order():
    forward = compare_names("Ahmad Rahmat", "Ahmad Rahman")
    backward = compare_names("Ahmad Rahman", "Ahmad Rahmat")
    assert forward.reasons[0].params["first"] == "RAHMAT"
    assert backward.reasons[0].params["first"] == "RAHMAN"


def test_words_split_differently_match():
    result = compare_names("Ma'ruf Amin", "Maruf Amin")
    assert result.verdict is NameVerdict.MATCH
    assert codes(result) == ["name.spacing_differs"]


def test_words_joined_differently_need_review():
    result = compare_names("Abdurrahman Wahid", "Abdul Rahman Wahid")
    assert result.verdict is NameVerdict.REVIEW
    assert "name.similar_overall" in codes(result)


def test_completely_different_names_do_not_match():
    result = compare_names("Budi Santoso", "Siti Aminah")
    assert result.verdict is NameVerdict.NO_MATCH
    assert result.score == 0
    assert codes(result) == ["name.no_common_word"]


def test_sisters_sharing_two_words_do_not_match():
    result = compare_names("Siti Nur Aisyah", "Siti Nur Hasanah")
    assert result.verdict is NameVerdict.NO_MATCH


def test_a_single_word_contained_in_a_longer_name_needs_review():
    assert compare_names("Ahmad", "Ahmad Fauzi").verdict is NameVerdict.REVIEW


def test_an_empty_name_never_matches():
    assert compare_names("", "Ahmad").verdict is NameVerdict.NO_MATCH
    assert codes(compare_names("...", "...")) == ["name.empty"]


def test_every_reason_and_verdict_has_a_translation_in_every_language():
    pairs = [
        ("H. Ahmad", "Ahmad"),
        ("Soekarno", "Sukarno"),
        ("Moh. Rahman", "Muhammad Rahman"),
        ("Mochammad", "Muhamad"),
        ("A. Rahman", "Ahmad Rahman"),
        ("Ahmad Rahman", "Ahmad Rahmat"),
        ("Abdurrahman Wahid", "Abdul Rahman Wahid"),
        ("Rahman Ahmad Fauzi", "Ahmad Rahman"),
        ("Ahmad Fauzi Rahman", "Ahmad Rahman"),
        ("Maruf", "Ma'ruf"),
        ("Budi", "Siti"),
        ("", "Siti"),
    ]
    seen = {reason.code for a, b in pairs for reason in compare_names(a, b).reasons}
    seen |= {f"name.verdict.{verdict}" for verdict in NameVerdict}
    assert len(seen) >= 16
    for language in LANGUAGES:
        assert seen <= set(catalog(language)), seen - set(catalog(language))


# --- searching ----------------------------------------------------------------------------------


def test_the_search_scorer_finds_a_name_written_differently():
    roster = [name_key(name) for name in ("Siti Aminah", "Budi Santoso", "Muhammad Abdul Rahman")]
    found = process.extract(
        name_key("Moh. Abd. Rahman"), roster, scorer=name_scorer, score_cutoff=NAME_SEARCH_CUTOFF
    )
    assert [key for key, _, _ in found] == ["MUHAMMAD ABDUL RAHMAN"]


def test_the_search_scorer_ranks_a_name_with_a_dropped_middle_name_first():
    roster = [name_key(name) for name in ("Ahmad Rahmat", "Ahmad Fauzi Rahman", "Ahmad Fauzan")]
    best = process.extractOne(name_key("Ahmad Rahman"), roster, scorer=name_scorer)
    assert best is not None
    assert best[0] == "AHMAD FAUZI RAHMAN"


# --- properties -------------------------------------------------------------------------------

name_words = st.sampled_from(
    [
        "Siti", "Muhammad", "Moh.", "M.", "Ahmad", "Achmad", "Abd.", "Abdul", "Noer", "Nur",
        "H.", "Hj.", "S.Pd.", "Drs.", "Soekarno", "Djoko", "Tjahjono", "Rahman", "Rahmat",
        "Aminah", "Lestari", "Budi", "Yusuf", "A.", "Ma'ruf", "Dewi", "Dewa", "Wahid", "Nj.",
        "Ch.", "Sj", "Bu", "S", "E", "Pd", "Njoman",
    ]
)  # fmt: skip
indonesian_names = st.lists(name_words, min_size=1, max_size=5).map(" ".join)
any_names = st.one_of(
    indonesian_names,
    st.text(alphabet=string.ascii_letters + " .'-,", min_size=1, max_size=40),
    st.text(max_size=30),
)


@given(any_names, any_names)
def test_comparing_is_symmetric_in_verdict_and_score(a: str, b: str):
    forward, backward = compare_names(a, b), compare_names(b, a)
    assert forward.verdict is backward.verdict
    assert forward.score == backward.score


@given(any_names)
def test_a_name_always_matches_itself(name: str):
    result = compare_names(name, name)
    if name_key(name):
        assert result.verdict is NameVerdict.MATCH
        assert result.score == 100
    else:
        assert result.verdict is NameVerdict.NO_MATCH


@given(any_names)
def test_name_key_is_idempotent(name: str):
    assert name_key(name_key(name)) == name_key(name)


@given(any_names)
def test_normalising_is_idempotent_and_ascii(name: str):
    normal = normalise_name(name)
    assert normalise_name(normal) == normal
    assert normal.isascii()


@given(any_names, any_names)
def test_scores_stay_between_0_and_100(a: str, b: str):
    assert 0 <= compare_names(a, b).score <= 100


def test_a_name_written_together_with_an_assimilated_article_needs_review_not_no_match():
    # "Abdul Rahman" is often written "Abdurrahman": one word, the L assimilated to R.
    result = compare_names("Muhammad Abdul Rahman", "H. Muhamad Abdurrahman, S.Pd.")
    assert result.verdict is NameVerdict.REVIEW
    assert "name.similar_overall" in {reason.code for reason in result.reasons}
