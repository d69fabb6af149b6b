"""Classifying scanned payloads: one example per rule, plus properties over generated input.

Every NIK and No. KK here is made up: region codes are real, the rest is invented.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import ClassVar

from hypothesis import assume, given
from hypothesis import strategies as st

from kiosk.domain.accounts import is_luhn_valid, luhn_check_digit
from kiosk.domain.identity import RegionName, parse_kk, parse_nik
from kiosk.domain.payloads import (
    InvitationPattern,
    Payload,
    PayloadKind,
    classify_payload,
)
from kiosk.domain.receipts import make_receipt_code
from kiosk.domain.register_numbers import RegisterNumber

TODAY = date(2026, 3, 2)
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
DEVICE = "7KQ2ZB"

STUDENT_NIK = "3174011405090003"  # a boy born 14-05-2009: also a valid KK shape
MOTHER_NIK = "3174015708800002"  # day 57 = 17 + 40: a woman, so never a KK
FAMILY_KK = "3174012001150004"  # recorded 20-01-2015: also a valid NIK shape

PATTERNS = (
    InvitationPattern(
        program="kjp-plus",
        prefix="KJP-",
        pattern=re.compile(r"KJP-(?P<year>20[0-9]{2})-T(?P<stage>[0-9])-(?P<number>[0-9]{6})"),
        example="KJP-2026-T1-004512",
        stages=(1, 2),
    ),
    InvitationPattern(
        program="pkh",
        prefix="PKH-",
        pattern=re.compile(
            r"PKH-(?P<year>20[0-9]{2})-(?P<stage>[0-9])-(?P<region>[0-9]{4})-(?P<number>[0-9]{6})"
        ),
        example="PKH-2026-2-3174-000981",
        stages=(1, 2, 3, 4),
    ),
)


def classify(text: str | None, **options: object) -> Payload:
    raw = b"\x00\xff" if text is None else text.encode("utf-8", "surrogatepass")
    settings: dict[str, object] = {
        "invitation_patterns": PATTERNS,
        "receipt_key": KEY,
        "device_code": DEVICE,
        "today": TODAY,
    }
    settings.update(options)
    return classify_payload(text, raw, **settings)  # type: ignore[arg-type]


def codes(payload: Payload) -> list[str]:
    return [finding.code for finding in payload.findings]


def card_number(prefix15: str) -> str:
    return prefix15 + luhn_check_digit(prefix15)


class Regions:
    """Only Jakarta Selatan is known: enough to tell a known region from an unknown one."""

    regencies: ClassVar[dict[str, RegionName]] = {
        "3174": RegionName("Kota Jakarta Selatan", "3174", "DKI Jakarta")
    }

    def province(self, code: str) -> str | None:
        return "DKI Jakarta" if code == "31" else None

    def regency(self, code: str) -> RegionName | None:
        return self.regencies.get(code)

    def district(self, code: str) -> str | None:
        return "Tebet" if code == "317401" else None


# --- Dukcapil links and other links -------------------------------------------------------------


def test_a_kk_signature_link_is_kept_with_the_ikd_guidance():
    link = "https://sidukcapil.dukcapil.kemendagri.go.id/tte/verify?id=Qm9ndXM"
    payload = classify(link)
    assert payload.kind is PayloadKind.DUKCAPIL_LINK
    assert payload.valid
    assert payload.fields == {"url": link}
    assert codes(payload) == ["payload.dukcapil.verify_in_ikd", "payload.dukcapil.type_numbers"]
    assert payload.raw == link.encode()


def test_the_bare_dukcapil_host_counts_too():
    assert classify("https://dukcapil.kemendagri.go.id/x").kind is PayloadKind.DUKCAPIL_LINK


def test_a_plain_http_dukcapil_link_is_only_a_url():
    assert classify("http://dukcapil.kemendagri.go.id/x").kind is PayloadKind.URL


def test_look_alike_hosts_are_only_urls():
    for link in (
        "https://dukcapil.kemendagri.go.id@example.com/verify",
        "https://dukcapil.kemendagri.go.id.example.com/verify",
        "https://evil-dukcapil.kemendagri.go.id.example.com/",
        "https://notdukcapil.kemendagri.go.id/",
    ):
        payload = classify(link)
        assert payload.kind is PayloadKind.URL, link


def test_any_other_web_link_is_kept_and_never_opened():
    payload = classify("https://example.com/promo")
    assert payload.kind is PayloadKind.URL
    assert payload.fields == {"url": "https://example.com/promo"}
    assert codes(payload) == ["payload.url.not_opened"]
    assert payload.findings[0].params == {"host": "example.com"}


def test_a_link_that_is_not_a_web_link_is_not_valid():
    payload = classify("ftp://example.com/file")
    assert payload.kind is PayloadKind.URL
    assert not payload.valid
    assert payload.fields == {}
    assert codes(payload) == ["payload.url.unsupported"]


def test_a_damaged_link_is_not_valid():
    payload = classify("https://[::1/broken")
    assert payload.kind is PayloadKind.URL
    assert not payload.valid


# --- invitation letters -------------------------------------------------------------------------


def test_a_kjp_invitation_prefills_program_stage_and_number():
    payload = classify("KJP-2026-T1-004512")
    assert payload.kind is PayloadKind.INVITATION
    assert payload.valid
    assert payload.fields == {
        "program": "kjp-plus",
        "code": "KJP-2026-T1-004512",
        "year": "2026",
        "stage": "1",
        "number": "004512",
    }


def test_a_pkh_invitation_carries_its_region():
    payload = classify("PKH-2026-2-3174-000981")
    assert payload.valid
    assert payload.fields["region"] == "3174"
    assert payload.fields["program"] == "pkh"


def test_an_invitation_typed_with_caps_lock_on_still_reads():
    payload = classify("kjp-2026-t2-000007")
    assert payload.valid
    assert payload.fields["code"] == "KJP-2026-T2-000007"


def test_a_damaged_invitation_is_never_valid():
    payload = classify("KJP-2026-T1-0045")
    assert payload.kind is PayloadKind.INVITATION
    assert not payload.valid
    assert payload.fields == {}
    assert codes(payload) == ["payload.invitation.bad_shape"]
    assert payload.findings[0].params == {"example": "KJP-2026-T1-004512"}


def test_an_invitation_for_a_stage_that_does_not_exist_is_refused():
    payload = classify("KJP-2026-T3-004512")
    assert not payload.valid
    assert codes(payload) == ["payload.invitation.bad_stage"]


def test_an_invitation_from_a_future_year_is_refused():
    payload = classify("KJP-2031-T1-004512")
    assert not payload.valid
    assert codes(payload) == ["payload.invitation.bad_year"]


def test_without_patterns_an_invitation_is_not_recognised():
    payload = classify("KJP-2026-T1-004512", invitation_patterns=())
    assert payload.kind is PayloadKind.UNRECOGNISED


# --- bare 16-digit numbers ----------------------------------------------------------------------


def test_a_day_over_40_makes_it_a_nik_not_a_kk():
    payload = classify(MOTHER_NIK)
    assert payload.kind is PayloadKind.NIK
    assert payload.valid
    assert payload.fields == {"nik": MOTHER_NIK}
    assert payload.confidence is not None and payload.confidence >= 0.9
    assert "payload.number.female_day" in codes(payload)
    kk_reading = next(r for r in payload.readings if r.kind is PayloadKind.KK)
    assert not kk_reading.valid
    assert "kk.no_such_date" in [f.code for f in kk_reading.findings]
    assert not payload.is_ambiguous


def test_a_number_valid_as_nik_and_kk_is_ambiguous_with_both_readings():
    payload = classify(FAMILY_KK)
    assert payload.kind is PayloadKind.NIK
    assert payload.valid
    assert payload.is_ambiguous
    assert payload.confidence is not None and payload.confidence <= 0.5
    kinds = {r.kind for r in payload.readings if r.valid}
    assert kinds == {PayloadKind.NIK, PayloadKind.KK}
    assert "payload.number.nik_or_kk" in codes(payload)


def test_a_kk_reading_dated_in_the_future_lowers_the_kk_confidence():
    # Digits 7-12 = 20-01-30: as a KK recorded in 2030 (future) or 1930 (before KKs existed).
    number = "3174012001300004"
    payload = classify(number)
    assert payload.kind is PayloadKind.NIK
    readings = {r.kind: r for r in payload.readings}
    assert readings[PayloadKind.NIK].confidence > readings[PayloadKind.KK].confidence
    assert "payload.number.kk_date_in_future" in codes(payload)


def test_a_luhn_valid_number_without_a_date_is_a_card_number():
    number = card_number("603298990012345")  # digits 7-8 = "99": no day of any month
    assert is_luhn_valid(number)
    payload = classify(number)
    assert payload.kind is PayloadKind.CARD_NUMBER
    assert payload.valid
    assert payload.fields == {"card_number": number}
    assert codes(payload) == ["payload.number.card_not_date"]
    assert not any(r.valid for r in payload.readings if r.kind is not PayloadKind.CARD_NUMBER)


def test_a_nik_that_also_passes_luhn_stays_a_nik_and_says_why():
    assert is_luhn_valid(STUDENT_NIK)
    payload = classify(STUDENT_NIK)
    assert payload.kind is PayloadKind.NIK
    assert "payload.number.luhn_by_chance" in codes(payload)
    card = next(r for r in payload.readings if r.kind is PayloadKind.CARD_NUMBER)
    assert card.valid
    assert card.confidence < payload.confidence  # type: ignore[operator]


def test_an_unknown_region_with_a_luhn_pass_ranks_the_card_reading_higher():
    visa_like = "4111111111111111"
    plain = classify(visa_like)
    with_regions = classify(visa_like, regions=Regions())
    assert with_regions.kind is PayloadKind.NIK  # structure still decides the kind
    assert "payload.number.maybe_card" in codes(with_regions)

    def card_confidence(payload: Payload) -> float:
        return next(r.confidence for r in payload.readings if r.kind is PayloadKind.CARD_NUMBER)

    assert card_confidence(with_regions) > card_confidence(plain)
    assert card_confidence(with_regions) < with_regions.confidence  # type: ignore[operator]


def test_sixteen_digits_that_are_nothing_valid_are_never_shown_as_data():
    number = "1234567890123456"  # day 78, month 90, and Luhn fails
    assert not is_luhn_valid(number)
    payload = classify(number)
    assert payload.kind is PayloadKind.UNRECOGNISED
    assert not payload.valid
    assert payload.fields == {}
    assert codes(payload)[0] == "payload.number.invalid"
    assert "nik.day_out_of_range" in codes(payload)
    assert {r.kind for r in payload.readings} == {
        PayloadKind.NIK,
        PayloadKind.KK,
        PayloadKind.CARD_NUMBER,
    }
    assert not any(r.valid for r in payload.readings)


def test_a_number_of_another_length_is_explained():
    payload = classify("317401140509000")
    assert payload.kind is PayloadKind.UNRECOGNISED
    assert codes(payload) == ["payload.number.wrong_length"]
    assert payload.findings[0].params == {"digits": 15}


def test_spaces_and_dashes_in_a_printed_number_do_not_matter():
    payload = classify("3174 0157-0880 0002")
    assert payload.kind is PayloadKind.NIK
    assert payload.fields == {"nik": MOTHER_NIK}


# --- key=value payloads -------------------------------------------------------------------------


def test_semicolon_separated_fields_are_read_and_checked():
    payload = classify(f"NIK={MOTHER_NIK};NAMA=Hj. Aminah;NO KK={FAMILY_KK}")
    assert payload.kind is PayloadKind.KEY_VALUE
    assert payload.valid
    assert payload.fields == {"nik": MOTHER_NIK, "name": "Hj. Aminah", "kk": FAMILY_KK}


def test_query_string_fields_are_decoded():
    payload = classify("a=1&b=Siti+Rahmawati&c=%2Fx")
    assert payload.valid
    assert payload.fields == {"a": "1", "b": "Siti Rahmawati", "c": "/x"}


def test_a_json_object_becomes_fields():
    payload = classify(json.dumps({"nik": int(MOTHER_NIK), "nama": "Aminah", "aktif": True}))
    assert payload.kind is PayloadKind.KEY_VALUE
    assert payload.fields == {"nik": MOTHER_NIK, "name": "Aminah", "aktif": "true"}


def test_lines_of_labelled_fields_are_read():
    payload = classify(f"NIK: {MOTHER_NIK}\nNama: Aminah\n")
    assert payload.fields == {"nik": MOTHER_NIK, "name": "Aminah"}


def test_an_invalid_nik_inside_fields_is_not_prefilled_and_says_why():
    payload = classify("NIK=3174019905800002;NAMA=Budi")
    assert payload.kind is PayloadKind.KEY_VALUE
    assert not payload.valid
    assert "nik" not in payload.fields
    assert payload.fields == {"name": "Budi"}
    assert codes(payload) == ["payload.key_value.field_invalid", "nik.day_out_of_range"]


def test_an_invalid_card_number_inside_fields_is_not_prefilled():
    payload = classify("no_kartu=6032980012345678")
    assert not payload.valid
    assert payload.fields == {}


def test_a_key_given_twice_with_different_values_is_not_prefilled():
    payload = classify(f"nik={MOTHER_NIK}&NIK={STUDENT_NIK}")
    assert not payload.valid
    assert "nik" not in payload.fields
    assert codes(payload) == ["payload.key_value.duplicate"]


# --- receipts -----------------------------------------------------------------------------------

NUMBER = RegisterNumber(DEVICE, 123)


def test_a_receipt_signed_here_opens_its_register_number():
    payload = classify(make_receipt_code(NUMBER, KEY))
    assert payload.kind is PayloadKind.RECEIPT
    assert payload.valid
    assert payload.fields == {"register_number": str(NUMBER)}


def test_a_receipt_with_our_device_code_but_a_wrong_mac_is_called_forged():
    payload = classify(make_receipt_code(NUMBER, OTHER_KEY))
    assert not payload.valid
    assert payload.fields == {}
    assert codes(payload) == ["payload.receipt.forged"]


def test_a_receipt_from_another_kiosk_is_not_verifiable_here_rather_than_forged():
    other = RegisterNumber("ABCDEF", 9)
    payload = classify(make_receipt_code(other, OTHER_KEY))
    assert not payload.valid
    assert codes(payload) == ["payload.receipt.not_verifiable_here"]
    assert payload.findings[0].params == {"number": str(other)}


def test_without_a_key_no_receipt_is_trusted():
    payload = classify(make_receipt_code(NUMBER, KEY), receipt_key=None)
    assert not payload.valid
    assert codes(payload) == ["payload.receipt.not_verifiable_here"]


def test_a_damaged_receipt_code_is_refused():
    payload = classify("LKP1:7KQ2ZB-000123:ABC")
    assert payload.kind is PayloadKind.RECEIPT
    assert codes(payload) == ["payload.receipt.malformed"]


# --- everything else ----------------------------------------------------------------------------


def test_binary_data_is_kept_as_evidence():
    payload = classify_payload(None, b"\x89PNG\x00\xff")
    assert payload.kind is PayloadKind.BINARY
    assert not payload.valid
    assert payload.raw == b"\x89PNG\x00\xff"


def test_empty_and_plain_text_are_not_recognised():
    assert codes(classify("  \n")) == ["payload.empty"]
    payload = classify("Selamat datang")
    assert payload.kind is PayloadKind.UNRECOGNISED
    assert codes(payload) == ["payload.unrecognised"]
    assert payload.text == "Selamat datang"


def test_repr_never_shows_the_number_a_payload_holds():
    payload = classify(f"NIK={MOTHER_NIK}")
    assert MOTHER_NIK not in repr(payload)
    assert MOTHER_NIK not in repr(classify(MOTHER_NIK))


def test_to_dict_is_json_ready():
    data = json.loads(json.dumps(classify(FAMILY_KK).to_dict()))
    assert data["kind"] == "nik"
    assert [r["kind"] for r in data["readings"]] == ["nik", "kk", "card_number"]


# --- properties ---------------------------------------------------------------------------------

regions6 = st.sampled_from(["317401", "317101", "320101", "930101", "110101", "910101"])


@st.composite
def valid_niks(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=date(1901, 1, 1), max_value=date(2025, 12, 31)))
    female = draw(st.booleans())
    serial = draw(st.integers(1, 9999))
    day = born.day + (40 if female else 0)
    text = f"{draw(regions6)}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
    assume(parse_nik(text).valid)
    return text


@given(valid_niks(), st.booleans())
def test_a_valid_nik_is_read_as_a_nik_and_never_as_a_card(nik: str, with_regions: bool):
    payload = classify(nik, regions=Regions() if with_regions else None)
    assert payload.kind is not PayloadKind.CARD_NUMBER
    assert payload.kind is PayloadKind.NIK or any(
        r.kind is PayloadKind.NIK and r.valid for r in payload.readings
    )
    assert payload.valid
    assert payload.fields[payload.kind.value] == nik


@given(st.text(max_size=200))
def test_classification_never_raises_on_any_text(text: str):
    payload = classify(text)
    assert isinstance(payload.kind, PayloadKind)
    assert payload.text == text


@given(st.binary(max_size=200))
def test_classification_never_raises_on_any_bytes(raw: bytes):
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    payload = classify_payload(text, raw, invitation_patterns=PATTERNS, receipt_key=KEY)
    assert payload.raw == raw


digits_and_separators = st.text(alphabet="0123456789 -.", min_size=14, max_size=24)
keyed = st.builds(
    lambda key, value: f"{key}={value}",
    st.sampled_from(["nik", "NIK", "no_kk", "kk", "nama", "card"]),
    digits_and_separators,
)


@given(st.one_of(digits_and_separators, keyed, st.lists(keyed, min_size=1).map(";".join)))
def test_nothing_invalid_is_ever_shown_as_valid_data(text: str):
    payload = classify(text)
    for name, value in payload.fields.items():
        if name == "nik":
            assert parse_nik(value).valid
        if name == "kk":
            assert parse_kk(value).valid
        if name == "card_number":
            assert is_luhn_valid(value)
    if not payload.valid:
        assert payload.errors or payload.kind in (PayloadKind.BINARY, PayloadKind.UNRECOGNISED)
