"""Which browser drives a console tab: a random cookie, and the tab's staff session bound to it.

Flet keeps a tab's session on the server for a while after its WebSocket closes, and a client
that presents the session's id (with the same User-Agent) is handed it back. An id alone must
never be enough to act as the staff member who signed in there, so:

- the console's page (its HTML) sets `__Host-lengkap-console`, a random value, when the browser
  has none: Secure, HttpOnly (no script reads it) and SameSite=Strict (no other site sends it);
- the browser sends it with the WebSocket; `BrowserBinding` makes it readable (`current_browser`)
  to everything that connection runs: tasks started while handling it inherit the value;
- a sign-in binds the tab to the digest of the cookie it came with; a reconnection, or any
  later action, presenting another cookie, or none, ends the tab's staff session.

Session ids and cookie values are never logged: Flet's own log lines are rewritten so that no
session id leaves them (`RedactSessionIds`).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from contextvars import ContextVar
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "__Host-lengkap-console"
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")  # token_urlsafe(32)
_browser: ContextVar[str | None] = ContextVar("console_browser", default=None)


def current_browser() -> str | None:
    """A digest of the cookie of the connection being served, None when it brought none."""
    return _browser.get()


def browser_digest(token: str) -> str:
    """What is kept of a cookie: its SHA-256, so memory and tracebacks never hold the value."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _cookie(scope: Scope) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is no cookie of ours
                return None
    morsel = jar.get(COOKIE_NAME)
    if morsel is None or not _COOKIE_VALUE.fullmatch(morsel.value):
        return None
    return morsel.value


def set_cookie_header(token: str) -> bytes:
    return f"{COOKIE_NAME}={token}; Path=/; Secure; HttpOnly; SameSite=Strict".encode("ascii")


class BrowserBinding:
    """ASGI middleware around the console's Flet app: sets the cookie on the page, and makes the
    cookie a WebSocket brought readable to what that connection runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _cookie(scope)
        if scope["type"] == "websocket":
            reset = _browser.set(browser_digest(token) if token else None)
            try:
                await self.app(scope, receive, send)
            finally:
                _browser.reset(reset)
            return
        if scope["type"] != "http" or token is not None:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            # Only on the page itself: scripts and fonts fetched beside it in the first burst
            # would each set another value, and the last to arrive would win.
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if kind.startswith(b"text/html"):
                    token = secrets.token_urlsafe(32)
                    headers.append((b"set-cookie", set_cookie_header(token)))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


FLET_LOGGERS = (
    "flet",
    "flet_web",
    "flet_web.fastapi",
    "flet_transport",
    "flet_controls",
    "flet_components",
    "flet_object_patch",
)
# Flet's session ids are 16 letters and digits; its session keys add a 40-hex-digit hash.
_SESSION_ID = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{16}(?![A-Za-z0-9])")


class RedactSessionIds(logging.Filter):
    """Rewrites a Flet log line so that no session id (which resumes a tab) is in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SESSION_ID.sub("<session>", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:  # an exception's text can name one too
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _SESSION_ID.sub("<session>", record.exc_text)
        return True


def redact_flet_logs() -> None:
    """Install the redaction on each of Flet's loggers (once; filters on a logger see only the
    records made on it, so each is named)."""
    for name in FLET_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSessionIds) for f in logger.filters):
            logger.addFilter(RedactSessionIds())
