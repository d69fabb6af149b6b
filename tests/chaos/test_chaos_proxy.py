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

from tests.support.chaos_proxy import (
    ChaosPlan,
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


def test_latency_delays_data_without_slowing_it_and_bandwidth_paces_it() -> None:
    with sink() as (port, received):
        plan = ChaosPlan(weights={}, bandwidth=128_000, latency=0.1)
        with chaos_proxy(port, plan) as proxy:
            answer, seconds = send(proxy.port, b"x" * 64_000)
            stats = proxy.stats
    assert answer == REPLY
    assert b"".join(received) == b"x" * 64_000
    # 0.5 s to send 64 KB at 128 KB/s, 0.1 s one way, 0.1 s back: about 0.7 s. Latency paid per
    # piece (the old model) would add 0.1 s for each of the 32 pieces: several seconds.
    assert 0.6 <= seconds <= 1.3, seconds
    assert (stats.bytes_up, stats.bytes_down) == (64_000, len(REPLY))


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
