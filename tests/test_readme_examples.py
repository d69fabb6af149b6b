"""Examples the README gives an operator still work with the code they describe."""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.settings import load_device_settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_settings_example_loads_as_written(tmp_path):
    example = re.search(r"```toml\n(\[scanner\].*?)```", README.read_text(encoding="utf-8"), re.S)
    assert example is not None, "the README lost its settings.toml example"
    (tmp_path / "settings.toml").write_text(example.group(1), encoding="utf-8")
    settings = load_device_settings(tmp_path)
    assert settings.scanner.prefixes == ("#",)
    assert settings.camera.frame_interval_ms == 300
