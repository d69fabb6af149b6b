"""Under load the server says "later" (429 + Retry-After) at once, instead of queueing without bound."""

from __future__ import annotations

from contextlib import ExitStack

from tests.server.records import push_body, submission_record


def test_a_full_ingest_gate_answers_429_with_retry_after(live_server, device):
    gate = live_server.state.gate
    record = submission_record(device.device_code)
    with ExitStack() as held:
        for _ in range(gate.size):  # every slot taken, as by slow pushes in flight
            held.enter_context(gate.admitted())
        with device.client() as client:
            push = client.post("/v1/push", json=push_body(record))
            chunk = client.put(
                f"/v1/attachments/{'a' * 64}", params={"offset": 0, "total": 3}, content=b"abc"
            )
            reads = client.get("/v1/pull")  # reads do not queue behind ingest
    for answer in (push, chunk):
        assert answer.status_code == 429
        assert answer.json()["error"]["code"] == "overloaded"
        assert int(answer.headers["Retry-After"]) >= 1
        assert answer.json()["error"]["retry_after"] == live_server.settings.retry_after_seconds
    assert reads.status_code == 200
    with device.client() as client:  # the slots are free again: the same push goes through
        again = client.post("/v1/push", json=push_body(record))
    assert again.status_code == 200 and again.json()["results"][0]["status"] == "accepted"


def test_many_devices_pushing_at_once_are_each_answered(live_server):
    from concurrent.futures import ThreadPoolExecutor

    devices = [live_server.enroll() for _ in range(4)]

    def push(device):
        outcome = []
        with device.client() as client:
            for _ in range(5):
                batch = [submission_record(device.device_code) for _ in range(10)]
                answer = client.post("/v1/push", json=push_body(*batch))
                outcome.append(answer.status_code)
        return outcome

    with ThreadPoolExecutor(len(devices)) as pool:
        codes = [code for result in pool.map(push, devices) for code in result]
    # Each push is either taken or told to come back later; nothing hangs or fails.
    assert set(codes) <= {200, 429} and codes.count(200) >= len(codes) // 2, codes
