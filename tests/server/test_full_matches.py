"""A pattern that checks a whole value must match the whole value: `re.match` with a `$` anchor
lets a trailing newline through (`$` also matches before a final "\\n")."""

from __future__ import annotations

import ast
import hashlib
import os
import re
from pathlib import Path

import pytest

from kiosk.errors import RuleFileError
from kiosk.store.rules import install_rule_file, override_rules_dir, shipped_rules_dir

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "kiosk").rglob("*.py"), *(ROOT / "sync").rglob("*.py")])


def _literal(node: ast.AST, known: dict[str, str]) -> str | None:
    """The text of a pattern: a literal, an f-string's literal parts, a named constant, or the
    first argument of re.compile(...)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
    if isinstance(node, ast.Name):
        return known.get(node.id)
    if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "compile" and node.args:
        return _literal(node.args[0], known)
    return None


def _constants(tree: ast.AST, known: dict[str, str]) -> dict[str, str]:
    """NAME = <pattern> and self-less class attributes, by name."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
            value = _literal(node.value, {**known, **found})
            if name and value is not None:
                found[name] = value
    return found


def _ends_with_dollar(pattern: str) -> bool:
    return bool(re.search(r"(?<!\\)\$\)*\Z", pattern))


def _loose_matches() -> list[str]:
    """file:line of every `.match(` whose pattern ends with a `$` anchor."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}
    everywhere: dict[str, str] = {}
    for tree in trees.values():
        everywhere.update(_constants(tree, everywhere))
    loose = []
    for path, tree in trees.items():
        known = {**everywhere, **_constants(tree, everywhere)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr != "match":
                continue
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == "re" and node.args:
                pattern = _literal(node.args[0], known)
            elif isinstance(owner, ast.Name):
                pattern = known.get(owner.id)
            elif isinstance(owner, ast.Attribute):
                pattern = known.get(owner.attr)
            else:
                pattern = None
            if pattern is not None and _ends_with_dollar(pattern):
                loose.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return loose


def test_no_pattern_anchored_with_a_dollar_is_checked_with_match():
    assert _loose_matches() == []


def test_the_source_scan_finds_a_planted_loose_match(tmp_path: Path, monkeypatch):
    planted = tmp_path / "planted.py"
    planted.write_text('import re\n_ID = re.compile(r"^[a-z]+$")\nok = _ID.match("x")\n')
    also = tmp_path / "also.py"
    also.write_text('import re\nok = re.match(r"^(a|b)$", "a")\n')
    monkeypatch.setattr(f"{__name__}.SOURCES", [planted, also])
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert _loose_matches() == ["planted.py:3", "also.py:2"]


def test_an_attachment_hash_with_a_trailing_newline_is_refused(live_server, device):
    data = os.urandom(1000)
    sha = hashlib.sha256(data).hexdigest()
    with device.client() as client:
        answer = client.put(
            f"/v1/attachments/{sha}%0A",
            params={"offset": 0, "total": len(data)},
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "malformed_request"


def test_a_program_id_with_a_trailing_newline_is_not_installed(data_dir: Path, tmp_path: Path):
    text = (shipped_rules_dir() / "kjp-plus.toml").read_text(encoding="utf-8")
    look_alike = tmp_path / "look-alike.toml"
    look_alike.write_text(text.replace('id = "kjp-plus"', 'id = "kjp-plus\\n"', 1), "utf-8")
    with pytest.raises(RuleFileError):
        install_rule_file(look_alike, data_dir)
    assert not override_rules_dir(data_dir).exists()
