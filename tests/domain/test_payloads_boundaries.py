"""Scanned payloads compared whole: kind, validity, pre-filled fields, confidence, every finding
with its severity, field and parameters, every reading, and the text and bytes kept as evidence
(cases found by mutation testing). Every number here is made up."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from kiosk.domain.accounts import luhn_check_digit
from kiosk.domain.identity import RegionName
from kiosk.domain.payloads import InvitationPattern, classify_payload
from kiosk.domain.receipts import make_receipt_code
from kiosk.domain.register_numbers import RegisterNumber

TODAY = date(2025, 6, 1)
KEY = b"k" * 32
OURS = make_receipt_code(RegisterNumber("7KQ2ZB", 5), KEY)
ALTERED = OURS[:-1] + ("A" if OURS[-1] != "A" else "B")
KJP = InvitationPattern(
    "kjp-plus",
    "KJP",
    re.compile(r"KJP-(?P<year>\d{4})-(?P<stage>\d)-(?P<serial>\d{4})"),
    "KJP-2025-1-0001",
    (1, 2),
)
# 12-03-2010 is a date for both readings; the serial's last digit decides the Luhn check.
TIED_NUMBER = "3171011203100001"
TIED_LUHN = "317101120310000" + luhn_check_digit("317101120310000")
CARD = "400000999999999" + luhn_check_digit("400000999999999")  # digits 7-12 are no date


class NoRegions:
    """A region table that knows nothing, as when a number's region is not in any list."""

    def province(self, code: str) -> str | None:
        return None

    def regency(self, code: str) -> RegionName | None:
        return None

    def district(self, code: str) -> str | None:
        return None


def w(code: str, field: str = "", **params: Any) -> dict[str, Any]:
    return {"code": code, "severity": "warning", "field": field, "params": params}


def e(code: str, field: str = "", **params: Any) -> dict[str, Any]:
    return {"code": code, "severity": "error", "field": field, "params": params}


def reading(kind: str, valid: bool, confidence: float, *findings: dict[str, Any]):
    return {"kind": kind, "valid": valid, "confidence": confidence, "findings": list(findings)}


def payload(kind, valid=False, fields=None, confidence=None, findings=(), readings=()):
    return {
        "kind": kind,
        "valid": valid,
        "fields": fields or {},
        "confidence": confidence,
        "findings": list(findings),
        "readings": list(readings),
    }


NOT_LUHN = e("card.luhn_failed", "card")
TIE = w("payload.number.nik_or_kk", "number")
NIK_99 = (
    e("nik.day_out_of_range", "birth_date", day="99"),
    e("nik.month_out_of_range", "birth_date", month="99"),
)
KK_99 = e("kk.no_such_date", "issue_date", day="99", month="99", year="99")

CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "a Luhn-valid number without a date is a card number": (
        CARD,
        {},
        payload(
            "card_number",
            True,
            {"card_number": CARD},
            0.95,
            [w("payload.number.card_not_date", "card_number")],
            [
                reading(
                    "card_number", True, 0.95, w("payload.number.card_not_date", "card_number")
                ),
                reading("nik", False, 0.0, *NIK_99),
                reading("kk", False, 0.0, KK_99),
            ],
        ),
    ),
    "a number that is nothing is unrecognised with the NIK's errors": (
        CARD[:-1] + str((int(CARD[-1]) + 1) % 10),
        {},
        payload(
            "unrecognised",
            findings=[e("payload.number.invalid", "number"), *NIK_99],
            readings=[
                reading("nik", False, 0.0, *NIK_99),
                reading("kk", False, 0.0, KK_99),
                reading("card_number", False, 0.0, NOT_LUHN),
            ],
        ),
    ),
    "a woman's day code settles NIK": (
        "3171014107050001",
        {},
        payload(
            "nik",
            True,
            {"nik": "3171014107050001"},
            0.95,
            [
                w("payload.number.female_day", "nik", day="41"),
                w("nik.default_birth_date", "birth_date", date="01-07"),
            ],
            [
                reading(
                    "nik",
                    True,
                    0.95,
                    w("payload.number.female_day", "nik", day="41"),
                    w("nik.default_birth_date", "birth_date", date="01-07"),
                ),
                reading(
                    "kk",
                    False,
                    0.0,
                    e("kk.no_such_date", "issue_date", day="41", month="07", year="05"),
                    w("kk.looks_like_nik", "kk", day="41"),
                ),
                reading("card_number", False, 0.0, NOT_LUHN),
            ],
        ),
    ),
    "a date both can hold is a tie offered NIK first": (
        TIED_NUMBER,
        {},
        payload(
            "nik",
            True,
            {"nik": TIED_NUMBER},
            0.5,
            [TIE],
            [
                reading("nik", True, 0.5, TIE),
                reading("kk", True, 0.5, TIE),
                reading("card_number", False, 0.0, NOT_LUHN),
            ],
        ),
    ),
    "a KK date in the future makes the NIK reading likelier": (
        "3171011203600001",
        {},
        payload(
            "nik",
            True,
            {"nik": "3171011203600001"},
            0.8,
            [w("payload.number.kk_date_in_future", "kk")],
            [
                reading("nik", True, 0.8, w("payload.number.kk_date_in_future", "kk")),
                reading(
                    "kk", True, 0.2, w("kk.issue_date_in_future", "issue_date", date="2060-03-12")
                ),
                reading("card_number", False, 0.0, NOT_LUHN),
            ],
        ),
    ),
    "a tie that passes Luhn offers the card last, by chance": (
        TIED_LUHN,
        {},
        payload(
            "nik",
            True,
            {"nik": TIED_LUHN},
            0.45,
            [TIE, w("payload.number.luhn_by_chance", "card_number")],
            [
                reading("nik", True, 0.45, TIE),
                reading("kk", True, 0.45, TIE),
                reading(
                    "card_number", True, 0.1, w("payload.number.luhn_by_chance", "card_number")
                ),
            ],
        ),
    ),
    "a tie that passes Luhn in an unknown region may well be a card": (
        TIED_LUHN,
        {"regions": NoRegions()},
        payload(
            "nik",
            True,
            {"nik": TIED_LUHN},
            0.35,
            [
                TIE,
                w("payload.number.maybe_card", "card_number"),
                w("nik.region_unknown", "region", prefix="31.71"),
            ],
            [
                reading("nik", True, 0.35, TIE, w("nik.region_unknown", "region", prefix="31.71")),
                reading("kk", True, 0.35, TIE, w("kk.region_unknown", "region", prefix="31.71")),
                reading("card_number", True, 0.3, w("payload.number.maybe_card", "card_number")),
            ],
        ),
    ),
    "our own receipt is verified": (
        OURS,
        {"receipt_key": KEY},
        payload(
            "receipt",
            True,
            {"register_number": "7KQ2ZB-000005-K"},
            findings=[w("payload.receipt.verified", "receipt", number="7KQ2ZB-000005-K")],
        ),
    ),
    "an altered receipt with our device code is forged": (
        ALTERED,
        {"receipt_key": KEY, "device_code": "7KQ2ZB"},
        payload(
            "receipt", findings=[e("payload.receipt.forged", "receipt", number="7KQ2ZB-000005-K")]
        ),
    ),
    "another kiosk's receipt cannot be checked here": (
        ALTERED,
        {"receipt_key": KEY, "device_code": "AAAAAA"},
        payload(
            "receipt",
            findings=[
                e("payload.receipt.not_verifiable_here", "receipt", number="7KQ2ZB-000005-K")
            ],
        ),
    ),
    "a receipt prefix with nothing usable after it is malformed": (
        "LKP1:xx",
        {},
        payload("receipt", findings=[e("payload.receipt.malformed", "receipt")]),
    ),
    "a link is named by its host without the trailing dot": (
        "https://example.com./a",
        {},
        payload(
            "url",
            True,
            {"url": "https://example.com./a"},
            findings=[w("payload.url.not_opened", "url", host="example.com")],
        ),
    ),
    "a Dukcapil signature link asks for the IKD check and typed numbers": (
        "https://ttd.dukcapil.kemendagri.go.id/x",
        {},
        payload(
            "dukcapil_link",
            True,
            {"url": "https://ttd.dukcapil.kemendagri.go.id/x"},
            findings=[
                w("payload.dukcapil.verify_in_ikd", "url"),
                w("payload.dukcapil.type_numbers", "url"),
            ],
        ),
    ),
    "a link in capitals is still a web link": (
        "HTTP://EXAMPLE.COM/A",
        {},
        payload(
            "url",
            True,
            {"url": "HTTP://EXAMPLE.COM/A"},
            findings=[w("payload.url.not_opened", "url", host="example.com")],
        ),
    ),
    "a host ending in x keeps its last letter": (
        "https://sandbox./a",
        {},
        payload(
            "url",
            True,
            {"url": "https://sandbox./a"},
            findings=[w("payload.url.not_opened", "url", host="sandbox")],
        ),
    ),
    "a link that is not the web names its scheme": (
        "ftp://x.y/z",
        {},
        payload("url", findings=[e("payload.url.unsupported", "url", scheme="ftp")]),
    ),
    "a link without a host is malformed": (
        "http:///x",
        {},
        payload("url", findings=[e("payload.url.malformed", "url")]),
    ),
    "a link that cannot be split is malformed": (
        "http://[x/",
        {},
        payload("url", findings=[e("payload.url.malformed", "url")]),
    ),
    "an invitation typed in lower case is read in capitals with its parts": (
        "kjp-2025-1-0001",
        {"invitation_patterns": [KJP]},
        payload(
            "invitation",
            True,
            {
                "program": "kjp-plus",
                "code": "KJP-2025-1-0001",
                "year": "2025",
                "stage": "1",
                "serial": "0001",
            },
            findings=[w("payload.invitation.recognised", "invitation", program="kjp-plus")],
        ),
    ),
    "an invitation to a stage the program lacks names the stages": (
        "KJP-2025-3-0001",
        {"invitation_patterns": [KJP]},
        payload(
            "invitation",
            findings=[e("payload.invitation.bad_stage", "stage", stage="3", allowed="1, 2")],
        ),
    ),
    "an invitation for a year after next is refused": (
        "KJP-2027-1-0001",
        {"invitation_patterns": [KJP]},
        payload("invitation", findings=[e("payload.invitation.bad_year", "year", year="2027")]),
    ),
    "an invitation for next year is accepted": (
        "KJP-2026-1-0001",
        {"invitation_patterns": [KJP]},
        payload(
            "invitation",
            True,
            {
                "program": "kjp-plus",
                "code": "KJP-2026-1-0001",
                "year": "2026",
                "stage": "1",
                "serial": "0001",
            },
            findings=[w("payload.invitation.recognised", "invitation", program="kjp-plus")],
        ),
    ),
    "an invitation from before 2000 is refused": (
        "KJP-1999-1-0001",
        {"invitation_patterns": [KJP]},
        payload("invitation", findings=[e("payload.invitation.bad_year", "year", year="1999")]),
    ),
    "an invitation whose year is in full-width digits is refused": (
        "KJP-２０２５-1-0001",
        {"invitation_patterns": [KJP]},
        payload("invitation", findings=[e("payload.invitation.bad_year", "year", year="２０２５")]),
    ),
    "an invitation whose stage is in full-width digits is refused": (
        "KJP-2025-１-0001",
        {"invitation_patterns": [KJP]},
        payload(
            "invitation",
            findings=[e("payload.invitation.bad_stage", "stage", stage="１", allowed="1, 2")],
        ),
    ),
    "an invitation of the wrong shape shows an example": (
        "KJP-2025",
        {"invitation_patterns": [KJP]},
        payload(
            "invitation",
            findings=[e("payload.invitation.bad_shape", "invitation", example="KJP-2025-1-0001")],
        ),
    ),
    "key=value lines fill known fields under their usual names": (
        "NIK=3171014107050001;NAMA=Siti;nik=3171014107050001",
        {},
        payload(
            "key_value",
            True,
            {"nik": "3171014107050001", "name": "Siti"},
            findings=[w("nik.default_birth_date", "birth_date", date="01-07")],
        ),
    ),
    "blank text is an empty scan, with no field to blame": (
        "  \n ",
        {},
        payload("unrecognised", findings=[e("payload.empty")]),
    ),
    "a number of the wrong length says how many digits it has": (
        "1234-5678",
        {},
        payload("unrecognised", findings=[e("payload.number.wrong_length", "number", digits=8)]),
    ),
    "plain words are unrecognised, with no field to blame": (
        "halo semua",
        {},
        payload("unrecognised", findings=[w("payload.unrecognised")]),
    ),
    "a key given two values fills neither and decodes the rest": (
        "no kk=3171011203100001&nkk=3171011203100002&x=%41+b",
        {},
        payload(
            "key_value",
            fields={"x": "A b"},
            findings=[e("payload.key_value.duplicate", "kk", key="kk")],
        ),
    ),
    "an empty JSON object is no data": (
        "{}",
        {},
        payload("unrecognised", findings=[w("payload.unrecognised")]),
    ),
    "nested JSON keeps its letters as they are": (
        '{"l": ["é"]}',
        {},
        payload("key_value", True, {"l": '["é"]'}),
    ),
    "a KK given as key=value is judged with the same clock": (
        "KK=3171011203600001",
        {},
        payload(
            "key_value",
            True,
            {"kk": "3171011203600001"},
            findings=[w("kk.issue_date_in_future", "issue_date", date="2060-03-12")],
        ),
    ),
    "a bad KK or card number is not filled and says why": (
        "kk=123;card=4111111111111112",
        {},
        payload(
            "key_value",
            findings=[
                e("payload.key_value.field_invalid", "kk", key="kk"),
                e("kk.wrong_length", "kk", digits=3),
                e("payload.key_value.field_invalid", "card_number", key="card_number"),
                e("card.luhn_failed", "card"),
            ],
        ),
    ),
    "keys are named alike whatever their case, dots and spaces": (
        "No. KK.=3171011203100001;No Rekening=0012;xnik=7",
        {},
        payload("key_value", True, {"kk": "3171011203100001", "no_rekening": "0012", "xnik": "7"}),
    ),
    "a value is decoded only in a=1&b=2 form, and empty lines are skipped": (
        "nama=Siti+Aminah%20;;\nnik_ibu=1",
        {},
        payload("key_value", True, {"name": "Siti+Aminah%20", "nik_ibu": "1"}),
    ),
    "a single pair is not URL-decoded": (
        "nama=Siti+Aminah",
        {},
        payload("key_value", True, {"name": "Siti+Aminah"}),
    ),
    "empty pieces are skipped wherever they are": (
        ";nama=Siti",
        {},
        payload("key_value", True, {"name": "Siti"}),
    ),
    "an empty piece between a=1&b=2 pairs is skipped": (
        "nama=Siti&&nik_ibu=1",
        {},
        payload("key_value", True, {"name": "Siti", "nik_ibu": "1"}),
    ),
    "JSON values become text and a bad NIK is not filled": (
        '{"card": "4111111111111111", "b": true, "f": false, "n": null, "l": [1], "nik": "12"}',
        {},
        payload(
            "key_value",
            fields={
                "card_number": "4111111111111111",
                "b": "true",
                "f": "false",
                "n": "",
                "l": "[1]",
            },
            findings=[
                e("payload.key_value.field_invalid", "nik", key="nik"),
                e("nik.wrong_length", "nik", digits=2),
            ],
        ),
    ),
}


@pytest.mark.parametrize(("text", "options", "expected"), CASES.values(), ids=CASES.keys())
def test_a_scanned_text_is_classified_whole_and_keeps_its_evidence(text, options, expected):
    raw = text.encode("utf-8")
    data = classify_payload(text, raw, today=TODAY, **options).to_dict()
    assert data == {**expected, "text": text, "raw_hex": raw.hex()}


def test_bytes_that_are_not_text_are_kept_as_binary_evidence():
    raw = b"\xff\xfe\x00"
    assert classify_payload(None, raw).to_dict() == {
        **payload("binary", findings=[w("payload.binary")]),
        "text": None,
        "raw_hex": "fffe00",
    }


def test_without_a_clock_an_invitation_year_is_only_checked_from_2000():
    data = classify_payload("KJP-2099-1-0001", b"", invitation_patterns=[KJP]).to_dict()
    assert (data["valid"], data["fields"]["year"]) == (True, "2099")
    data = classify_payload("KJP-2000-1-0001", b"", invitation_patterns=[KJP]).to_dict()
    assert (data["valid"], data["fields"]["year"]) == (True, "2000")


def test_a_nik_given_as_key_value_is_judged_with_the_same_clock():
    before_both_readings = date(1950, 1, 1)
    data = classify_payload("NIK=3171011203600001", b"", today=before_both_readings).to_dict()
    assert data["fields"] == {"nik": "3171011203600001"}
    assert data["findings"] == [
        w("nik.age_unexpected", "birth_date", age=-11, role="any", low=0, high=120)
    ]


def test_a_bare_number_s_nik_reading_is_judged_with_the_same_clock():
    data = classify_payload("3171011203600001", b"", today=date(1950, 1, 1)).to_dict()
    assert data["kind"] == "nik"
    assert (
        w("nik.age_unexpected", "birth_date", age=-11, role="any", low=0, high=120)
        in (data["findings"])
    )
