"""A device attaches only photos it sent itself (issue 11, item 14).

Knowing a photo's SHA-256 is not having the photo: a record may name a photo only when its own
device uploaded those bytes (or, for photos already on the server, sent them again and they
hashed right). Another device's photo is asked for as missing; named anyway, the record is refused
on its own with a stable reason.
"""

from __future__ import annotations

from sqlalchemy import select

from sync.protocol import BUNDLE_CONTENT_TYPE, PushResponse, RecordStatus, encode_bundle
from sync.server.storage import records
from tests.server.photos import padded_photo
from tests.server.records import push_body, submission_record

NOT_OWNED = "server.reject.photo_not_owned"


def _put_whole(device, sha, data):
    with device.client() as client:
        answer = client.put(
            f"/v1/attachments/{sha}",
            params={"offset": 0, "total": len(data)},
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _push(device, *outbox):
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(*outbox))
    assert answer.status_code == 200, answer.text
    return PushResponse.model_validate(answer.json()).results


def _missing(device, *shas):
    with device.client() as client:
        answer = client.post("/v1/attachments/query", json={"sha256s": list(shas)})
    assert answer.status_code == 200
    return answer.json()["missing"]


def _with_photo(device, data):
    return submission_record(device.device_code, shown=("kk",), photos={"kk": data})


def _stored(live_server, client_id):
    with live_server.state.database.read() as connection:
        return connection.execute(
            select(records.c.id).where(records.c.client_id == client_id)
        ).first()


def test_a_device_cannot_attach_another_devices_photo_by_its_hash(live_server, device):
    data, sha = padded_photo(2000)
    _put_whole(device, sha, data)
    assert [r.status for r in _push(device, _with_photo(device, data))] == [RecordStatus.ACCEPTED]
    thief = live_server.enroll()
    stolen = _with_photo(thief, data)
    [result] = _push(thief, stolen)
    assert result.status is RecordStatus.REJECTED and result.reason == NOT_OWNED
    assert result.field == "attachments"
    assert "another device" in result.message.en and "perangkat lain" in result.message.id
    assert _stored(live_server, stolen.client_id) is None


def test_another_devices_photo_is_missing_for_a_device_until_it_sends_the_bytes(
    live_server, device
):
    data, sha = padded_photo(1500)
    _put_whole(device, sha, data)
    other = live_server.enroll()
    assert _missing(device, sha) == []
    assert _missing(other, sha) == [sha]
    assert _put_whole(other, sha, data)["complete"] is True  # the same bytes: it has the photo
    assert _missing(other, sha) == []
    assert [r.status for r in _push(other, _with_photo(other, data))] == [RecordStatus.ACCEPTED]


def test_a_photo_sent_again_in_a_bundle_with_the_right_bytes_becomes_the_devices_own(
    live_server, device
):
    data, sha = padded_photo(900)
    _put_whole(device, sha, data)
    other = live_server.enroll()
    with other.client() as client:
        answer = client.post(
            "/v1/attachments/bundle",
            content=encode_bundle([(sha, data)]),
            headers={"Content-Type": BUNDLE_CONTENT_TYPE},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["complete"] is True
    assert _missing(other, sha) == []
