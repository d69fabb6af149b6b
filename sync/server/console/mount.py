"""Serving the console: the Flet app mounted under the FastAPI server at /console, with no CDN.

Starlette never runs a mounted app's lifespan, so the server's own lifespan is wrapped to start
and stop Flet's session manager (it evicts sessions of closed tabs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

CONSOLE_PATH = "/console"


def mount_console(app: FastAPI, path: str = CONSOLE_PATH) -> None:
    """Serve the staff console at `path`; each tab gets the server state built by the lifespan."""
    import flet_web.fastapi as flet_fastapi

    from sync.server.console.app import ConsoleApp
    from sync.server.console.binding import BrowserBinding, redact_flet_logs

    redact_flet_logs()
    console = ConsoleApp(lambda: app.state.lengkap)
    # no_cdn: the Flutter engine, CanvasKit and fonts come from flet-web, never the internet.
    flet_app = flet_fastapi.app(console.main, no_cdn=True, app_name="Lengkap")
    app.mount(path, BrowserBinding(flet_app))  # the cookie a staff session is bound to
    serve_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(server: Any) -> AsyncIterator[Any]:
        async with serve_lifespan(server) as state:
            await flet_fastapi.app_manager.start()
            try:
                yield state
            finally:
                await flet_fastapi.app_manager.shutdown()
                console.close()

    app.router.lifespan_context = lifespan
