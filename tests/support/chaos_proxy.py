"""A fault-injecting TCP proxy between a kiosk and the server, on loopback only.

Each new connection draws its fate from a seeded RNG: pass cleanly, drop mid-request, drop
mid-response, reset, stall, or crawl over a slow link. It also serves as a plain throttle
(bandwidth and latency) for the drain benchmark. It runs an asyncio loop in a daemon thread and
stops by itself when the context manager exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Fault(StrEnum):
    NONE = "none"
    DROP_REQUEST = "drop_request"  # close after part of the request went upstream
    DROP_RESPONSE = "drop_response"  # close after part of the response came back
    RESET = "reset"  # RST instead of FIN, mid-request
    STALL = "stall"  # stop forwarding for a while, then continue
    SLOW = "slow"  # a slow link for this connection


@dataclass
class ChaosPlan:
    """Probabilities of each fault per connection; the rest pass cleanly."""

    seed: int = 0
    weights: dict[Fault, float] = field(
        default_factory=lambda: {
            Fault.DROP_REQUEST: 0.08,
            Fault.DROP_RESPONSE: 0.08,
            Fault.RESET: 0.05,
            Fault.STALL: 0.05,
            Fault.SLOW: 0.05,
        }
    )
    stall_seconds: float = 0.5
    # A link for every connection (the throttle), in bytes per second and seconds each way.
    bandwidth: float | None = None
    latency: float = 0.0
    slow_bandwidth: float = 32_000

    def draw(self, rng: random.Random) -> Fault:
        roll = rng.random()
        for fault, weight in self.weights.items():
            if roll < weight:
                return fault
            roll -= weight
        return Fault.NONE


@dataclass
class ProxyStats:
    connections: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    bytes_up: int = 0
    bytes_down: int = 0


class ChaosProxy:
    """Forwards 127.0.0.1:<port> to an upstream loopback address, injecting faults."""

    def __init__(self, upstream_port: int, plan: ChaosPlan | None = None) -> None:
        self.upstream_port = upstream_port
        self.plan = plan or ChaosPlan(weights={})
        self.stats = ProxyStats()
        self._rng = random.Random(self.plan.seed)
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ChaosProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.port = future.result(timeout=10)
        return self

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        async def _close() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        fault = self.plan.draw(self._rng)
        cut_after = self._rng.randint(1, 4096)
        self.stats.connections += 1
        self.stats.faults[fault] = self.stats.faults.get(fault, 0) + 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.close()
            return
        bandwidth = self.plan.slow_bandwidth if fault is Fault.SLOW else self.plan.bandwidth
        up = self._pump(client_reader, upstream_writer, "up", fault, cut_after, bandwidth)
        down = self._pump(upstream_reader, client_writer, "down", fault, cut_after, bandwidth)
        try:
            await asyncio.gather(up, down)
        except (ConnectionError, asyncio.IncompleteReadError, _Cut):
            pass
        finally:
            for writer in (client_writer, upstream_writer):
                if fault is Fault.RESET:
                    _reset(writer)
                with contextlib.suppress(Exception):
                    writer.close()

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        direction: str,
        fault: Fault,
        cut_after: int,
        bandwidth: float | None,
    ) -> None:
        sent = 0
        stalled = False
        while True:
            data = await reader.read(16384)
            if not data:
                with contextlib.suppress(Exception):
                    writer.write_eof()
                return
            cuts_here = (direction == "up" and fault in (Fault.DROP_REQUEST, Fault.RESET)) or (
                direction == "down" and fault is Fault.DROP_RESPONSE
            )
            if cuts_here and sent + len(data) >= cut_after:
                writer.write(data[: max(0, cut_after - sent)])
                with contextlib.suppress(Exception):
                    await writer.drain()
                raise _Cut
            if fault is Fault.STALL and not stalled and direction == "down":
                stalled = True
                await asyncio.sleep(self.plan.stall_seconds)
            if self.plan.latency:
                await asyncio.sleep(self.plan.latency)
            if bandwidth:
                await asyncio.sleep(len(data) / bandwidth)
            writer.write(data)
            await writer.drain()
            sent += len(data)
            if direction == "up":
                self.stats.bytes_up += len(data)
            else:
                self.stats.bytes_down += len(data)


class _Cut(Exception):
    """Raised inside the proxy to cut a connection on purpose."""


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST: SO_LINGER with a zero timeout discards the send buffer."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@contextlib.contextmanager
def chaos_proxy(upstream_port: int, plan: ChaosPlan | None = None) -> Iterator[ChaosProxy]:
    proxy = ChaosProxy(upstream_port, plan).start()
    try:
        yield proxy
    finally:
        proxy.stop()
