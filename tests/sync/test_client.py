"""The sync client: gzip JSON out, only real answers in, every failure a SyncError with its cause."""

from __future__ import annotations

import gzip
import hashlib
import json
import os

import httpx
import pytest

from sync.client import SyncClient, normalise_server_url
from sync.errors import (
    AuthRejected,
    BadServerAddress,
    CaptivePortal,
    EnrollmentRefused,
    ProtocolMismatch,
    RequestRefused,
    ServerBusy,
    ServerError,
    Unreachable,
)
from sync.protocol import ErrorCode, Limits, OutboxRecord, RecordStatus
from tests.sync.fake_server import BASE_URL, FakeServer, answer, cut, error


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def client(server: FakeServer):
    with server.http() as http:
        yield SyncClient(http, BASE_URL, server.credential)


def _record(client_id: str = "c-1", **body) -> OutboxRecord:
    return OutboxRecord(
        client_id=client_id,
        kind="submission",
        body={"client_id": client_id, "note": "Siti Rahmawati " * 40, **body},
    )


def test_a_push_goes_as_gzip_json_with_the_protocol_header_and_credential(server, client):
    seen: list[httpx.Request] = []
    server.before.append(lambda request: seen.append(request))
    response = client.push([_record("c-1"), _record("c-2")])
    assert [r.status for r in response.results] == [RecordStatus.ACCEPTED] * 2
    request = seen[0]
    assert request.headers["content-encoding"] == "gzip"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["lengkap-protocol"] == "1"
    assert request.headers["authorization"] == f"Bearer {server.credential}"
    raw = gzip.decompress(request.content)
    assert json.loads(raw)["records"][0]["client_id"] == "c-1"
    assert len(request.content) < len(raw) / 5  # the wire carries the compressed payload


def test_a_captive_portal_login_page_with_200_is_not_counted_as_sent(server, client):
    portal = httpx.Response(200, html="<html><form>Login Wi-Fi Desa</form></html>")
    server.before.append(answer(portal, path="/v1/push"))
    with pytest.raises(CaptivePortal) as caught:
        client.push([_record()])
    assert caught.value.retryable
    assert server.records == {}


def test_json_of_the_wrong_shape_is_a_protocol_mismatch_not_a_success(server, client):
    server.before.append(answer(httpx.Response(200, json={"ok": True}), path="/v1/push"))
    with pytest.raises(ProtocolMismatch):
        client.push([_record()])


def test_fields_a_newer_server_added_to_an_answer_are_ignored(server, client):
    newer = {
        "results": [{"client_id": "c-1", "status": "accepted", "queue_position": 4}],
        "server_time": "2026-08-03T03:00:00+00:00",
        "region_load": 0.3,
    }
    server.before.append(answer(httpx.Response(200, json=newer), path="/v1/push"))
    assert client.push([_record()]).results[0].status == RecordStatus.ACCEPTED


def test_an_answer_that_claims_json_but_is_not_is_not_the_server(server, client):
    garbled = httpx.Response(200, content=b"<html>", headers={"content-type": "application/json"})
    server.before.append(answer(garbled))
    with pytest.raises(CaptivePortal):
        client.limits()


def test_another_success_status_than_the_documented_ones_does_not_count(server, client):
    server.before.append(answer(httpx.Response(204), path="/v1/push"))
    with pytest.raises(CaptivePortal):
        client.push([_record()])


def test_a_redirect_on_the_same_host_is_followed_with_the_body(server, client):
    moved = httpx.Response(307, headers={"location": f"{BASE_URL}/v1/push"})
    server.before.append(answer(moved, path="/v1/push"))
    response = client.push([_record()])
    assert response.results[0].status == RecordStatus.ACCEPTED
    assert [entry[:2] for entry in server.log] == [("POST", "/v1/push")] * 2


def test_a_redirect_to_another_host_is_not_followed(server, client):
    portal = httpx.Response(302, headers={"location": "http://login.wifi.example/portal"})
    server.before.append(answer(portal))
    with pytest.raises(CaptivePortal):
        client.limits()
    assert len(server.log) == 1


def test_a_redirect_from_https_down_to_http_is_not_followed(server, client):
    down = httpx.Response(301, headers={"location": "http://lengkap.test/v1/limits"})
    server.before.append(answer(down))
    with pytest.raises(CaptivePortal):
        client.limits()


@pytest.mark.parametrize("status", [429, 503])
def test_busy_answers_carry_the_retry_after_seconds(server, client, status):
    server.before.append(answer(error(status, ErrorCode.OVERLOADED, headers={"Retry-After": "7"})))
    with pytest.raises(ServerBusy) as caught:
        client.limits()
    assert caught.value.retry_after == 7
    assert caught.value.retryable


def test_retry_after_as_an_http_date_is_measured_on_the_servers_clock(server, client):
    busy = httpx.Response(
        503,
        headers={
            "Retry-After": "Mon, 03 Aug 2026 03:00:30 GMT",
            "Date": "Mon, 03 Aug 2026 03:00:00 GMT",
        },
    )
    server.before.append(answer(busy))
    with pytest.raises(ServerBusy) as caught:
        client.limits()
    assert caught.value.retry_after == 30


def test_retry_after_may_come_in_the_error_body(server, client):
    server.before.append(answer(error(429, ErrorCode.OVERLOADED, retry_after=4.5)))
    with pytest.raises(ServerBusy) as caught:
        client.limits()
    assert caught.value.retry_after == 4.5


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, json={"detail": "boom"}),
        httpx.Response(502, html="<h1>Bad gateway</h1>"),
    ],
)
def test_server_failures_are_server_errors_to_retry(server, client, response):
    server.before.append(answer(response))
    with pytest.raises(ServerError) as caught:
        client.limits()
    assert caught.value.retryable


def test_a_revoked_device_is_told_apart_from_an_unknown_one(server):
    with server.http() as http:
        server.revoked = True
        with pytest.raises(AuthRejected) as revoked:
            SyncClient(http, BASE_URL, server.credential).limits()
        server.revoked = False
        with pytest.raises(AuthRejected) as unknown:
            SyncClient(http, BASE_URL, "not-the-credential").limits()
    assert (revoked.value.reason, unknown.value.reason) == ("revoked", "unknown")
    assert revoked.value.code == "sync.revoked_device"
    assert not revoked.value.retryable


def test_a_dropped_connection_is_unreachable_with_its_cause_and_no_secret(server, client):
    server.before.append(cut())
    with pytest.raises(Unreachable) as caught:
        client.push([_record()])
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert caught.value.retryable
    assert server.credential not in str(caught.value)
    assert server.credential not in repr(client)
    assert "Siti" not in str(caught.value)


def test_a_refusal_carries_the_stable_code_and_the_servers_sentence(server, client):
    server.before.append(answer(error(413, ErrorCode.BODY_TOO_LARGE)))
    with pytest.raises(RequestRefused) as caught:
        client.push([_record()])
    assert caught.value.error_code == ErrorCode.BODY_TOO_LARGE
    assert caught.value.message == {"id": "id:body_too_large", "en": "en:body_too_large"}
    assert not caught.value.retryable


def test_an_error_code_newer_than_this_kiosk_is_still_a_refusal(server, client):
    newer = httpx.Response(400, json={"error": {"code": "quota_exceeded", "message": {}}})
    server.before.append(answer(newer))
    with pytest.raises(RequestRefused) as caught:
        client.limits()
    assert caught.value.error_code == "quota_exceeded"


def test_a_server_speaking_only_another_protocol_version_is_refused(server, client):
    server.limits = Limits(protocol_versions=(2,))
    with pytest.raises(ProtocolMismatch):
        client.limits()


def test_enrollment_exchanges_the_code_without_a_credential(server):
    seen: list[httpx.Request] = []
    server.before.append(lambda request: seen.append(request))
    with server.http() as http:
        answer_ = SyncClient(http, BASE_URL).enroll(" ENROLL-1234 ")
        assert answer_.credential == server.credential
        assert "authorization" not in seen[0].headers
        with pytest.raises(EnrollmentRefused):
            SyncClient(http, BASE_URL).enroll("ENROLL-1234")  # used once already
        with pytest.raises(EnrollmentRefused):
            SyncClient(http, BASE_URL).enroll("abc")  # too short to be a code
    assert len(seen) == 2


@pytest.mark.parametrize(
    "url", ["lengkap.go.id", "ftp://lengkap.go.id", "https://", "http://x/?a=1"]
)
def test_a_server_address_must_be_http_or_https_with_a_host(url):
    with pytest.raises(BadServerAddress):
        normalise_server_url(url)


def test_a_server_address_keeps_its_path_without_the_trailing_slash():
    assert normalise_server_url(" https://pusat.go.id/lengkap/ ") == "https://pusat.go.id/lengkap"


# -- resumable uploads -----------------------------------------------------------------------


@pytest.fixture
def photo(tmp_path):
    data = os.urandom(10_500)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), path, len(data)


def _small_chunks(server: FakeServer, client: SyncClient) -> None:
    server.limits = Limits(chunk_bytes=1000)
    client.limits()


def test_an_upload_goes_in_chunks_of_the_advertised_size(server, client, photo):
    sha, path, size = photo
    _small_chunks(server, client)
    progress: list[int] = []
    status = client.upload_attachment(sha, path, size, lambda done, total: progress.append(done))
    assert status.complete and sha in server.complete
    puts = [entry for entry in server.log if entry[0] == "PUT"]
    assert len(puts) == 11 and max(entry[2] for entry in puts) == 1000
    assert progress[0] == 0 and progress[-1] == size and progress == sorted(progress)


def test_after_a_cut_the_upload_resumes_re_sending_at_most_one_chunk(server, client, photo):
    sha, path, size = photo
    _small_chunks(server, client)

    def cut_the_fourth_put_after_storing(request, response):
        if request.method == "PUT" and request.url.params["offset"] == "3000":
            raise httpx.ReadError("link dropped", request=request)
        return response

    sent: list[tuple[int, int]] = []  # (offset, bytes) of every PUT that left, cut or not
    server.before.append(
        lambda request: (
            sent.append((int(request.url.params["offset"]), len(request.content)))
            if request.method == "PUT"
            else None
        )
    )
    server.before.append(cut(path=f"/v1/attachments/{sha}", method="PUT"))  # the first PUT fails
    server.after.append(cut_the_fourth_put_after_storing)
    status = client.upload_attachment(sha, path, size)
    assert status.complete
    assert bytes(server.attachments[sha]) == path.read_bytes()
    offsets = [offset for offset, _ in sent]
    assert offsets.count(0) == 2  # cut before the server stored it: sent again
    assert offsets.count(3000) == 1  # stored, only the answer was lost: not sent again
    assert sum(length for _, length in sent) <= size + 1000


def test_an_upload_continues_from_what_the_server_already_holds(server, client, photo):
    sha, path, size = photo
    _small_chunks(server, client)
    server.attachments[sha] = bytearray(path.read_bytes()[:4000])  # from an earlier, cut run
    client.upload_attachment(sha, path, size)
    assert server.put_bytes == size - 4000
    assert sha in server.complete


def test_a_bad_offset_makes_the_client_ask_where_to_continue(server, client, photo):
    sha, path, size = photo
    _small_chunks(server, client)
    calls = {"n": 0}

    def grow_behind_the_clients_back(request):
        # Another attempt (e.g. the previous process) landed bytes between status and PUT.
        if request.method == "PUT" and calls["n"] == 0:
            calls["n"] += 1
            server.attachments[sha] = bytearray(path.read_bytes()[:2000])
        return None

    server.before.append(grow_behind_the_clients_back)
    client.upload_attachment(sha, path, size)
    assert bytes(server.attachments[sha]) == path.read_bytes()


def test_an_upload_gives_up_when_the_link_stays_down(server, client, photo):
    sha, path, size = photo
    _small_chunks(server, client)
    server.before.append(cut(times=100, method="PUT"))
    with pytest.raises(Unreachable):
        client.upload_attachment(sha, path, size)


def test_a_photo_whose_bytes_do_not_match_its_hash_is_refused(server, client, photo):
    _sha, path, size = photo
    wrong = "0" * 64
    with pytest.raises(RequestRefused) as caught:
        client.upload_attachment(wrong, path, size)
    assert caught.value.error_code == ErrorCode.HASH_MISMATCH


def test_a_server_from_before_surveys_and_compact_answers_is_not_sent_them(server, client):
    older = Limits().model_dump(mode="json")
    del older["record_kinds"], older["compact_results"]
    server.before.append(answer(httpx.Response(200, json=older), path="/v1/limits"))
    limits = client.limits()
    assert limits.record_kinds == ("submission", "complaint")
    assert limits.compact_results is False
    current = client.limits()
    assert "survey" in current.record_kinds and current.compact_results is True


def test_a_compact_push_asks_for_it_and_a_full_push_does_not(server, client):
    sent: list[dict] = []
    server.before.append(
        lambda request: sent.append(json.loads(gzip.decompress(request.content))) or None
    )
    client.push([_record("c-1")], compact=True)
    client.push([_record("c-2")])
    assert [body["compact_results"] for body in sent] == [True, False]


def test_a_server_from_before_bundles_is_not_sent_them(server, client):
    older = Limits().model_dump(mode="json")
    del older["attachment_bundles"], older["max_bundle_photos"]
    server.before.append(answer(httpx.Response(200, json=older), path="/v1/limits"))
    assert client.limits().attachment_bundles is False
    assert client.limits().attachment_bundles is True


def test_a_bundle_is_answered_photo_by_photo_in_its_order(server, client):
    photos = [os.urandom(size) for size in (10, 20, 30)]
    parts = [(hashlib.sha256(data).hexdigest(), data) for data in photos]
    damaged = (parts[1][0], photos[1][:-1] + b"?")
    answer_ = client.upload_bundle([parts[0], damaged, parts[2]])
    assert [r.complete for r in answer_.results] == [True, False, True]
    assert answer_.results[1].code == ErrorCode.HASH_MISMATCH
    assert server.complete == {parts[0][0], parts[2][0]}


def test_a_bundle_answer_that_does_not_list_its_photos_is_not_trusted(server, client):
    data = b"photo"
    sha = hashlib.sha256(data).hexdigest()
    wrong = httpx.Response(200, json={"results": []})
    server.before.append(answer(wrong, path="/v1/attachments/bundle"))
    with pytest.raises(ProtocolMismatch):
        client.upload_bundle([(sha, data)])
