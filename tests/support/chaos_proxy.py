"""A fault-injecting TCP proxy between a kiosk and the server, on loopback only.

Each new connection draws its fate from a seeded RNG: pass cleanly, drop mid-request, drop
mid-response, reset, stall, or crawl over a slow link. A plan may also script the fate of given
connections (the third connection is cut after 100 KB), which is how a benchmark forces one cut
in a known place. It also serves as a plain link model for the drain benchmark: a bandwidth and a
one-way latency per direction, shared by every connection, like a village office's one uplink.
It runs an asyncio loop in a daemon thread and stops by itself when the context manager exits;
`chaos_proxy_process` runs the same in a process of its own, for benchmarks that time the device.

Byte counters count TCP payload delivered through the proxy (HTTP headers and bodies), not the
TCP/IP headers below it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import random
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

READ_BYTES = 16384
# On a throttled link data moves in small pieces, so the pacing is smooth and a cut lands near
# the byte it was meant for.
THROTTLED_READ_BYTES = 2048


class Fault(StrEnum):
    NONE = "none"
    DROP_REQUEST = "drop_request"  # close after part of the request went upstream
    DROP_RESPONSE = "drop_response"  # close after part of the response came back
    RESET = "reset"  # RST instead of FIN, mid-request
    STALL = "stall"  # stop forwarding the response for a while, then continue
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
    # The link every connection shares (the throttle): bytes per second, and seconds one way.
    bandwidth: float | None = None
    latency: float = 0.0
    slow_bandwidth: float = 32_000
    # A cut lands after a random number of bytes of its direction: within the first
    # `cut_within` bytes of a request, `response_cut_within` of a response (answers are short).
    cut_within: int = 4096
    response_cut_within: int = 4096
    # Connection number (1 for the first) -> (fault, bytes after which it cuts): overrides the draw.
    scripted: dict[int, tuple[Fault, int]] = field(default_factory=dict)

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
    bytes_up: int = 0  # delivered to the server
    bytes_down: int = 0  # delivered to the device
    cuts: int = 0  # connections actually cut (a drawn cut past the last byte never happens)

    def injected(self) -> dict[str, int]:
        """Faults other than NONE, by name: what the run actually suffered."""
        return {name: n for name, n in sorted(self.faults.items()) if name != Fault.NONE}


class _Link:
    """One direction of a bottleneck link: a FIFO that sends `bandwidth` bytes/s, `latency` late.

    Shared by every connection in that direction, so two uploads at once split the bandwidth as
    they would on one real uplink. Delivery is pipelined: latency delays data, it does not slow it.
    """

    def __init__(self, bandwidth: float | None, latency: float) -> None:
        self.bandwidth = bandwidth
        self.latency = latency
        self._free_at = 0.0

    def reserve(self, size: int) -> tuple[float, float]:
        """(when the last byte has left, when it arrives) for `size` bytes sent now."""
        now = time.monotonic()
        departure = max(now, self._free_at) + (size / self.bandwidth if self.bandwidth else 0.0)
        self._free_at = departure
        return departure, departure + self.latency


@dataclass(frozen=True)
class _Piece:
    due: float  # monotonic time at which it reaches the other side
    data: bytes
    end: str = ""  # "", "eof" or "cut"


class ChaosProxy:
    """Forwards 127.0.0.1:<port> to an upstream loopback address, injecting faults."""

    def __init__(self, upstream_port: int, plan: ChaosPlan | None = None) -> None:
        self.upstream_port = upstream_port
        self.plan = plan or ChaosPlan(weights={})
        self.stats = ProxyStats()
        self._rng = random.Random(self.plan.seed)
        self._links = {
            "up": _Link(self.plan.bandwidth, self.plan.latency),
            "down": _Link(self.plan.bandwidth, self.plan.latency),
        }
        self._calm = False
        # The loop keeps only weak references to tasks: a connection whose sockets are gone
        # could be collected mid-flight. Held here until done, and cancelled on stop.
        self._tasks: set[asyncio.Task[Any]] = set()
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

    @contextlib.contextmanager
    def calm(self) -> Iterator[None]:
        """No faults for connections opened inside (e.g. enrolment, before the storm starts)."""
        self._calm = True
        try:
            yield
        finally:
            self._calm = False

    def reset_stats(self) -> None:
        self.stats = ProxyStats()

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        async def _close() -> None:
            if self._server is not None:
                self._server.close()  # no new connections from here on
            # Cancel every connection and wait for it to unwind, so none is destroyed while
            # pending; a task born while others unwind is caught by the next round.
            for _ in range(5):
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                if not tasks:
                    break
                for task in tasks:
                    task.cancel()
                await asyncio.wait(tasks, timeout=5)
            if self._server is not None:
                # Newer Pythons wait here for open connections too; they are all gone by now.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._server.wait_closed(), timeout=5)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def _fate(self) -> tuple[Fault, int]:
        self.stats.connections += 1
        number = self.stats.connections
        # Every draw happens for every connection, so a seed gives the same sequence of fates
        # whichever connections were scripted or calm.
        fault = self.plan.draw(self._rng)
        request_cut = self._rng.randint(1, max(1, self.plan.cut_within))
        response_cut = self._rng.randint(1, max(1, self.plan.response_cut_within))
        cut_after = response_cut if fault is Fault.DROP_RESPONSE else request_cut
        if number in self.plan.scripted:
            fault, cut_after = self.plan.scripted[number]
        elif self._calm:
            fault = Fault.NONE
        self.stats.faults[fault] = self.stats.faults.get(fault, 0) + 1
        return fault, cut_after

    def _hold(self, work: Any) -> asyncio.Task[Any]:
        """A task for `work` (or the task itself), referenced until it is done."""
        task = work if isinstance(work, asyncio.Task) else asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _handle(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        self._hold(asyncio.current_task())
        fault, cut_after = self._fate()
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.upstream_port
            )
        except OSError:
            client_writer.close()
            return
        links = self._links
        if fault is Fault.SLOW:  # a link of its own: one crawling connection slows only itself
            links = {
                direction: _Link(self.plan.slow_bandwidth, self.plan.latency)
                for direction in ("up", "down")
            }
        pumps = [
            self._hold(
                self._pump(client_reader, upstream_writer, "up", fault, cut_after, links["up"])
            ),
            self._hold(
                self._pump(upstream_reader, client_writer, "down", fault, cut_after, links["down"])
            ),
        ]
        try:
            # Both directions end with EOF on a clean close; a cut in either ends both at once.
            await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
        except asyncio.CancelledError:
            pass  # the proxy is stopping: close this connection quietly below
        finally:
            for pump in pumps:
                pump.cancel()
            for pump in pumps:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await pump
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
        link: _Link,
    ) -> None:
        """Carry one direction: a reader paced by the link, a writer delivering each piece on time."""
        pieces: asyncio.Queue[_Piece] = asyncio.Queue()
        reading = self._hold(self._read(reader, pieces, direction, fault, cut_after, link))
        try:
            await self._deliver(writer, pieces, direction)
        finally:
            reading.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await reading

    async def _read(
        self,
        reader: asyncio.StreamReader,
        pieces: asyncio.Queue[_Piece],
        direction: str,
        fault: Fault,
        cut_after: int,
        link: _Link,
    ) -> None:
        throttled = bool(link.bandwidth)
        cuts_here = (direction == "up" and fault in (Fault.DROP_REQUEST, Fault.RESET)) or (
            direction == "down" and fault is Fault.DROP_RESPONSE
        )
        taken = 0
        stalled = False
        while True:
            try:
                data = await reader.read(THROTTLED_READ_BYTES if throttled else READ_BYTES)
            except ConnectionError:
                data = b""
            if not data:
                await pieces.put(_Piece(time.monotonic() + link.latency, b"", "eof"))
                return
            end = ""
            if cuts_here and taken + len(data) >= cut_after:
                data, end = data[: max(0, cut_after - taken)], "cut"
            if fault is Fault.STALL and direction == "down" and not stalled:
                stalled = True
                await asyncio.sleep(self.plan.stall_seconds)
            departure, due = link.reserve(len(data))
            # Reading waits for the link to take the bytes: back-pressure, as on a real uplink.
            await asyncio.sleep(max(0.0, departure - time.monotonic()))
            await pieces.put(_Piece(due, data, end))
            taken += len(data)
            if end:
                return

    async def _deliver(
        self, writer: asyncio.StreamWriter, pieces: asyncio.Queue[_Piece], direction: str
    ) -> None:
        while True:
            piece = await pieces.get()
            await asyncio.sleep(max(0.0, piece.due - time.monotonic()))
            if piece.data:
                writer.write(piece.data)
                await writer.drain()
                if direction == "up":
                    self.stats.bytes_up += len(piece.data)
                else:
                    self.stats.bytes_down += len(piece.data)
            if piece.end == "cut":
                self.stats.cuts += 1
                raise _Cut
            if piece.end == "eof":
                with contextlib.suppress(Exception):
                    writer.write_eof()
                return


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


# -- the proxy in its own process ----------------------------------------------------------------


def plan_to_json(plan: ChaosPlan) -> str:
    data = dataclasses.asdict(plan)
    data["weights"] = {str(fault): weight for fault, weight in plan.weights.items()}
    data["scripted"] = {str(n): [str(f), after] for n, (f, after) in plan.scripted.items()}
    return json.dumps(data)


def plan_from_json(text: str) -> ChaosPlan:
    data = json.loads(text)
    data["weights"] = {Fault(name): weight for name, weight in data["weights"].items()}
    data["scripted"] = {int(n): (Fault(f), after) for n, (f, after) in data["scripted"].items()}
    return ChaosPlan(**data)


class ProxyProcess:
    """The proxy as a separate OS process: the link's work does not share the device's GIL.

    Benchmarks that time a drain use it, so the proxy's copying does not slow the kiosk it
    measures. It answers `stats` and `reset` on its stdin, one JSON line each; EOF stops it.
    """

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self._process = process
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _ask(self, command: str) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the proxy process is gone")
        answer: dict[str, Any] = json.loads(line)
        return answer

    @property
    def stats(self) -> ProxyStats:
        return ProxyStats(**self._ask("stats"))

    def reset_stats(self) -> None:
        self._ask("reset")


@contextlib.contextmanager
def chaos_proxy_process(
    upstream_port: int, plan: ChaosPlan | None = None
) -> Iterator[ProxyProcess]:
    """Run `python -m tests.support.chaos_proxy` for the duration; stop it on exit."""
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "tests.support.chaos_proxy", str(upstream_port)]
    command.append(plan_to_json(plan or ChaosPlan(weights={})))
    process = subprocess.Popen(
        command, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # its port, once it listens
        if not line:
            raise RuntimeError("the proxy process did not start")
        yield ProxyProcess(process, int(line))
    finally:
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()  # EOF: it stops by itself
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _serve(argv: list[str]) -> None:
    """Entry point of the proxy process: port on the first line, then answer commands."""
    upstream_port, plan = int(argv[0]), plan_from_json(argv[1])
    with chaos_proxy(upstream_port, plan) as proxy:
        print(proxy.port, flush=True)
        for line in sys.stdin:  # ends at EOF, when the parent closes our stdin
            command = line.strip()
            if command == "reset":
                proxy.reset_stats()
            print(json.dumps(dataclasses.asdict(proxy.stats), default=str), flush=True)


if __name__ == "__main__":
    _serve(sys.argv[1:])
