"""Rule files on disk: shipped ones load, a device's override wins, installing is all or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.errors import NotFoundError, RuleFileError
from kiosk.store.rules import (
    install_rule_file,
    is_override,
    load_program,
    load_programs,
    override_rules_dir,
    program_ids,
    read_rule_file,
    shipped_rules_dir,
)

RULES = Path(__file__).parent.parent / "assets" / "rules"


def shipped_text(program: str) -> str:
    return (shipped_rules_dir() / f"{program}.toml").read_text(encoding="utf-8")


def with_version(program: str, version: str) -> str:
    text = shipped_text(program)
    lines = [
        f'version = "{version}"' if line.startswith("version = ") else line
        for line in text.splitlines()
    ]
    return "\n".join(lines) + "\n"


def test_the_shipped_programs_load_without_a_data_folder():
    assert program_ids() == ("kjp-plus", "pkh")
    assert [rules.program for rules in load_programs()] == ["kjp-plus", "pkh"]


def test_shipped_rules_are_not_an_override(data_dir: Path):
    rules = load_program("kjp-plus", data_dir)
    assert not is_override(rules, data_dir)
    assert Path(rules.source) == shipped_rules_dir() / "kjp-plus.toml"


def test_an_override_in_the_data_folder_wins(data_dir: Path):
    folder = override_rules_dir(data_dir)
    folder.mkdir(parents=True)
    (folder / "pkh.toml").write_text(with_version("pkh", "2099.1"), encoding="utf-8")
    rules = load_program("pkh", data_dir)
    assert rules.version == "2099.1"
    assert is_override(rules, data_dir)
    assert load_program("kjp-plus", data_dir).version != "2099.1"


def test_a_new_program_can_be_added_on_the_device(data_dir: Path):
    folder = override_rules_dir(data_dir)
    folder.mkdir(parents=True)
    shutil.copy(RULES / "valid-demo.toml", folder / "demo.toml")
    assert program_ids(data_dir) == ("demo", "kjp-plus", "pkh")
    assert load_program("demo", data_dir).name["en"] == "Demo Programme"


def test_a_broken_override_is_reported_with_its_file_and_line(data_dir: Path):
    folder = override_rules_dir(data_dir)
    folder.mkdir(parents=True)
    broken = folder / "demo.toml"
    shutil.copy(RULES / "bad-condition.toml", broken)
    with pytest.raises(RuleFileError) as caught:
        load_program("demo", data_dir)
    assert caught.value.where == f"{broken}:41"


def test_an_override_named_for_another_program_is_refused(data_dir: Path):
    folder = override_rules_dir(data_dir)
    folder.mkdir(parents=True)
    shutil.copy(RULES / "valid-demo.toml", folder / "pkh.toml")
    with pytest.raises(RuleFileError) as caught:
        load_program("pkh", data_dir)
    assert caught.value.code == "rules.wrong_file_name"


def test_an_unknown_program_names_the_programs_there_are(data_dir: Path):
    with pytest.raises(NotFoundError) as caught:
        load_program("bpnt", data_dir)
    assert caught.value.params["allowed"] == "kjp-plus, pkh"


def test_an_edited_file_is_read_again(data_dir: Path):
    folder = override_rules_dir(data_dir)
    folder.mkdir(parents=True)
    target = folder / "pkh.toml"
    target.write_text(with_version("pkh", "1"), encoding="utf-8")
    assert load_program("pkh", data_dir).version == "1"
    target.write_text(with_version("pkh", "22"), encoding="utf-8")
    assert load_program("pkh", data_dir).version == "22"


def test_a_file_with_a_byte_order_mark_is_accepted(tmp_path: Path):
    path = tmp_path / "demo.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (RULES / "valid-demo.toml").read_bytes())
    assert read_rule_file(path).program == "demo"


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path):
    path = tmp_path / "demo.toml"
    path.write_bytes((RULES / "valid-demo.toml").read_bytes() + b"# \xff\xfe\n")
    with pytest.raises(RuleFileError) as caught:
        read_rule_file(path)
    assert caught.value.code == "rules.not_utf8"


def test_a_missing_file_is_a_rule_file_error(tmp_path: Path):
    with pytest.raises(RuleFileError) as caught:
        read_rule_file(tmp_path / "nothing.toml")
    assert caught.value.code == "rules.unreadable"


# --- installing ---------------------------------------------------------------------------------


def test_install_puts_the_file_in_force_under_its_program_id(data_dir: Path, tmp_path: Path):
    source = tmp_path / "pkh-revisi-april.toml"
    source.write_text(with_version("pkh", "2025.2"), encoding="utf-8")
    installed = install_rule_file(source, data_dir)
    target = override_rules_dir(data_dir) / "pkh.toml"
    assert installed.source == str(target)
    assert target.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")
    assert load_program("pkh", data_dir).version == "2025.2"
    assert [path.name for path in override_rules_dir(data_dir).iterdir()] == ["pkh.toml"]


def test_install_refuses_an_invalid_file_and_keeps_the_old_one(data_dir: Path, tmp_path: Path):
    good = tmp_path / "pkh.toml"
    good.write_text(with_version("pkh", "7"), encoding="utf-8")
    install_rule_file(good, data_dir)
    target = override_rules_dir(data_dir) / "pkh.toml"
    before = target.read_bytes()

    bad = tmp_path / "pkh-bad.toml"
    bad.write_text(with_version("pkh", "8").replace("pakai_kks = true", "pakai_kks = 1"), "utf-8")
    with pytest.raises(RuleFileError) as caught:
        install_rule_file(bad, data_dir)
    assert caught.value.where is not None and caught.value.where.startswith(f"{bad}:")
    assert target.read_bytes() == before
    assert load_program("pkh", data_dir).version == "7"
    assert [path.name for path in override_rules_dir(data_dir).iterdir()] == ["pkh.toml"]


def test_install_of_a_syntax_error_writes_nothing(data_dir: Path):
    with pytest.raises(RuleFileError) as caught:
        install_rule_file(RULES / "syntax-error.toml", data_dir)
    assert caught.value.code == "rules.syntax"
    assert not override_rules_dir(data_dir).exists()
