"""The server answers health checks, publishes its OpenAPI schema and advertises its limits."""

from __future__ import annotations

import httpx

from sync.protocol import Limits
from tests.server.conftest import SMALL_LIMITS


def test_health_says_the_database_answers(live_server):
    answer = httpx.get(f"{live_server.url}/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}


def test_openapi_lists_every_endpoint_of_the_protocol(live_server):
    schema = httpx.get(f"{live_server.url}/openapi.json").json()
    assert {
        "/health",
        "/v1/limits",
        "/v1/enroll",
        "/v1/push",
        "/v1/attachments/query",
        "/v1/attachments/{sha256}",
        "/v1/pull",
    } <= set(schema["paths"])
    push = schema["paths"]["/v1/push"]["post"]
    assert push["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PushRequest"
    }
    assert {"PushRequest", "OutboxRecord", "PushResponse", "ErrorResponse"} <= set(
        schema["components"]["schemas"]
    )


def test_limits_are_advertised_before_anything_is_queued(live_server):
    answer = httpx.get(f"{live_server.url}/v1/limits")
    assert answer.status_code == 200
    assert Limits.model_validate(answer.json()) == SMALL_LIMITS


def test_an_unknown_address_answers_not_found_in_the_error_shape(live_server):
    answer = httpx.get(f"{live_server.url}/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
