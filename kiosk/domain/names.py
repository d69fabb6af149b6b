"""Indonesian names: one person is written many ways (titles, Moh./Muhammad, Soekarno/Sukarno).

`name_key` folds those variants into one key for indexing and search; `compare_names` says whether
two written names are probably the same person, and why. A name never decides alone: the NIK does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final

from rapidfuzz import fuzz

from kiosk.domain.findings import Finding, warning

# --- vocabulary -------------------------------------------------------------------------------

# Salutations, religious and academic titles written before a name (after normalisation, so
# "H." is "H" and "Hj." is "HJ"). Customary names (Raden, Teuku, Andi, I Gusti, Wayan, ...) are
# part of the legal name under Permendagri 73/2022 and are deliberately NOT in this list.
PREFIX_TITLES: Final = frozenset(
    {
        "H", "HJ", "HJH", "HAJI", "HAJJAH", "KH",
        "DRS", "DRA", "DRG", "DRH", "IR", "DR", "PROF",
        "BAPAK", "BPK", "BP", "TUAN", "TN", "IBU", "BU", "NYONYA", "NY", "NONA", "NN",
        "SDR", "SDRI", "SAUDARA", "SAUDARI", "PDT", "UST", "USTAD", "USTADZ", "USTAZ",
        "USTADZAH", "USTAZAH", "ALM", "ALMH", "ALMARHUM", "ALMARHUMAH",
    }
)  # fmt: skip

# Academic titles written after a name, spelt without spaces: "S.Pd.I" normalises to "S PD I",
# so the last one to three tokens are joined and looked up here.
SUFFIX_TITLES: Final = frozenset(
    {
        "SPD", "SPDI", "SAG", "SE", "SH", "SHI", "SKOM", "SIKOM", "SSOS", "ST", "SKM", "SSI",
        "SKEP", "SIP", "SFARM", "SPSI", "SHUT", "STP", "SS", "SKED", "SAP", "SPT",
        "AMD", "AMA", "AMK", "AMKEB", "AMKEP", "AMDKEB", "AMDKEP",
        "MM", "MPD", "MSI", "MKES", "MH", "MT", "MAG", "MHUM", "MKOM", "MAP",
    }
)  # fmt: skip
_LONGEST_SUFFIX_TOKENS: Final = 3
_SUFFIX_PART_MAX: Final = 4  # "S", "PD", "KEB": title parts are short; a longer token is a name

# Frequent tokens written several ways. Abbreviations are reported as such; spelling variants
# of the same Arabic-origin name are reported as common variants.
_ABBREVIATIONS: Final = {
    "MOH": "MUHAMMAD", "MUH": "MUHAMMAD", "MHD": "MUHAMMAD", "MOHD": "MUHAMMAD",
    "MOCH": "MUHAMMAD", "MUCH": "MUHAMMAD", "MOKH": "MUHAMMAD", "MUKH": "MUHAMMAD",
    "ABD": "ABDUL",
}  # fmt: skip
_VARIANTS: Final = {
    "MUHAMMAD": "MUHAMMAD", "MUHAMAD": "MUHAMMAD", "MUHAMMAT": "MUHAMMAD",
    "MUHAMMED": "MUHAMMAD", "MOHAMMAD": "MUHAMMAD", "MOHAMAD": "MUHAMMAD",
    "MOHAMMED": "MUHAMMAD", "MOHAMED": "MUHAMMAD", "MOCHAMMAD": "MUHAMMAD",
    "MOCHAMAD": "MUHAMMAD", "MUCHAMMAD": "MUHAMMAD", "MUCHAMAD": "MUHAMMAD",
    "MOKHAMMAD": "MUHAMMAD", "MOKHAMAD": "MUHAMMAD", "MUKHAMMAD": "MUHAMMAD",
    "MUKHAMAD": "MUHAMMAD",
    "ABDUL": "ABDUL", "ABDOEL": "ABDUL",
    "AHMAD": "AHMAD", "ACHMAD": "AHMAD", "AKHMAD": "AHMAD", "AHMED": "AHMAD",
    "NUR": "NUR", "NOER": "NUR", "NOOR": "NUR",
}  # fmt: skip
_FIRST_TOKEN_ABBREVIATIONS: Final = {"M": "MUHAMMAD"}  # elsewhere "M" is just an initial

# Spelling reforms of 1947 and 1972: older people's names keep the old letters.
_OLD_SPELLING: Final = {"OE": "U", "DJ": "J", "TJ": "C", "NJ": "NY", "SJ": "SY", "CH": "KH"}
_OLD_SPELLING_PATTERN: Final = re.compile("|".join(_OLD_SPELLING))
_NOT_ALNUM: Final = re.compile(r"[^A-Z0-9]+")

# --- thresholds (scores are 0-100) --------------------------------------------------------------

# Per word: rapidfuzz `ratio` (normalised Indel similarity), not Jaro-Winkler, because JW rewards a
# shared start and Indonesian names often share a start while being different names
# (BUDI/BUDIMAN JW 91, ratio 73; SRI/SRIYANI).
SAME_WORD_MIN_RATIO: Final = 75.0  # below this two words are different words (DEWI/DEWA is 75)
# At or above TYPO_MIN_RATIO a word differs by one slip in a long word (SITI/SITTI 89,
# NURHAYATI/NURHAYATY 89); between the two it may be another name (RAHMAN/RAHMAT 83).
TYPO_MIN_RATIO: Final = 88.0
INITIAL_SCORE: Final = 85.0  # "A." fits AHMAD, ALI and ABDUL alike: good evidence, not proof
J_Y_SCORE: Final = 95.0  # pre-1947 "J" is today's "Y" (SOEJONO/SUYONO), but JOKO/YOKO also differ
# Penalties for words that only one name has: a dropped middle name is routine on school and
# bank records; a missing first or last word is what distinguishes siblings (SITI AMINAH vs
# SITI AMINAH LESTARI), so it costs enough to need a look.
MIDDLE_WORD_PENALTY: Final = 3.0
EDGE_WORD_PENALTY: Final = 15.0
EDGE_WORD_PENALTY_CAP: Final = 25.0  # a name contained in a longer one stays "review"
WORD_ORDER_PENALTY: Final = 2.0
# Whole-name similarity (token_sort_ratio) rescues names whose words were split or joined
# differently (ABDURRAHMAN / ABDUL RAHMAN); it can only ever lead to "review".
WHOLE_NAME_MIN_RATIO: Final = 85.0
WHOLE_NAME_MAX_SCORE: Final = 89.0
SPACING_SCORE: Final = 98.0  # ABDUL RAHMAN / ABDULRAHMAN: same letters, different spaces
# Verdicts: match at 90 (all words agree, allowing one initial, one dropped middle name or a
# swapped order); review from 75 (one doubtful word); below that the names differ.
MATCH_THRESHOLD: Final = 90.0
REVIEW_THRESHOLD: Final = 75.0

# For fuzzy search over name_keys with rapidfuzz.process.extract: a built-in C++ scorer, so
# 20,000 keys take milliseconds. token_set_ratio ignores word order and scores a key that
# contains every word of the query as 100, so dropped middle names and extra words still rank first.
name_scorer: Final[Callable[..., float]] = fuzz.token_set_ratio
NAME_SEARCH_CUTOFF: Final = 70.0  # below this a roster name is not worth showing to the officer


class NameVerdict(StrEnum):
    MATCH = "match"  # the same name, written differently at most
    REVIEW = "review"  # probably the same; an officer should look
    NO_MATCH = "no_match"  # the names differ; says nothing about the person (the NIK decides)


@dataclass(frozen=True)
class NameMatch:
    verdict: NameVerdict
    score: float
    reasons: tuple[Finding, ...]


# --- normalising and keys ---------------------------------------------------------------------


def normalise_name(raw: str) -> str:
    """ASCII capitals and single spaces: "Hj. Siti Aisyah, S.Pd." -> "HJ SITI AISYAH S PD"."""
    if not raw.isascii():
        decomposed = unicodedata.normalize("NFKD", raw)
        raw = decomposed.encode("ascii", "ignore").decode("ascii")
    return " ".join(_NOT_ALNUM.sub(" ", raw.upper()).split())


def _fold_old_spelling(token: str) -> str:
    return _OLD_SPELLING_PATTERN.sub(lambda found: _OLD_SPELLING[found.group()], token)


class _Change(StrEnum):
    NONE = ""
    ABBREVIATION = "abbreviation"
    VARIANT = "variant"
    OLD_SPELLING = "old_spelling"


@lru_cache(maxsize=1 << 17)
def _canonical_token(token: str) -> tuple[str, _Change]:
    """The key form of one word and what changed; cached because names repeat their words a lot."""
    if token in _ABBREVIATIONS:
        return _ABBREVIATIONS[token], _Change.ABBREVIATION
    if token in _VARIANTS:
        canonical = _VARIANTS[token]
        return canonical, _Change.NONE if canonical == token else _Change.VARIANT
    folded = _fold_old_spelling(token)
    if folded == token:
        return token, _Change.NONE
    if folded in _ABBREVIATIONS:
        return _ABBREVIATIONS[folded], _Change.ABBREVIATION
    return _VARIANTS.get(folded, folded), _Change.OLD_SPELLING


def _title_form(token: str) -> str:
    # Titles are looked up after folding too: "Nj." is the old spelling of "Ny." (Nyonya), and
    # without this a key could start with a title and name_key would not be idempotent.
    return _canonical_token(token)[0]


def _split_titles(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Remove titles from the start and end, keeping at least one word; returns (words, titles)."""
    titles: list[str] = []
    start = 0
    while len(tokens) - start > 1 and (
        tokens[start] in PREFIX_TITLES or _title_form(tokens[start]) in PREFIX_TITLES
    ):
        titles.append(tokens[start])
        start += 1
    end = len(tokens)
    while end - start > 1:
        for size in range(min(_LONGEST_SUFFIX_TOKENS, end - start - 1), 0, -1):
            parts = tokens[end - size : end]
            joined = "".join(_title_form(part) for part in parts)
            if joined in SUFFIX_TITLES and all(len(part) <= _SUFFIX_PART_MAX for part in parts):
                titles.append(joined)
                end -= size
                break
        else:
            break
    return tokens[start:end], titles


def name_key(raw: str) -> str:
    """The key for indexing and search: "H. Moh. Abd. Rachman" -> "MUHAMMAD ABDUL RAKHMAN"."""
    words, _ = _split_titles(normalise_name(raw).split())
    if len(words) > 1 and words[0] in _FIRST_TOKEN_ABBREVIATIONS:
        words[0] = _FIRST_TOKEN_ABBREVIATIONS[words[0]]
    return " ".join([_canonical_token(word)[0] for word in words])


@dataclass(frozen=True)
class _Word:
    key: str
    original: str
    change: _Change


@dataclass(frozen=True)
class _ParsedName:
    words: tuple[_Word, ...]
    titles: tuple[str, ...]

    @property
    def key(self) -> str:
        return " ".join(word.key for word in self.words)


def _parse(raw: str) -> _ParsedName:
    """Like name_key, but remembers each word's original and what changed, to explain a match."""
    words, titles = _split_titles(normalise_name(raw).split())
    parsed: list[_Word] = []
    for position, original in enumerate(words):
        if position == 0 and len(words) > 1 and original in _FIRST_TOKEN_ABBREVIATIONS:
            key, change = _FIRST_TOKEN_ABBREVIATIONS[original], _Change.ABBREVIATION
        else:
            key, change = _canonical_token(original)
        parsed.append(_Word(key, original, change))
    return _ParsedName(tuple(parsed), tuple(titles))


# --- comparing ---------------------------------------------------------------------------------


class _Fit(StrEnum):
    SAME = "same"
    J_Y = "j_y"
    INITIAL = "initial"
    TYPO = "typo"


def _word_fit(left: str, right: str) -> tuple[float, _Fit] | None:
    """How well two word keys fit each other, or None when they are different words."""
    if left == right:
        return 100.0, _Fit.SAME
    if left.replace("J", "Y") == right.replace("J", "Y"):
        return J_Y_SCORE, _Fit.J_Y
    short, long_ = sorted((left, right), key=len)
    if len(short) == 1:
        return (INITIAL_SCORE, _Fit.INITIAL) if len(long_) > 1 and long_[0] == short else None
    ratio = fuzz.ratio(left, right, score_cutoff=SAME_WORD_MIN_RATIO)
    return (ratio, _Fit.TYPO) if ratio else None


@dataclass(frozen=True)
class _Pair:
    left: int
    right: int
    score: float
    fit: _Fit


def _align(left: Sequence[_Word], right: Sequence[_Word]) -> list[_Pair]:
    """Pair words one to one, best fits first; names have few words, so greedy is enough."""
    candidates: list[_Pair] = []
    for i, word_l in enumerate(left):
        for j, word_r in enumerate(right):
            fit = _word_fit(word_l.key, word_r.key)
            if fit is not None:
                candidates.append(_Pair(i, j, fit[0], fit[1]))
    # Prefer words in similar positions among equal scores, so "SITI SITI" pairs straight.
    candidates.sort(key=lambda pair: (-pair.score, abs(pair.left - pair.right), pair.left))
    used_l: set[int] = set()
    used_r: set[int] = set()
    pairs: list[_Pair] = []
    for pair in candidates:
        if pair.left not in used_l and pair.right not in used_r:
            pairs.append(pair)
            used_l.add(pair.left)
            used_r.add(pair.right)
    return sorted(pairs, key=lambda pair: pair.left)


def _unmatched(count: int, matched: set[int]) -> tuple[list[int], list[int]]:
    """Indexes of unpaired words, split into middle ones (paired words on both sides) and edges."""
    middle: list[int] = []
    edge: list[int] = []
    low, high = (min(matched), max(matched)) if matched else (count, -1)
    for index in range(count):
        if index not in matched:
            (middle if low < index < high else edge).append(index)
    return middle, edge


def _verdict(score: float, capped: bool) -> NameVerdict:
    if score >= MATCH_THRESHOLD and not capped:
        return NameVerdict.MATCH
    if score >= REVIEW_THRESHOLD:
        return NameVerdict.REVIEW
    return NameVerdict.NO_MATCH


def _title_reasons(left: _ParsedName, right: _ParsedName) -> list[Finding]:
    reasons: list[Finding] = []
    remaining = list(right.titles)
    only_left: list[str] = []
    for title in left.titles:
        if title in remaining:
            remaining.remove(title)
        else:
            only_left.append(title)
    for title in [*only_left, *remaining]:
        reasons.append(warning("name.title_removed", "name", title=title))
    return reasons


def _same_key_reason(word_l: _Word, word_r: _Word) -> Finding | None:
    """Why two different spellings gave the same key, or None when they were spelt alike."""
    if word_l.original == word_r.original:
        return None
    changes = {word_l.change, word_r.change}
    if _Change.ABBREVIATION in changes:
        short, full = (
            (word_l, word_r) if word_l.change is _Change.ABBREVIATION else (word_r, word_l)
        )
        return warning("name.abbreviation", "name", short=short.original, full=full.original)
    if _Change.OLD_SPELLING in changes:
        old, new = (word_l, word_r) if word_l.change is _Change.OLD_SPELLING else (word_r, word_l)
        return warning("name.old_spelling", "name", old=old.original, new=new.original)
    return warning("name.common_variant", "name", first=word_l.original, second=word_r.original)


def _pair_reason(word_l: _Word, word_r: _Word, pair: _Pair) -> Finding | None:
    if pair.fit is _Fit.SAME:
        return _same_key_reason(word_l, word_r)
    if pair.fit is _Fit.J_Y:
        old, new = (word_l, word_r) if "J" in word_l.key else (word_r, word_l)
        return warning("name.old_spelling", "name", old=old.original, new=new.original)
    if pair.fit is _Fit.INITIAL:
        initial, full = (word_l, word_r) if len(word_l.key) == 1 else (word_r, word_l)
        return warning("name.initial", "name", initial=initial.original, word=full.original)
    return warning(
        "name.spelling_differs",
        "name",
        first=word_l.original,
        second=word_r.original,
        similarity=round(pair.score),
    )


def _compare_parsed(left: _ParsedName, right: _ParsedName) -> tuple[float, bool, list[Finding]]:
    """Score, whether it may only be "review", and the reasons, for two parsed names."""
    reasons = _title_reasons(left, right)
    pairs = _align(left.words, right.words)
    capped = False
    for pair in pairs:
        word_l, word_r = left.words[pair.left], right.words[pair.right]
        reason = _pair_reason(word_l, word_r, pair)
        if reason is not None:
            reasons.append(reason)
        if pair.fit is _Fit.TYPO and pair.score < TYPO_MIN_RATIO:
            capped = True  # a doubtful word (RAHMAN/RAHMAT) always needs a look

    if not pairs:
        reasons.append(warning("name.no_common_word", "name"))
        return 0.0, True, reasons

    shorter = min(len(left.words), len(right.words))
    score = sum(pair.score for pair in pairs) / shorter
    middle_count = edge_count = 0
    for words, matched in (
        (left.words, {pair.left for pair in pairs}),
        (right.words, {pair.right for pair in pairs}),
    ):
        middle, edge = _unmatched(len(words), matched)
        middle_count += len(middle)
        edge_count += len(edge)
        for index in middle:
            reasons.append(warning("name.middle_name_missing", "name", word=words[index].original))
        for index in edge:
            reasons.append(warning("name.word_missing", "name", word=words[index].original))
    score -= MIDDLE_WORD_PENALTY * middle_count
    score -= min(EDGE_WORD_PENALTY_CAP, EDGE_WORD_PENALTY * edge_count)

    rights = [pair.right for pair in pairs]  # pairs are in left order
    if rights != sorted(rights):
        reasons.append(warning("name.word_order", "name"))
        score -= WORD_ORDER_PENALTY
    return max(0.0, score), capped, reasons


def compare_names(a: str, b: str) -> NameMatch:
    """Are `a` and `b` written forms of the same name? Symmetric; never a reason to refuse."""
    left, right = _parse(a), _parse(b)
    key_l, key_r = left.key, right.key
    if not key_l or not key_r:
        return NameMatch(NameVerdict.NO_MATCH, 0.0, (warning("name.empty", "name"),))

    if key_l != key_r and key_l.replace(" ", "") == key_r.replace(" ", ""):
        reasons = [*_title_reasons(left, right), warning("name.spacing_differs", "name")]
        return NameMatch(NameVerdict.MATCH, SPACING_SCORE, tuple(reasons))

    # Compare in one fixed order so that (a, b) and (b, a) pair the same words; report in the
    # caller's order.
    swapped = (key_l, a) > (key_r, b)
    first, second = (right, left) if swapped else (left, right)
    score, capped, reasons = _compare_parsed(first, second)
    if swapped:
        reasons = [_swap_sides(reason) for reason in reasons]

    if _verdict(score, capped) is NameVerdict.NO_MATCH:
        # Written without spaces the names may still be one: "ABDUL RAHMAN" and "ABDURRAHMAN"
        # (the Arabic article assimilates), "NURHALIZA" and "NUR HALIMAH".
        whole = max(
            fuzz.token_sort_ratio(key_l, key_r),
            fuzz.ratio(key_l.replace(" ", ""), key_r.replace(" ", "")),
        )
        if whole >= WHOLE_NAME_MIN_RATIO:
            score = max(score, min(whole, WHOLE_NAME_MAX_SCORE))
            capped = True
            reasons.append(warning("name.similar_overall", "name", similarity=round(whole)))
    score = round(min(100.0, score), 1)
    return NameMatch(_verdict(score, capped), score, tuple(reasons))


def _swap_sides(reason: Finding) -> Finding:
    """Put a two-sided reason back in the caller's order after comparing in swapped order."""
    params = dict(reason.params)
    if "first" in params and "second" in params:
        params["first"], params["second"] = params["second"], params["first"]
        return Finding(reason.code, reason.severity, reason.field, params)
    return reason
