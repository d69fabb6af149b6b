"""Invitation patterns: the shipped file, a device's override, and bad files named by file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.domain.payloads import PayloadKind, classify_payload
from kiosk.errors import RuleFileError
from kiosk.scan.patterns import load_invitation_patterns, parse_invitation_patterns

GOOD = """\
[[invitation]]
program = "kjp-plus"
prefix = "KJP-"
pattern = 'KJP-(?P<year>20[0-9]{2})-T(?P<stage>[0-9])-(?P<number>[0-9]{6})'
example = "KJP-2026-T1-004512"
stages = [1, 2]
"""


def test_the_shipped_patterns_cover_both_programs_and_match_their_examples():
    patterns = load_invitation_patterns()
    assert {p.program for p in patterns} == {"kjp-plus", "pkh"}
    for pattern in patterns:
        payload = classify_payload(pattern.example, b"", invitation_patterns=patterns)
        assert payload.kind is PayloadKind.INVITATION
        assert payload.valid, pattern.example


def test_a_device_file_replaces_the_shipped_one(tmp_path: Path):
    folder = tmp_path / "scan"
    folder.mkdir()
    (folder / "invitations.toml").write_text(
        GOOD.replace("KJP-", "UND-").replace('"kjp-plus"', '"kjp-plus"'), encoding="utf-8"
    )
    patterns = load_invitation_patterns(tmp_path)
    assert [p.prefix for p in patterns] == ["UND-"]


def test_without_a_device_file_the_shipped_one_is_used(tmp_path: Path):
    assert load_invitation_patterns(tmp_path) == load_invitation_patterns()


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD + "\n[[invitation]]\nprogram = 'pkh'\n", 8, "'prefix' must be non-empty text"),
        (GOOD.replace("stages = [1, 2]", "stages = [1, 2]\ncolour = 'red'"), 7, "unknown key"),
        (GOOD.replace("(?P<year>", "(?P<year"), 4, "not a regular expression"),
        (GOOD.replace('example = "KJP-2026-T1-004512"', 'example = "KJP-26"'), 5, "does not match"),
        (GOOD.replace('example = "KJP-2026-T1-004512"', 'example = "X"'), 5, "does not start"),
        (GOOD.replace("stages = [1, 2]", "stages = ['1']"), 6, "stage numbers"),
        (GOOD.replace('"kjp-plus"', '"KJP Plus"'), 2, "program id"),
        (GOOD + GOOD, 9, "used twice"),
        ("[[invitation]]\nprogram = \n", 2, "TOML syntax"),
        ("[patterns]\n", 1, "only [[invitation]]"),
    ],
)
def test_a_bad_file_is_refused_with_its_line(text: str, line: int, fragment: str):
    with pytest.raises(RuleFileError) as caught:
        parse_invitation_patterns(text, "invitations.toml")
    assert caught.value.where == f"invitations.toml:{line}"
    assert fragment in str(caught.value)


def test_a_bad_device_file_names_its_path(tmp_path: Path):
    folder = tmp_path / "scan"
    folder.mkdir()
    path = folder / "invitations.toml"
    path.write_bytes(b"\xff\xfe not text")
    with pytest.raises(RuleFileError) as caught:
        load_invitation_patterns(tmp_path)
    assert caught.value.where == f"{path}:1"
