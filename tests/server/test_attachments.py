"""Attachments by SHA-256: the server says which it lacks; chunks resume after a cut; size and hash
are checked before anything is kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sync.protocol import BUNDLE_CONTENT_TYPE, RecordStatus, encode_bundle
from sync.server.storage import audit
from tests.server.photos import padded_photo
from tests.server.records import push_body, submission_record


def _photo(size: int) -> tuple[bytes, str]:
    return padded_photo(size)  # what the server checks a photo's start for: a real header


def _put(client, sha, data, offset, total):
    return client.put(
        f"/v1/attachments/{sha}",
        params={"offset": offset, "total": total},
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )


def _upload(client, sha, data, chunk, start=0):
    answer = None
    for offset in range(start, len(data), chunk):
        answer = _put(client, sha, data[offset : offset + chunk], offset, len(data))
        assert answer.status_code == 200, answer.text
    return answer


def _missing(client, *shas):
    answer = client.post("/v1/attachments/query", json={"sha256s": list(shas)})
    assert answer.status_code == 200
    return answer.json()["missing"]


def test_the_server_says_which_attachments_it_lacks(live_server, device):
    data, sha = _photo(1000)
    _, other = _photo(10)
    chunk = live_server.settings.limits.chunk_bytes
    with device.client() as client:
        assert _missing(client, sha, other) == [sha, other]
        final = _upload(client, sha, data, chunk)
        assert final.json() == {"sha256": sha, "received": 1000, "complete": True}
        assert _missing(client, sha, other) == [other]
        bad = client.post("/v1/attachments/query", json={"sha256s": ["NOT-A-HASH"]})
        assert bad.status_code == 400


def test_a_cut_upload_resumes_from_what_the_server_holds(live_server, device):
    chunk = live_server.settings.limits.chunk_bytes
    data, sha = _photo(chunk * 3 + 123)
    with device.client() as client:
        assert client.get(f"/v1/attachments/{sha}").json()["received"] == 0
        for offset in (0, chunk):
            assert (
                _put(client, sha, data[offset : offset + chunk], offset, len(data)).status_code
                == 200
            )
    # The connection is cut after two chunks; a new session asks where to resume.
    with device.client() as client:
        status = client.get(f"/v1/attachments/{sha}").json()
        assert status == {"sha256": sha, "received": 2 * chunk, "complete": False}
        # The device re-sends the chunk it was unsure of: the server says where it really stands.
        repeat = _put(client, sha, data[chunk : 2 * chunk], chunk, len(data))
        assert repeat.status_code == 409
        assert repeat.json()["error"]["code"] == "bad_offset"
        assert repeat.json()["error"]["received"] == 2 * chunk
        final = _upload(client, sha, data, chunk, start=status["received"])
        assert final.json()["complete"] is True
        assert _missing(client, sha) == []
    stored = live_server.state.store
    with stored.open(sha) as handle:
        assert handle.read() == data


def test_a_record_waits_for_its_photo_then_is_accepted(live_server, device):
    data, sha = _photo(5000)
    record = submission_record(device.device_code, photos={"kk": data})
    assert record.attachments == (sha,)
    with device.client() as client:
        first = client.post("/v1/push", json=push_body(record)).json()["results"][0]
        assert first["status"] == RecordStatus.RETRY and first["missing_attachments"] == [sha]
        _upload(client, sha, data, live_server.settings.limits.chunk_bytes)
        second = client.post("/v1/push", json=push_body(record)).json()["results"][0]
    assert second["status"] == RecordStatus.ACCEPTED


@pytest.mark.parametrize("damage", ["hash", "size"])
def test_a_damaged_upload_is_refused_and_nothing_is_kept(live_server, device, damage):
    chunk = live_server.settings.limits.chunk_bytes
    data, sha = _photo(chunk + 500)
    sent = bytearray(data)
    if damage == "hash":
        sent[100] ^= 0xFF  # in the first chunk, past the header the server reads
    with device.client() as client:
        assert _put(client, sha, bytes(sent[:chunk]), 0, len(data)).status_code == 200
        rest = bytes(sent[chunk:]) + (b"extra" if damage == "size" else b"")
        last = _put(client, sha, rest, chunk, len(data))
        assert last.status_code == 422
        assert last.json()["error"]["code"] == f"{damage}_mismatch"
        assert client.get(f"/v1/attachments/{sha}").json() == {
            "sha256": sha,
            "received": 0,
            "complete": False,
        }
        assert _missing(client, sha) == [sha]
    assert live_server.state.store.size(sha) is None


def test_an_attachment_over_the_limit_is_refused_before_any_byte_is_kept(live_server, device):
    limit = live_server.settings.limits.max_attachment_bytes
    data, sha = _photo(100)
    with device.client() as client:
        answer = _put(client, sha, data, 0, limit + 1)
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "attachment_too_large"
        assert client.get(f"/v1/attachments/{sha}").json()["received"] == 0


def test_a_chunk_over_the_chunk_size_is_refused(live_server, device):
    chunk = live_server.settings.limits.chunk_bytes
    data, sha = _photo(chunk + 1)
    with device.client() as client:
        answer = _put(client, sha, data, 0, len(data))
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "body_too_large"


def test_sending_a_stored_attachment_again_is_harmless(live_server, device):
    data, sha = _photo(300)
    with device.client() as client:
        _upload(client, sha, data, 1000)
        again = _put(client, sha, data, 0, len(data))
        assert again.status_code == 200 and again.json()["complete"] is True
        other_total = _put(client, sha, data, 0, len(data) + 1)
        assert other_total.status_code == 422


def test_attachment_endpoints_need_a_credential(live_server):
    _, sha = _photo(10)
    with live_server.client() as client:
        assert client.get(f"/v1/attachments/{sha}").status_code == 401
        assert _put(client, sha, b"x", 0, 1).status_code == 401


def test_a_photo_in_one_chunk_with_the_wrong_hash_is_refused_and_not_kept(live_server, device):
    data, sha = _photo(700)
    with device.client() as client:
        answer = _put(client, sha, data[:-1] + b"?", 0, len(data))
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert (error["code"], error["received"]) == ("hash_mismatch", 0)
        assert _missing(client, sha) == [sha]
        assert _put(client, sha, data, 0, len(data)).json()["complete"] is True
    with live_server.state.store.open(sha) as handle:
        assert handle.read() == data


def test_a_device_starting_again_from_byte_0_is_told_where_the_server_stands(live_server, device):
    small = live_server.settings.limits.chunk_bytes
    data, sha = _photo(small + 10)
    with device.client() as client:
        assert _put(client, sha, data[:small], 0, len(data)).status_code == 200
        # The device starts again from byte 0: the server says where it stands instead.
        again = _put(client, sha, data[:small], 0, len(data))
        assert again.status_code == 409 and again.json()["error"]["received"] == small
        assert _put(client, sha, data[small:], small, len(data)).json()["complete"] is True
    assert live_server.state.store.received(sha) == 0  # no partial file left behind


def test_a_registered_photo_missing_from_the_store_counts_as_missing(live_server, device):
    """The registry is not trusted alone: a lost object is asked for again, and a record that
    needs it waits for it rather than pointing at nothing."""
    data, sha = _photo(900)
    record = submission_record(device.device_code, photos={"kk": data})
    with device.client() as client:
        _upload(client, sha, data, 1000)
        assert _missing(client, sha) == []
        (live_server.settings.attachments_dir / "objects" / sha[:2] / sha).unlink()  # lost
        assert _missing(client, sha) == [sha]
        assert client.get(f"/v1/attachments/{sha}").json()["complete"] is False
        pushed = client.post("/v1/push", json=push_body(record)).json()["results"][0]
        assert pushed["status"] == RecordStatus.RETRY and pushed["missing_attachments"] == [sha]
        assert _upload(client, sha, data, 1000).json()["complete"] is True
        assert _missing(client, sha) == []
        again = client.post("/v1/push", json=push_body(record)).json()["results"][0]
    assert again["status"] == RecordStatus.ACCEPTED


# -- bundles: several whole photos in one request ---------------------------------------------


def _bundle(client, parts, **headers):
    return client.post(
        "/v1/attachments/bundle",
        content=encode_bundle(parts),
        headers={"Content-Type": BUNDLE_CONTENT_TYPE, **headers},
    )


def _audit_outcomes(live_server, *shas):
    with live_server.state.database.read() as connection:
        rows = connection.execute(
            select(audit.c.fingerprint, audit.c.outcome, audit.c.code).where(
                audit.c.fingerprint.in_(shas)
            )
        ).all()
    return sorted((row.fingerprint, row.outcome, row.code) for row in rows)


def test_the_limits_offer_bundles(live_server):
    limits = live_server.settings.limits
    assert limits.attachment_bundles is True and limits.max_bundle_photos >= 2


def test_a_bundle_of_photos_is_kept_and_registered_with_an_audit_row_each(live_server, device):
    photos = [_photo(size) for size in (700, 1500, live_server.settings.limits.chunk_bytes)]
    shas = [sha for _, sha in photos]
    with device.client() as client:
        answer = _bundle(client, [(sha, data) for data, sha in photos])
        assert answer.status_code == 200, answer.text
        assert answer.json()["results"] == [
            {"sha256": sha, "complete": True, "received": len(data)} for data, sha in photos
        ]
        assert _missing(client, *shas) == []
        # Sent again (an answer lost on the way): harmless, and nothing is stored twice.
        again = _bundle(client, [(sha, data) for data, sha in photos])
        assert [result["complete"] for result in again.json()["results"]] == [True] * 3
    for data, sha in photos:
        with live_server.state.store.open(sha) as handle:
            assert handle.read() == data
    assert _audit_outcomes(live_server, *shas) == sorted((sha, "stored", None) for sha in shas)


def test_a_photo_with_the_wrong_hash_is_refused_by_name_and_the_others_kept(live_server, device):
    good, sha_good = _photo(800)
    bad, sha_bad = _photo(900)
    other, sha_other = _photo(1000)
    damaged = bad[:-1] + bytes([bad[-1] ^ 1])
    with device.client() as client:
        answer = _bundle(client, [(sha_good, good), (sha_bad, damaged), (sha_other, other)])
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert [result["sha256"] for result in results] == [sha_good, sha_bad, sha_other]
        assert [result["complete"] for result in results] == [True, False, True]
        assert results[1]["code"] == "hash_mismatch" and results[1]["message"]["en"]
        assert _missing(client, sha_good, sha_bad, sha_other) == [sha_bad]
    store = live_server.state.store
    assert store.size(sha_bad) is None and store.received(sha_bad) == 0  # nothing half-way
    assert not list(store.partial.glob(f"{sha_bad}*"))
    assert _audit_outcomes(live_server, sha_good, sha_bad, sha_other) == sorted(
        [
            (sha_good, "stored", None),
            (sha_bad, "refused", "hash_mismatch"),
            (sha_other, "stored", None),
        ]
    )


def test_a_bundle_over_the_body_limit_is_refused_before_it_is_read(live_server, device):
    limits = live_server.settings.limits
    photos = [
        _photo(limits.chunk_bytes) for _ in range(limits.max_body_bytes // limits.chunk_bytes)
    ]
    with device.client() as client:
        answer = _bundle(client, [(sha, data) for data, sha in photos])
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "body_too_large"
        assert _missing(client, *(sha for _, sha in photos)) == [sha for _, sha in photos]


def test_a_bundle_that_breaks_a_rule_is_refused_whole(live_server, device):
    limits = live_server.settings.limits
    big, sha_big = _photo(limits.chunk_bytes + 1)
    small, sha_small = _photo(10)
    with device.client() as client:
        too_big = _bundle(client, [(sha_small, small), (sha_big, big)])
        assert too_big.status_code == 413
        assert too_big.json()["error"]["code"] == "attachment_too_large"
        twice = _bundle(client, [(sha_small, small), (sha_small, small)])
        assert twice.status_code == 400
        many = [_photo(1) for _ in range(limits.max_bundle_photos + 1)]
        crowded = _bundle(client, [(sha, data) for data, sha in many])
        assert crowded.status_code == 413
        assert crowded.json()["error"]["code"] == "batch_too_large"
        body = encode_bundle([(sha_small, small)])
        for broken in (body[:-1], body + b"x", b"\x00\x00", b"\x00\x00\x00\x09not json!"):
            answer = client.post(
                "/v1/attachments/bundle",
                content=broken,
                headers={"Content-Type": BUNDLE_CONTENT_TYPE},
            )
            assert answer.status_code == 400, broken
            assert answer.json()["error"]["code"] == "malformed_request"
        assert _missing(client, sha_small, sha_big) == [sha_small, sha_big]


def test_bundles_need_a_credential(live_server):
    data, sha = _photo(10)
    with live_server.client() as client:
        answer = _bundle(client, [(sha, data)])
    assert answer.status_code == 401
