"""Ports the CLI serves on: a free one to pick, and a taken one said in one line before anything starts.

A taken port otherwise shows only when the server under it fails to bind, which for the demo is after
the whole loop has run, and as a long traceback.
"""

from __future__ import annotations

import socket

from kiosk.errors import KioskError


class PortTakenError(KioskError):
    default_code = "cli.port_taken"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the system's choice)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def ensure_port_free(host: str, port: int, *, option: str) -> None:
    """Raise PortTakenError naming `option` (the flag that picks another port) if `port` is taken."""
    with socket.socket() as probe:
        # Like the servers we start (uvicorn sets it too): a port in TIME_WAIT after a previous run
        # is free for them, while one another program listens on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise PortTakenError(
                f"port {port} on {host} is in use",
                where=option,
                params={"host": host, "port": port, "option": option},
            ) from None
