"""Faults on the server's side of the line: a device that goes away, a bug of ours."""

from __future__ import annotations

import logging
import socket
import time

from tests.server.records import push_body, submission_record


def test_a_device_that_goes_away_mid_body_costs_one_info_line_not_a_traceback(
    live_server, device, caplog
):
    caplog.set_level(logging.INFO)
    host, port = live_server.url.removeprefix("http://").split(":")
    head = (
        "POST /v1/push HTTP/1.1\r\n"
        f"Host: {host}\r\nLengkap-Protocol: 1\r\nAuthorization: Bearer {device.credential}\r\n"
        "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
    )
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(head.encode() + b'{"protocol": 1, "records": [')
        time.sleep(0.3)  # the server is reading the body now
    deadline = time.monotonic() + 10
    while "client went away" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    gone = [r for r in caplog.records if "client went away" in r.getMessage()]
    assert len(gone) == 1 and gone[0].levelno == logging.INFO
    assert gone[0].getMessage() == "client went away while sending POST /v1/push"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


class _BrokenRules:
    def snapshot(self):
        raise RuntimeError("a bug in the server")


def test_an_unexpected_fault_answers_500_in_the_protocols_error_shape(
    live_server, device, monkeypatch, caplog
):
    monkeypatch.setattr(live_server.state, "rulebook", _BrokenRules())
    with device.client() as client:
        answer = client.post("/v1/push", json=push_body(submission_record(device.device_code)))
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert error["code"] == "internal_error"
    assert "gangguan" in error["message"]["id"] and "fault" in error["message"]["en"]
