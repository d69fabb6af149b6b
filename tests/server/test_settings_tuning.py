"""The server's protective limits can be tuned from the environment, and a bad value is one clear
line, not a traceback or a silently ignored setting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.server.errors import AdminError
from sync.server.settings import ServerSettings


def test_limits_are_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_SERVER_BODY_SECONDS", "12.5")
    monkeypatch.setenv("KIOSK_SERVER_DEVICE_CONCURRENCY", "2")
    monkeypatch.setenv("KIOSK_SERVER_ABANDONED_UPLOAD_AGE", "3600")
    monkeypatch.setenv("KIOSK_SERVER_MIN_FREE_BYTES", "1000")
    settings = ServerSettings.resolve(tmp_path)
    assert settings.body_seconds == 12.5
    assert settings.device_concurrency == 2
    assert settings.abandoned_upload_age == timedelta(hours=1)
    assert settings.min_free_bytes == 1000


def test_an_explicit_setting_wins_over_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_SERVER_DEVICE_CONCURRENCY", "2")
    assert ServerSettings.resolve(tmp_path, device_concurrency=5).device_concurrency == 5


@pytest.mark.parametrize("value", ["many", "-1", "nan"])
def test_a_value_that_is_no_number_of_zero_or_more_is_refused_by_name(monkeypatch, tmp_path, value):
    monkeypatch.setenv("KIOSK_SERVER_BODY_MIN_RATE", value)
    with pytest.raises(AdminError) as refused:
        ServerSettings.resolve(tmp_path)
    assert "KIOSK_SERVER_BODY_MIN_RATE" in refused.value.message("en")
