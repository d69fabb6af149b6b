"""Invitation-letter code patterns: shipped in assets/scan/invitations.toml, replaced per device.

Programs have not published their invitation code formats, so the patterns are data an operator
can change without a release; a bad file is refused with "file:line" and the reason.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

from kiosk.assets import assets_dir
from kiosk.domain.payloads import InvitationPattern
from kiosk.errors import RuleFileError

PATTERNS_FILE = Path("scan") / "invitations.toml"
_ENTRY_KEYS = ("program", "prefix", "pattern", "example", "stages")
_REQUIRED = ("program", "prefix", "pattern", "example")
_PROGRAM = re.compile(r"[a-z0-9][a-z0-9-]*")
_HEADER = re.compile(r"^\s*\[\[\s*invitation\s*\]\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
_SYNTAX_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)")


def patterns_file(data_dir: Path | None = None) -> Path:
    """The file in force: the device's override if it exists, else the shipped one."""
    if data_dir is not None:
        override = Path(data_dir) / PATTERNS_FILE
        if override.is_file():
            return override
    return assets_dir() / PATTERNS_FILE


def load_invitation_patterns(data_dir: Path | None = None) -> tuple[InvitationPattern, ...]:
    """Every program's invitation pattern; RuleFileError (file:line, reason) for a bad file."""
    path = patterns_file(data_dir)
    try:
        stat = path.stat()
    except OSError as exc:
        _unreadable(path, exc)
    return _load_cached(str(path), (stat.st_ino, stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _load_cached(path: str, version: tuple[int, int, int]) -> tuple[InvitationPattern, ...]:
    # Keyed on inode, mtime and size: an edited file is read again, an unchanged one is not
    # re-parsed for every scan.
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RuleFileError(
            "the file is not UTF-8 text",
            code="payload.patterns.unreadable",
            where=f"{path}:1",
            params={"reason": "not UTF-8"},
        ) from exc
    except OSError as exc:
        _unreadable(Path(path), exc)
    return parse_invitation_patterns(text, path)


def _unreadable(path: Path, exc: OSError) -> NoReturn:
    reason = exc.strerror or type(exc).__name__
    raise RuleFileError(
        f"cannot read the file: {reason}",
        code="payload.patterns.unreadable",
        where=str(path),
        params={"reason": reason},
    ) from exc


def parse_invitation_patterns(text: str, source: str) -> tuple[InvitationPattern, ...]:
    """Read the TOML text of an invitations file; `source` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _SYNTAX_LINE.search(message)
        reason = _SYNTAX_LINE.sub("", message)
        raise RuleFileError(
            f"TOML syntax: {reason}",
            code="payload.patterns.syntax",
            where=f"{source}:{found.group(1) if found else 1}",
            params={"reason": reason},
        ) from exc
    return _Reader(text, source).read(data)


class _Reader:
    """Checks each [[invitation]] entry, knowing on which line every entry and key starts."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.entry_lines: list[int] = []
        self.key_lines: dict[tuple[int, str], int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if _HEADER.match(line):
                self.entry_lines.append(number)
                continue
            key = _KEY.match(line)
            if key and self.entry_lines:
                self.key_lines.setdefault((len(self.entry_lines) - 1, key.group(1)), number)

    def fail(self, index: int | None, key: str | None, reason: str) -> NoReturn:
        if index is None:
            line, path = 1, "invitation"
        else:
            line = self.key_lines.get((index, key or ""), 0) or (
                self.entry_lines[index] if index < len(self.entry_lines) else 1
            )
            path = f"invitation[{index + 1}]" + (f".{key}" if key else "")
        raise RuleFileError(
            f"{path}: {reason}",
            code="payload.patterns.invalid",
            where=f"{self.source}:{line}",
            params={"path": path, "reason": reason},
        )

    def read(self, data: dict[str, Any]) -> tuple[InvitationPattern, ...]:
        unknown = sorted(set(data) - {"invitation"})
        if unknown:
            self.fail(None, None, f"unknown key {unknown[0]!r}; only [[invitation]] entries")
        entries = data.get("invitation", [])
        if not isinstance(entries, list):
            self.fail(None, None, "must be [[invitation]] entries")
        patterns = [self.entry(index, entry) for index, entry in enumerate(entries)]
        for index, pattern in enumerate(patterns):
            for earlier in patterns[:index]:
                if earlier.prefix.upper() == pattern.prefix.upper():
                    self.fail(index, "prefix", f"prefix {pattern.prefix!r} is used twice")
        return tuple(patterns)

    def entry(self, index: int, entry: object) -> InvitationPattern:
        if not isinstance(entry, dict):
            self.fail(index, None, "must be a table")
        for key in entry:
            if key not in _ENTRY_KEYS:
                self.fail(index, key, f"unknown key {key!r}; allowed: {', '.join(_ENTRY_KEYS)}")
        for key in _REQUIRED:
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                self.fail(index, key if key in entry else None, f"{key!r} must be non-empty text")
        program, prefix = entry["program"].strip(), entry["prefix"].strip()
        example = entry["example"].strip()
        if not _PROGRAM.fullmatch(program):
            self.fail(index, "program", "a program id is lower-case letters, digits and dashes")
        try:
            # Case-insensitive: scanners with Caps Lock on swap the case of what they type.
            compiled = re.compile(entry["pattern"], re.IGNORECASE)
        except re.error as exc:
            self.fail(index, "pattern", f"not a regular expression: {exc}")
        stages = entry.get("stages", [])
        if not isinstance(stages, list) or not all(
            isinstance(stage, int) and not isinstance(stage, bool) and stage > 0 for stage in stages
        ):
            self.fail(index, "stages", "must be a list of stage numbers (1, 2, ...)")
        if not example.upper().startswith(prefix.upper()):
            self.fail(index, "example", f"the example does not start with {prefix!r}")
        if not compiled.fullmatch(example.upper()):
            self.fail(index, "example", "the example does not match the pattern")
        return InvitationPattern(
            program=program,
            prefix=prefix,
            pattern=compiled,
            example=example,
            stages=tuple(stages),
        )


def clear_cache() -> None:
    """Forget parsed files (tests that rewrite a file within one mtime tick)."""
    _load_cached.cache_clear()
