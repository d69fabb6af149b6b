"""The device's receipt key: made once, kept, the same for every process, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.bootstrap import open_kiosk
from kiosk.errors import StoreError
from kiosk.store.keys import KEY_BYTES, RECEIPT_KEY, receipt_key
from kiosk.store.records import get_meta, set_meta


def test_the_key_is_32_random_bytes_made_on_first_use(fresh_db):
    assert get_meta(fresh_db, RECEIPT_KEY) is None
    key = receipt_key(fresh_db)
    assert len(key) == KEY_BYTES
    assert receipt_key(fresh_db) == key


def test_two_devices_get_different_keys(fresh_db):
    from kiosk.store.database import open_database

    other = open_database(":memory:")
    try:
        assert receipt_key(fresh_db) != receipt_key(other)
    finally:
        other.close()


def test_the_key_survives_closing_and_is_shared_by_every_process(data_dir: Path):
    first = open_kiosk(data_dir)
    second = open_kiosk(data_dir)
    try:
        key = receipt_key(first.db)
        assert receipt_key(second.db) == key
    finally:
        first.close()
        second.close()
    reopened = open_kiosk(data_dir)
    try:
        assert receipt_key(reopened.db) == key
    finally:
        reopened.close()


def test_a_damaged_key_is_refused_without_showing_it(fresh_db):
    set_meta(fresh_db, RECEIPT_KEY, "not-hex-secret-value")
    with pytest.raises(StoreError) as caught:
        receipt_key(fresh_db)
    assert "secret" not in str(caught.value)
    assert caught.value.code == "receipt.key_damaged"
