"""Use cases for sync: enroll this device, sync now, sync in the background, say where sync stands.

The kiosk's one door to the sync engine: it builds the real httpx.Client (with timeouts), hands the
engine the store through kiosk.bootstrap.sync_device, and turns a SyncError into a KioskError here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kiosk.bootstrap import Kiosk, open_kiosk, sync_device
from kiosk.domain.register_numbers import ALPHABET, DEVICE_CODE_LENGTH
from kiosk.errors import NotFoundError, SyncFailedError
from kiosk.services.clock import Clock, system_clock
from kiosk.store import outbox
from kiosk.store.sync_state import Enrollment, enrollment, last_run, save_enrollment
from sync.client import SyncClient, normalise_server_url
from sync.errors import AlreadyEnrolled, NotEnrolled, ProtocolMismatch, SyncError
from sync.report import ProgressCallback, SyncProgress, SyncReport
from sync.run import iso
from sync.trust import (
    ServerTrust,
    normalise_pin,
    readable_ca,
    require_safe_address,
    travels_unencrypted,
)
from sync.watcher import SyncWatcher, WatchPolicy
from sync.worker import RunSettings, sync_once

# What views and the CLI may hold of a run, without importing the engine themselves.
__all__ = [
    "HttpFactory",
    "KeptConnection",
    "RunSettings",
    "ServerTrust",
    "SyncProgress",
    "SyncReport",
    "SyncStatus",
    "WatchPolicy",
    "as_kiosk_error",
    "build_http_client",
    "enroll_device",
    "enrollment_of",
    "normalise_pin",
    "plain_http_in_use",
    "readable_ca",
    "requeue_quarantined",
    "require_enrollment",
    "run_when_due",
    "sync_now",
    "sync_status",
    "watch",
]

# Each client is built for one server's trust: its certificate pin or authority goes into TLS.
HttpFactory = Callable[[ServerTrust], httpx.Client]
# Slow links are the norm: a 256 KiB chunk over 2G needs tens of seconds, so reads and writes
# get a minute; connecting should be quick or not at all.
TIMEOUT = httpx.Timeout(connect=15.0, read=60.0, write=60.0, pool=15.0)
USER_AGENT = "lengkap-kiosk/1"


def build_http_client(trust: ServerTrust | None = None) -> httpx.Client:
    return httpx.Client(
        timeout=TIMEOUT,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        verify=(trust or ServerTrust()).ssl_context(),
    )


def trust_of(enrolled: Enrollment) -> ServerTrust:
    return ServerTrust(
        allow_plain_http=enrolled.allow_plain_http,
        pin_sha256=enrolled.pin_sha256,
        ca_pem=enrolled.trusted_ca_pem,
    )


def plain_http_in_use(server_url: str) -> bool:
    """True when syncing with `server_url` goes unencrypted over the network (the CLI warns)."""
    return travels_unencrypted(server_url)


class KeptConnection:
    """One httpx client kept across runs, built again when the enrolment's trust changes."""

    def __init__(self, factory: HttpFactory) -> None:
        self.factory = factory
        self._trust: ServerTrust | None = None
        self._http: httpx.Client | None = None

    def for_trust(self, trust: ServerTrust) -> httpx.Client:
        if self._http is None or trust != self._trust:
            self.close()
            self._http, self._trust = self.factory(trust), trust
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> KeptConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def as_kiosk_error(error: SyncError) -> SyncFailedError:
    """The engine's error in the kiosk's tree: same translation code and params."""
    return SyncFailedError(
        error.detail,
        retryable=error.retryable,
        code=error.code,
        where=error.where,
        params=error.params,
    )


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except SyncError as exc:
        raise as_kiosk_error(exc) from exc


def enroll_device(
    kiosk: Kiosk,
    server_url: str,
    code: str,
    *,
    force: bool = False,
    trust: ServerTrust | None = None,
    http_factory: HttpFactory = build_http_client,
    clock: Clock = system_clock,
) -> Enrollment:
    """Exchange a one-time code for this device's credential and its server-assigned code.

    Refused when the device is already enrolled, unless `force`: a second enrollment replaces the
    credential, and the device code used for register numbers made from then on. `trust` (plain
    http allowed, certificate pin, office authority) is stored with it and honoured by every sync.
    """
    trust = trust or ServerTrust()
    with _translated():
        # An address refused by policy is refused before anything else, with nothing written.
        require_safe_address(normalise_server_url(server_url), trust)
        existing = enrollment(kiosk.db)
        if existing is not None and not force:
            raise AlreadyEnrolled(
                "this device is already enrolled",
                params={"server": existing.server_url, "device_code": existing.device_code},
            )
        with http_factory(trust) as http:
            client = SyncClient(http, server_url, trust=trust)
            answer = client.enroll(code)
        device_code = answer.device_code
        if len(device_code) != DEVICE_CODE_LENGTH or not set(device_code) <= set(ALPHABET):
            # It becomes part of every register number: one that cannot be typed back is useless.
            raise ProtocolMismatch(
                "the server assigned a device code register numbers cannot carry",
                params={"server": client.server},
            )
    enrolled = Enrollment(
        server_url=client.base_url,
        device_name=answer.device_name,
        device_code=answer.device_code,
        area=answer.area,
        enrolled_at=clock().isoformat(),
        credential=answer.credential,
        allow_plain_http=trust.allow_plain_http,
        pin_sha256=trust.pin_sha256,
        trusted_ca_pem=trust.ca_pem,
    )
    save_enrollment(kiosk.db, enrolled)
    return enrolled


def enrollment_of(kiosk: Kiosk) -> Enrollment | None:
    return enrollment(kiosk.db)


def require_enrollment(kiosk: Kiosk) -> Enrollment:
    enrolled = enrollment(kiosk.db)
    if enrolled is None:
        raise as_kiosk_error(NotEnrolled("this device is not enrolled with a server"))
    return enrolled


def sync_now(
    kiosk: Kiosk,
    *,
    http_factory: HttpFactory = build_http_client,
    on_progress: ProgressCallback | None = None,
    settings: RunSettings | None = None,
) -> SyncReport:
    """One run now, sending everything pending; a device not enrolled is refused at once."""
    require_enrollment(kiosk)
    with KeptConnection(http_factory) as connection:
        return run_when_due(kiosk, connection, settings, everything=True, on_progress=on_progress)


def run_when_due(
    kiosk: Kiosk,
    connection: KeptConnection,
    settings: RunSettings | None = None,
    *,
    everything: bool = False,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SyncReport:
    """One run on this connection, never raising: what stopped it is the report's error.

    Without `everything`, rows whose retry time has not come wait (the background job). A device
    not enrolled (yet, or any more) gets a report saying so, and nothing is lost.
    """
    settings = settings or RunSettings()
    enrolled = enrollment(kiosk.db)
    if enrolled is None:
        now = iso(settings.clock())
        missing = NotEnrolled("this device is not enrolled with a server")
        return SyncReport(started_at=now, finished_at=now, error=missing)
    trust = trust_of(enrolled)
    try:
        client = SyncClient(
            connection.for_trust(trust), enrolled.server_url, enrolled.credential, trust=trust
        )
    except SyncError as exc:  # a stored address that is not http(s), or refused plain http
        now = iso(settings.clock())
        return SyncReport(started_at=now, finished_at=now, error=exc)
    return sync_once(
        sync_device(kiosk),
        client,
        settings,
        on_progress=on_progress,
        respect_schedule=not everything,
        should_stop=should_stop,
    )


def watch(
    data_dir: Path,
    stop: threading.Event,
    *,
    http_factory: HttpFactory = build_http_client,
    on_progress: ProgressCallback | None = None,
    on_report: Callable[[SyncReport], None] | None = None,
    policy: WatchPolicy | None = None,
    settings: RunSettings | None = None,
) -> None:
    """Sync in this thread whenever work is due, until `stop` is set (`kiosk sync --watch`).

    It opens its own database connection: one SQLite connection must not carry two threads'
    transactions at once.
    """
    kiosk = open_kiosk(data_dir)
    try:
        with KeptConnection(http_factory) as connection:  # kept across runs: reused

            def run_once(should_stop: Callable[[], bool]) -> SyncReport:
                return run_when_due(
                    kiosk, connection, settings, on_progress=on_progress, should_stop=should_stop
                )

            SyncWatcher(run_once, policy, on_report=on_report, stop=stop).run()
    finally:
        kiosk.close()


@dataclass(frozen=True)
class SyncStatus:
    """Where sync stands, for `kiosk sync --status` and the app's status bar."""

    enrollment: dict[str, str] | None
    pending: int
    sent: int
    quarantined: tuple[dict[str, Any], ...]
    last_success_at: str | None
    last_attempt_at: str | None
    last_error: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "enrolled": self.enrollment is not None,
            "enrollment": self.enrollment,
            "pending": self.pending,
            "sent": self.sent,
            "quarantined": list(self.quarantined),
            "last_success_at": self.last_success_at,
            "last_attempt_at": self.last_attempt_at,
            "last_error": self.last_error,
        }


def sync_status(kiosk: Kiosk) -> SyncStatus:
    enrolled = enrollment(kiosk.db)
    counts = outbox.counts(kiosk.db)
    runs = last_run(kiosk.db)
    return SyncStatus(
        enrollment=enrolled.public() if enrolled else None,
        pending=counts[outbox.PENDING] + counts[outbox.SENDING],
        sent=counts[outbox.SENT],
        quarantined=tuple(
            {
                "kind": row.kind,
                "register_number": row.register_number,
                "client_id": row.client_id,
                "code": row.error_code,
                "message": row.last_error,
                "attempts": row.attempts,
            }
            for row in outbox.quarantined_rows(kiosk.db)
        ),
        last_success_at=runs["last_success_at"],
        last_attempt_at=runs["last_attempt_at"],
        last_error=runs["last_error"],
    )


def requeue_quarantined(
    kiosk: Kiosk, register_numbers: list[str], *, clock: Clock = system_clock
) -> int:
    """Send quarantined records again (all of them when no number is given); how many.

    A number that names no quarantined record is refused by name, and nothing is requeued.
    """
    rows = outbox.quarantined_rows(kiosk.db)
    if register_numbers:
        by_number = {row.register_number: row.seq for row in rows if row.register_number}
        unknown = [number for number in register_numbers if number not in by_number]
        if unknown:
            raise NotFoundError(
                "no quarantined record with this register number",
                where="register number",
                code="sync.requeue.unknown",
                params={"numbers": ", ".join(unknown)},
            )
        seqs = [by_number[number] for number in register_numbers]
    else:
        seqs = [row.seq for row in rows]
    return outbox.requeue_quarantined(kiosk.db, seqs, clock().isoformat())
