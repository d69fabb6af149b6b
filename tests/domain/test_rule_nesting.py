"""A rule file nested past a few levels is refused by line before tomllib recurses through it;
brackets inside quoted text and comments, and table headers, do not count."""

from __future__ import annotations

import pytest

from kiosk.domain.requirements import MAX_NESTING, parse_rules
from kiosk.errors import RuleFileError


def test_a_file_nested_past_the_limit_is_refused_at_the_line_where_it_goes_too_deep():
    text = 'x = 1\n[program]\nid = "pkh"\ny = ' + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)
    with pytest.raises(RuleFileError) as caught:
        parse_rules(text, "deep.toml")
    assert (caught.value.code, caught.value.where) == ("rules.too_deep", "deep.toml:4")


def test_brackets_in_text_comments_and_headers_do_not_count():
    text = (
        "[[a]]\n[[a]]\n"
        + 'q = "'
        + "[" * 40
        + '"\n'
        + "r = '"
        + "{" * 40
        + "'\n"
        + "# "
        + "[" * 40
        + "\n"
        + "z = "
        + "[" * MAX_NESTING
        + "]" * MAX_NESTING
        + "\n"
    )
    with pytest.raises(RuleFileError) as caught:
        parse_rules(text, "shallow.toml")
    assert caught.value.code != "rules.too_deep"  # read on, and refused for what it lacks
