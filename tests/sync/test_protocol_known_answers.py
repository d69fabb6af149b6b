"""Known answers for the sync wire format: exact bytes a device sends and answers it must read.

Devices in the field and the server are upgraded at different times, so protocol 1's bytes may
only grow by additions. A change to key order, spacing, escaping, field names or the fingerprint's
hash would make every resend look like a conflict, or an older server refuse the request.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import httpx

from sync.client import SyncClient
from sync.protocol import (
    BundleHeader,
    ErrorCode,
    OutboxRecord,
    PushRequest,
    PushResponse,
    RecordStatus,
    body_fingerprint,
    canonical_json,
    decode_bundle,
    encode_bundle,
)

BODY = {
    "program": "kjp-plus",
    "stage": 1,
    "applicant": {"nik": "3174011405090003", "name": "Nama Contoh"},
    "note": "Dokumen lengkap — ✓",
}
SHA = "ab" * 32
RECORD = OutboxRecord(
    client_id="c0ffee00-0000-4000-8000-000000000001",
    kind="submission",
    body=BODY,
    attachments=(SHA,),
)
# Sorted keys at every depth, no spaces, UTF-8 as is (no \u escapes).
BODY_BYTES = (
    '{"applicant":{"name":"Nama Contoh","nik":"3174011405090003"},'
    '"note":"Dokumen lengkap — ✓","program":"kjp-plus","stage":1}'
).encode()
PUSH_BYTES = (
    '{"compact_results":false,"protocol":1,"records":[{"attachments":["' + SHA + '"],'
    '"body":' + BODY_BYTES.decode() + ',"client_id":"c0ffee00-0000-4000-8000-000000000001",'
    '"kind":"submission"}]}'
).encode()
# What a server answers to a compact push: accepted records are left out, the rest have a reason.
PUSH_ANSWER = (
    '{"results":[{"client_id":"c0ffee00-0000-4000-8000-000000000001","status":"conflict",'
    '"code":"conflict","message":{"id":"Berbeda dari yang tersimpan.","en":"Differs."}},'
    '{"client_id":"c2","status":"rejected","code":"invalid_record","reason":"nik.day_out_of_range",'
    '"field":"applicant.nik"}],"server_time":"2026-03-02T08:00:00Z"}'
)


def test_a_record_body_has_exactly_this_canonical_json_and_fingerprint():
    assert canonical_json(BODY) == BODY_BYTES
    assert body_fingerprint(BODY) == (
        "8818d792480912d7a521d65959d6dea6bcc73fca99c8c10081197911255dc1da"
    )
    assert RECORD.fingerprint == body_fingerprint(BODY)


def test_a_push_request_is_exactly_these_bytes():
    request = PushRequest(records=(RECORD,))
    assert canonical_json(request.model_dump(mode="json")) == PUSH_BYTES


def test_the_client_sends_exactly_these_bytes_gzipped_with_the_protocol_headers():
    sent: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            200, content=PUSH_ANSWER.encode(), headers={"Content-Type": "application/json"}
        )

    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        answer = SyncClient(http, "https://sync.example", credential="secret").push([RECORD])
    [request] = sent
    assert request.method == "POST" and request.url.path == "/v1/push"
    assert request.headers["Lengkap-Protocol"] == "1"
    assert request.headers["Authorization"] == "Bearer secret"
    assert request.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(request.content) == PUSH_BYTES
    assert [result.status for result in answer.results] == [
        RecordStatus.CONFLICT,
        RecordStatus.REJECTED,
    ]


def test_a_known_server_answer_reads_as_these_results():
    answer = PushResponse.model_validate_json(PUSH_ANSWER)
    conflict, rejected = answer.results
    assert (conflict.status, conflict.code) == (RecordStatus.CONFLICT, ErrorCode.CONFLICT)
    assert conflict.message is not None and conflict.message.en == "Differs."
    assert (rejected.reason, rejected.field) == ("nik.day_out_of_range", "applicant.nik")
    assert rejected.missing_attachments == ()
    assert answer.server_time == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_a_photo_bundle_is_a_four_byte_length_then_the_header_then_the_bytes():
    header = b'{"parts":[{"sha256":"' + SHA.encode() + b'","size":3},{"sha256":"' + b"cd" * 32
    header += b'","size":2}],"protocol":1}'
    body = encode_bundle([(SHA, b"xyz"), ("cd" * 32, b"pq")])
    assert body == len(header).to_bytes(4, "big") + header + b"xyzpq"
    assert body[:4] == b"\x00\x00\x00\xc6"  # 198 bytes of header
    parsed, parts = decode_bundle(body)
    assert isinstance(parsed, BundleHeader) and parts == [b"xyz", b"pq"]
    assert json.loads(header)["protocol"] == 1
