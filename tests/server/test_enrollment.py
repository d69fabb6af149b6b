"""Enrolment: a one-time, expiring code becomes a credential; revocation bites on the next request."""

from __future__ import annotations

from datetime import timedelta

import httpx

from kiosk.domain.register_numbers import ALPHABET
from sync.server import devices
from sync.server.devices import ENROLMENT_GUESSES
from sync.server.storage import utc_now
from tests.support.server import running_server


def _add(live_server, *, ttl=timedelta(hours=1), now=None, area="31.74"):
    name = f"tablet-{utc_now().timestamp()}-{id(ttl)}"
    return devices.add_device(live_server.state.database, name, area, now=now or utc_now(), ttl=ttl)


def _enroll(live_server, code):
    with live_server.client() as client:
        return client.post("/v1/enroll", json={"protocol": 1, "code": code})


def test_an_enrolment_code_gives_a_credential_and_a_device_code(live_server):
    ticket = _add(live_server, area="31.74.01")
    answer = _enroll(live_server, ticket.display.lower())  # typed in lower case, with dashes
    assert answer.status_code == 200
    body = answer.json()
    assert body["device_code"] == ticket.device.device_code
    assert len(body["device_code"]) == 6 and set(body["device_code"]) <= set(ALPHABET)
    assert body["area"] == "317401"
    assert len(body["credential"]) >= 43  # 32 random bytes, URL-safe base64
    with live_server.client(body["credential"]) as client:
        assert client.get("/v1/pull").status_code == 200


def test_the_server_keeps_only_hashes_of_codes_and_credentials(live_server):
    ticket = _add(live_server)
    credential = _enroll(live_server, ticket.code).json()["credential"]
    with live_server.state.database.read() as connection:
        dump = "\n".join(
            str(tuple(row))
            for table in ("devices", "enrollment_codes")
            for row in connection.exec_driver_sql(f"SELECT * FROM {table}")
        )
    assert credential not in dump and ticket.code not in dump
    assert devices.digest(credential) in dump and devices.digest(ticket.code) in dump


def test_an_enrolment_code_works_only_once(live_server):
    ticket = _add(live_server)
    assert _enroll(live_server, ticket.code).status_code == 200
    again = _enroll(live_server, ticket.code)
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_enrollment_code"


def test_an_expired_enrolment_code_is_refused(live_server):
    ticket = _add(live_server, now=utc_now() - timedelta(hours=2), ttl=timedelta(hours=1))
    answer = _enroll(live_server, ticket.code)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_enrollment_code"


def test_an_unknown_enrolment_code_is_refused_in_both_languages(live_server):
    answer = _enroll(live_server, "AAAA-BBBB-CCCC")
    assert answer.status_code == 400
    message = answer.json()["error"]["message"]
    assert "kode pendaftaran" in message["id"].lower()
    assert "enrolment code" in message["en"].lower()


def test_revoking_a_device_takes_effect_on_its_next_request(live_server, device):
    with device.client() as client:
        assert client.get("/v1/pull").status_code == 200
        devices.revoke(live_server.state.database, device.name, now=utc_now())
        answer = client.get("/v1/pull")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "revoked_device"


def test_a_new_code_for_a_device_replaces_its_old_credential(live_server, device):
    ticket = devices.issue_code(
        live_server.state.database, device.name, now=utc_now(), ttl=timedelta(hours=1)
    )
    fresh = _enroll(live_server, ticket.code).json()
    assert fresh["device_code"] == device.device_code
    with device.client() as old, live_server.client(fresh["credential"]) as new:
        assert old.get("/v1/pull").status_code == 401
        assert new.get("/v1/pull").status_code == 200


def test_a_missing_or_wrong_credential_is_an_unknown_device(live_server):
    with live_server.client() as anonymous, live_server.client("not-a-credential") as wrong:
        for client in (anonymous, wrong):
            answer = client.get("/v1/pull")
            assert answer.status_code == 401
            assert answer.json()["error"]["code"] == "unknown_device"


def test_a_missing_or_unknown_protocol_version_is_refused_before_anything_else(live_server, device):
    for headers in ({}, {"Lengkap-Protocol": "2"}, {"Lengkap-Protocol": "one"}):
        answer = httpx.get(
            f"{live_server.url}/v1/pull",
            headers={"Authorization": f"Bearer {device.credential}", **headers},
        )
        assert answer.status_code == 400, headers
        assert answer.json()["error"]["code"] == "unsupported_protocol"
    enrol = httpx.post(f"{live_server.url}/v1/enroll", json={"protocol": 2, "code": "AAAAAAAAAAAA"})
    assert enrol.json()["error"]["code"] == "unsupported_protocol"


def test_wrong_enrolment_codes_from_one_address_are_limited_with_429_and_retry_after(
    server_db_url, tmp_path
):
    with running_server(server_db_url, tmp_path) as server, server.client() as client:
        answers = [
            client.post("/v1/enroll", json={"protocol": 1, "code": f"WRNG-C0DE-{n:04d}"})
            for n in range(ENROLMENT_GUESSES.burst + 2)
        ]
        statuses = [answer.status_code for answer in answers]
        assert statuses[: ENROLMENT_GUESSES.burst] == [400] * ENROLMENT_GUESSES.burst
        assert statuses[ENROLMENT_GUESSES.burst :] == [429, 429]
        refused = answers[-1]
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"]["code"] == "overloaded"
        # A right code is not let through while the address waits: the limit is on the address.
        ticket = devices.add_device(
            server.state.database, "after-guesses", "31.74", now=utc_now(), ttl=timedelta(hours=1)
        )
        late = client.post("/v1/enroll", json={"protocol": 1, "code": ticket.display})
        assert late.status_code == 429
