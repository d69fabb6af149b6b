"""The ASGI application: one composition root that opens the database, migrates it, and wires
the handlers. Nothing happens at import; `create_app` builds, the lifespan opens and closes.

    uvicorn --factory sync.server.app:app_from_environment   (reads KIOSK_SERVER_DATA_DIR / _DB)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware

from sync.protocol import AttachmentQuery, EnrollRequest, ErrorCode, PushRequest
from sync.server import changes, logs, migrations, uploads
from sync.server.attachments import BlobStore, DirectoryStore
from sync.server.console import mount_console
from sync.server.errors import RequestError
from sync.server.gate import DeviceTurns, Gate
from sync.server.routes import router
from sync.server.rules import RuleBook
from sync.server.settings import ServerSettings
from sync.server.state import ServerState
from sync.server.storage import Database, utc_now

log = logging.getLogger("lengkap.server")
# When the database does not answer: a PostgreSQL restart takes seconds; devices add jitter.
UNAVAILABLE_RETRY_SECONDS = 15
_REQUEST_MODELS: dict[str, type[BaseModel]] = {
    "PushRequest": PushRequest,
    "EnrollRequest": EnrollRequest,
    "AttachmentQuery": AttachmentQuery,
}


def create_app(
    settings: ServerSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
    store: BlobStore | None = None,
) -> FastAPI:
    """The server for `settings`; `store` replaces the attachment directory (object storage)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.database_url)
        try:
            if settings.migrate_on_start:
                migrations.upgrade(database)
            app.state.lengkap = ServerState(
                settings=settings,
                database=database,
                store=store or DirectoryStore(settings.attachments_dir),
                gate=Gate(settings.ingest_concurrency, settings.retry_after_seconds),
                turns=DeviceTurns(settings.device_concurrency, settings.retry_after_seconds),
                rulebook=RuleBook(database),
                instance=changes.instance_id(database),
                clock=clock,
            )
            log.info("server ready database=%s", database.dialect)
            sweeper = asyncio.create_task(_sweep_abandoned_uploads(app.state.lengkap))
            try:
                yield
            finally:
                sweeper.cancel()
                with suppress(asyncio.CancelledError):
                    await sweeper
        finally:
            database.close()

    logs.drop_websocket_frames()  # whoever hosts the app, at any level (sync/server/logs.py)
    app = FastAPI(
        title="Lengkap sync server",
        version="1",
        summary="Device enrolment, record push, resumable attachments and pull (sync/protocol.py).",
        lifespan=lifespan,
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.include_router(router)
    mount_console(app)  # the staff console (Flet) at /console
    _add_error_handlers(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


async def _sweep_abandoned_uploads(state: ServerState) -> None:
    """At start and then every sweep interval: delete unfinished uploads left too long."""
    age = state.settings.abandoned_upload_age.total_seconds()
    interval = max(1.0, state.settings.upload_sweep_interval.total_seconds())
    while True:
        try:
            await asyncio.to_thread(uploads.sweep_abandoned, state.store, age)
        except OSError:
            log.exception("sweeping abandoned uploads failed; trying again next interval")
        await asyncio.sleep(interval)


def app_from_environment() -> FastAPI:
    """For `uvicorn --factory` and process managers: settings from the environment only."""
    return create_app(ServerSettings.resolve())


def _error(exc: RequestError) -> JSONResponse:
    return JSONResponse(
        exc.response().model_dump(mode="json"), status_code=exc.status, headers=exc.headers()
    )


def _add_error_handlers(app: FastAPI) -> None:
    async def refused(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestError)
        return _error(exc)

    async def invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {"loc": ()}
        where = ".".join(str(part) for part in first.get("loc", ())) or "request"
        return _error(RequestError(ErrorCode.MALFORMED_REQUEST, "parameters", field=where))

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return _error(RequestError(ErrorCode.NOT_FOUND, "route"))
        code = ErrorCode.MALFORMED_REQUEST
        return _error(RequestError(code, "http", status=exc.status_code, field="request"))

    async def unavailable(request: Request, exc: Exception) -> Response:
        # The database is down, restarting or unreachable: an outage the device waits out, not
        # a fault of ours. One line, no traceback; SQLAlchemy's text holds no parameters.
        log.warning("database unavailable: %s", type(getattr(exc, "orig", exc)).__name__)
        if request.url.path.startswith("/v1/"):
            return _error(
                RequestError(
                    ErrorCode.UNAVAILABLE, "database", retry_after=UNAVAILABLE_RETRY_SECONDS
                )
            )
        return PlainTextResponse(
            "Service Unavailable",
            status_code=503,
            headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
        )

    async def crashed(request: Request, _exc: Exception) -> Response:
        # A fault of ours: the device gets the protocol's error shape (and retries later);
        # Starlette still logs the traceback, which names code, never request data.
        if request.url.path.startswith("/v1/"):
            return _error(RequestError(ErrorCode.INTERNAL_ERROR, "internal", status=500))
        return PlainTextResponse("Internal Server Error", status_code=500)

    app.add_exception_handler(RequestError, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(OperationalError, unavailable)
    app.add_exception_handler(Exception, crashed)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, plus the request bodies the handlers read themselves (bounded, gzip)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            name = operation.pop("x-request-model", None)
            if name is None:
                continue
            model_schema = _REQUEST_MODELS[name].model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            components.update(model_schema.pop("$defs", {}))
            components[name] = model_schema
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                },
                "description": "JSON; may be sent with Content-Encoding: gzip.",
            }
    app.openapi_schema = schema
    return schema
