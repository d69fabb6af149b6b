"""Refusals that say "not now" (a body too slow, a device with requests in flight, a full disk)
are retried later by the device, never taken as a verdict on its records."""

from __future__ import annotations

import pytest

from sync.client import SyncClient
from sync.errors import ServerBusy, ServerError
from sync.protocol import ErrorCode
from tests.sync.fake_server import BASE_URL, FakeServer, answer, error


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def client(server: FakeServer):
    with server.http() as http:
        yield SyncClient(http, BASE_URL, server.credential)


def test_a_body_cut_off_as_too_slow_is_sent_again_after_a_pause(server, client):
    server.before.append(answer(error(408, ErrorCode.REQUEST_TIMEOUT)))
    with pytest.raises(ServerBusy) as caught:
        client.limits()
    assert caught.value.retryable


@pytest.mark.parametrize("code", [ErrorCode.TOO_MANY_REQUESTS, ErrorCode.UPLOAD_QUOTA])
def test_a_device_over_its_share_waits_the_retry_after_it_is_given(server, client, code):
    server.before.append(answer(error(429, code, retry_after=7)))
    with pytest.raises(ServerBusy) as caught:
        client.limits()
    assert caught.value.retry_after == 7


def test_a_server_out_of_storage_is_a_server_error_to_retry(server, client):
    server.before.append(answer(error(507, ErrorCode.STORAGE_FULL)))
    with pytest.raises(ServerError) as caught:
        client.limits()
    assert caught.value.retryable
