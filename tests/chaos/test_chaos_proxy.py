"""The chaos proxy does what the chaos test and the benchmarks rely on: exact cuts, a true link.

A wrong link model would make the throttled drain figure wrong without failing anything, so it
is pinned here: latency delays data without slowing it, bandwidth paces it, cuts land on the byte.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from tests.support import chaos_proxy as chaos_proxy_module
from tests.support.chaos_proxy import (
    THROTTLED_READ_BYTES,
    ChaosPlan,
    ChaosProxy,
    Fault,
    chaos_proxy,
    chaos_proxy_process,
    plan_from_json,
    plan_to_json,
)

REPLY = b"ok"


@contextmanager
def sink() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback server that reads one connection to its end, then answers REPLY."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    received: list[bytes] = []

    def serve() -> None:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        with connection:
            connection.settimeout(10)
            while True:
                try:
                    data = connection.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                received.append(data)
            with suppress(OSError):
                connection.sendall(REPLY)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], received
    finally:
        thread.join(timeout=10)
        listener.close()


def send(port: int, payload: bytes) -> tuple[bytes, float]:
    """Send `payload`, close the sending side, read the answer: (answer, seconds)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(payload)
        client.shutdown(socket.SHUT_WR)
        answer = b""
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                break
            if not data:
                break
            answer += data
    return answer, time.perf_counter() - started


def test_latency_delays_data_without_slowing_it_and_bandwidth_paces_it(monkeypatch) -> None:
    # What the link does is read off the proxy itself, not off a stopwatch with an upper bound: a
    # loaded machine can only make a transfer slower, never faster, and never less pipelined.
    in_flight: list[int] = []  # bytes taken from the device but not yet delivered, at each take
    proxies: list[ChaosProxy] = []
    taken = 0
    reserve = chaos_proxy_module._Link.reserve

    def watched_reserve(link: object, size: int) -> tuple[float, float]:
        nonlocal taken
        if link is proxies[0]._links["up"]:
            in_flight.append(taken - proxies[0].stats.bytes_up)
            taken += size
        return reserve(link, size)

    monkeypatch.setattr(chaos_proxy_module._Link, "reserve", watched_reserve)
    payload = 64_000
    with sink() as (port, received):
        plan = ChaosPlan(weights={}, bandwidth=128_000, latency=0.1)
        with chaos_proxy(port, plan) as proxy:
            proxies.append(proxy)
            answer, seconds = send(proxy.port, b"x" * payload)
            stats = proxy.stats
    assert answer == REPLY
    assert b"".join(received) == b"x" * payload
    assert (stats.bytes_up, stats.bytes_down) == (payload, len(REPLY))
    # Bandwidth paces it: 64 KB at 128 KB/s takes 0.5 s to leave, plus 0.1 s each way. Load can
    # only add to that, so this lower bound holds on any machine.
    assert seconds >= payload / 128_000 + 2 * 0.1 - 0.01, seconds
    # Latency delays data without slowing it: pieces keep being taken while earlier ones are still
    # on the wire (0.1 s of latency holds about six 2 KB pieces at 128 KB/s). Latency paid per
    # piece (the old model) delivers each piece before taking the next: never more than one piece
    # in flight, and 0.1 s more per piece.
    assert taken == payload
    assert max(in_flight) >= 3 * THROTTLED_READ_BYTES, in_flight


def test_a_scripted_cut_lands_on_its_byte() -> None:
    with sink() as (port, received):
        plan = ChaosPlan(weights={}, scripted={1: (Fault.DROP_REQUEST, 1000)})
        with chaos_proxy(port, plan) as proxy:
            answer, _ = send(proxy.port, b"y" * 5000)
            stats = proxy.stats
    assert answer == b""  # cut: the answer never comes back
    assert b"".join(received) == b"y" * 1000
    assert (stats.cuts, stats.bytes_up) == (1, 1000)
    assert stats.injected() == {"drop_request": 1}


def test_the_proxy_process_forwards_and_reports_its_counters() -> None:
    plan = ChaosPlan(seed=3, scripted={2: (Fault.RESET, 10)})
    assert plan_from_json(plan_to_json(plan)) == plan
    with sink() as (port, received), chaos_proxy_process(port, ChaosPlan(weights={})) as proxy:
        answer, _ = send(proxy.port, b"z" * 3000)
        stats = proxy.stats
        proxy.reset_stats()
        assert proxy.stats.bytes_up == 0
    assert answer == REPLY and b"".join(received) == b"z" * 3000
    assert (stats.connections, stats.bytes_up, stats.bytes_down) == (1, 3000, len(REPLY))
