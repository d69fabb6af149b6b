"""Program rule files: shipped in assets/programs, replaced per device in <data_dir>/programs.

An officer changes a rule without a release by installing a file; it is validated before it is
written, and written atomically, so a kiosk never runs on a half-written or invalid rule file.
A file is found by its name: <program id>.toml.
"""

from __future__ import annotations

import contextlib
import os
from functools import lru_cache
from pathlib import Path

from kiosk.assets import assets_dir
from kiosk.domain.requirements import ProgramRules, parse_rules
from kiosk.errors import NotFoundError, RuleFileError

PROGRAMS_FOLDER = "programs"
RULE_SUFFIX = ".toml"


def shipped_rules_dir() -> Path:
    return assets_dir() / PROGRAMS_FOLDER


def override_rules_dir(data_dir: Path) -> Path:
    return Path(data_dir) / PROGRAMS_FOLDER


def read_rule_text(path: Path) -> str:
    """The text of a rule file; unreadable or non-UTF-8 files become RuleFileError."""
    try:
        # utf-8-sig: Notepad on the office PC may save a byte-order mark.
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RuleFileError(
            "the file is not UTF-8 text", code="rules.not_utf8", where=f"{path}:1"
        ) from exc
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path, exc: OSError) -> RuleFileError:
    reason = exc.strerror or type(exc).__name__
    return RuleFileError(
        f"cannot read the file: {reason}",
        code="rules.unreadable",
        where=str(path),
        params={"reason": reason},
    )


def read_rule_file(path: Path, *, program: str | None = None) -> ProgramRules:
    """Parse one rule file (any name); `program` also requires the file to declare that id."""
    stat = _stat(Path(path))
    return _parse_cached(str(path), (stat.st_ino, stat.st_mtime_ns, stat.st_size), program)


@lru_cache(maxsize=32)
def _parse_cached(path: str, version: tuple[int, int, int], program: str | None) -> ProgramRules:
    # Keyed on inode, modification time and size so an installed or edited file is read again at
    # once, while a kiosk checking one person after another does not re-parse the same file.
    return parse_rules(read_rule_text(Path(path)), path, program=program)


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def rule_file_for(program: str, data_dir: Path | None = None) -> Path | None:
    """The file that holds `program`'s rules: the device's override if any, else the shipped one."""
    candidates = [shipped_rules_dir() / f"{program}{RULE_SUFFIX}"]
    if data_dir is not None:
        candidates.insert(0, override_rules_dir(data_dir) / f"{program}{RULE_SUFFIX}")
    return next((path for path in candidates if path.is_file()), None)


def program_ids(data_dir: Path | None = None) -> tuple[str, ...]:
    """Every program with a rule file, shipped or installed on this device."""
    folders = [shipped_rules_dir()]
    if data_dir is not None:
        folders.append(override_rules_dir(data_dir))
    names = {
        path.stem
        for folder in folders
        if folder.is_dir()
        for path in folder.glob(f"*{RULE_SUFFIX}")
        if not path.name.startswith(".")  # our own temporary files while installing
    }
    return tuple(sorted(names))


def load_program(program: str, data_dir: Path | None = None) -> ProgramRules:
    """The rules in force for `program`; the device's override wins over the shipped file."""
    path = rule_file_for(program, data_dir)
    if path is None:
        known = ", ".join(program_ids(data_dir))
        raise NotFoundError(
            f"no rules for program {program!r}; programs: {known}",
            code="requirements.unknown_program",
            where="program",
            params={"program": program, "allowed": known},
        )
    return read_rule_file(path, program=program)


def load_programs(data_dir: Path | None = None) -> tuple[ProgramRules, ...]:
    return tuple(load_program(program, data_dir) for program in program_ids(data_dir))


def is_override(rules: ProgramRules, data_dir: Path | None) -> bool:
    """True when these rules came from the device's folder rather than from the release."""
    if data_dir is None:
        return False
    return Path(rules.source).resolve().parent == override_rules_dir(data_dir).resolve()


def install_rule_file(path: Path, data_dir: Path) -> ProgramRules:
    """Validate `path`, then put it in force as <data_dir>/programs/<id>.toml, atomically.

    An invalid file raises RuleFileError and leaves the rules in force untouched.
    """
    text = read_rule_text(path)
    rules = parse_rules(text, str(path))
    folder = override_rules_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{rules.program}{RULE_SUFFIX}"
    temporary = folder / f".{rules.program}{RULE_SUFFIX}.{os.getpid()}.tmp"
    try:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)  # atomic: readers see the old file or the new one
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        reason = exc.strerror or type(exc).__name__
        raise RuleFileError(
            f"cannot write the rule file: {reason}",
            code="rules.unwritable",
            where=str(target),
            params={"reason": reason},
        ) from exc
    _sync_folder(folder)
    return read_rule_file(target, program=rules.program)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a power cut must not bring the old file back."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
