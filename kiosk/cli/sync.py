"""`kiosk enroll` and `kiosk sync`: join the central server, send what is queued, show where it stands."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import click

from kiosk.bootstrap import Kiosk, open_kiosk
from kiosk.cli.base import cli, common_options, emit_json, fail
from kiosk.errors import KioskError
from kiosk.i18n import text
from kiosk.services import sync as sync_service
from kiosk.services.sync import SyncProgress, SyncReport


@cli.command()
@click.option("--server", "server_url", required=True, help="The central server's address.")
@click.option("--code", required=True, help="The one-time code from `kiosk-server device add`.")
@click.option("--force", is_flag=True, help="Enroll again, replacing this device's credential.")
@click.option(
    "--allow-plain-http",
    is_flag=True,
    help="Allow an http:// server on another machine (unencrypted; warned at every sync).",
)
@click.option(
    "--pin-sha256",
    "pin",
    metavar="SHA256",
    help="Trust only the server certificate with this SHA-256 (hex, as openssl prints it, or base64).",
)
@click.option(
    "--trust-ca",
    "ca_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Trust server certificates issued by this authority (PEM), e.g. the office's own.",
)
@common_options
def enroll(
    server_url: str,
    code: str,
    force: bool,
    allow_plain_http: bool,
    pin: str | None,
    ca_file: str | None,
    data_dir: str | None,
    as_json: bool,
    lang: str,
) -> None:
    """Enroll this device with the central server using a one-time code."""
    trust = _operator_trust(allow_plain_http, pin, ca_file, lang)
    kiosk = open_kiosk(data_dir)
    try:
        enrolled = sync_service.enroll_device(
            kiosk,
            server_url,
            code,
            force=force,
            trust=trust,
            http_factory=sync_service.build_http_client,
        )
    finally:
        kiosk.close()
    _warn_if_plain_http(enrolled.server_url, lang)
    if as_json:
        emit_json({"ok": True, **enrolled.public()})  # never the credential
        return
    click.echo(
        text(
            "sync.cli.enrolled",
            lang,
            name=enrolled.device_name,
            device_code=enrolled.device_code,
            area=enrolled.area,
            server=enrolled.server_url,
        )
    )
    click.echo(text("sync.cli.numbers", lang, device_code=enrolled.device_code))


def _operator_trust(
    allow_plain_http: bool, pin: str | None, ca_file: str | None, lang: str
) -> sync_service.ServerTrust:
    """The trust options as given, or a usage error (exit 2) naming the one that is wrong."""
    pin_sha256 = None
    if pin is not None:
        try:
            pin_sha256 = sync_service.normalise_pin(pin)
        except ValueError:
            raise click.UsageError(text("sync.cli.bad_pin", lang)) from None
    ca_pem = None
    if ca_file is not None:
        ca_pem = Path(ca_file).read_text(encoding="utf-8", errors="replace")
        if not sync_service.readable_ca(ca_pem):
            raise click.UsageError(text("sync.cli.bad_trusted_ca", lang, path=ca_file))
    return sync_service.ServerTrust(
        allow_plain_http=allow_plain_http, pin_sha256=pin_sha256, ca_pem=ca_pem
    )


def _warn_if_plain_http(server_url: str, lang: str) -> None:
    """Every time: an operator who allowed plain http once must not forget it is still on."""
    if sync_service.plain_http_in_use(server_url):
        host = server_url.split("://", 1)[-1]
        click.echo(f"kiosk: {text('sync.cli.plain_http_warning', lang, server=host)}", err=True)


@cli.command("sync")
@click.option("--once", is_flag=True, help="Sync now, once (the default).")
@click.option("--watch", is_flag=True, help="Keep syncing until Ctrl-C, printing progress.")
@click.option("--status", "show_status", is_flag=True, help="Show what is waiting and why.")
@click.option(
    "--requeue",
    "requeue",
    multiple=True,
    metavar="NUMBER|all",
    help="Queue quarantined records again once what refused them is fixed (repeatable).",
)
@common_options
def sync_command(
    once: bool,
    watch: bool,
    show_status: bool,
    requeue: tuple[str, ...],
    data_dir: str | None,
    as_json: bool,
    lang: str,
) -> None:
    """Send queued records to the central server and fetch status changes.

    Exit 0 only when everything is on the server; otherwise 1 with the reason in one line.
    """
    if once + watch + show_status + bool(requeue) > 1:
        raise click.UsageError("choose one of --once, --watch, --status, --requeue")
    if requeue:
        _requeue(data_dir, [] if "all" in requeue else list(requeue), as_json, lang)
    elif show_status:
        _print_status(data_dir, as_json, lang)
    elif watch:
        _watch(data_dir, as_json, lang)
    else:
        _once(data_dir, as_json, lang)


def _requeue(data_dir: str | None, numbers: list[str], as_json: bool, lang: str) -> None:
    kiosk = open_kiosk(data_dir)
    try:
        count = sync_service.requeue_quarantined(kiosk, numbers)
    except KioskError as exc:
        fail(exc, lang, as_json)
    finally:
        kiosk.close()
    if as_json:
        emit_json({"ok": True, "requeued": count})
    else:
        click.echo(text("sync.requeue.done", lang, count=count))


def _once(data_dir: str | None, as_json: bool, lang: str) -> None:
    kiosk = open_kiosk(data_dir)
    try:
        _warn_for_enrollment(kiosk, lang)
        report = sync_service.sync_now(kiosk, http_factory=sync_service.build_http_client)
        quarantined = [item["code"] for item in sync_service.sync_status(kiosk).quarantined]
    finally:
        kiosk.close()
    if as_json:
        emit_json({"ok": report.is_complete, **report.to_dict()})
    elif report.error is None or _did_something(report):
        click.echo(_summary(report, lang))
    if report.error is not None:
        if as_json:
            raise SystemExit(1)
        fail(sync_service.as_kiosk_error(report.error), lang, as_json)
    if not report.is_complete:
        click.echo(f"kiosk: {_unfinished(report, quarantined, lang)}", err=True)
        raise SystemExit(1)
    if not as_json:
        click.echo(text("sync.cli.all_synced", lang))


def _did_something(report: SyncReport) -> bool:
    return bool(report.sent or report.attachments_uploaded or report.changes_applied)


def _summary(report: SyncReport, lang: str) -> str:
    return text(
        "sync.cli.summary",
        lang,
        sent=report.sent,
        duplicates=report.duplicates,
        attachments=report.attachments_uploaded,
        kilobytes=round(report.bytes_uploaded / 1024),
        changes=report.changes_applied,
    )


def _unfinished(report: SyncReport, quarantined_codes: list[str], lang: str) -> str:
    """One line: quarantined records with their codes first, else what is still waiting."""
    if quarantined_codes:
        counted = sorted(Counter(quarantined_codes).items())
        codes = ", ".join(f"{code} ×{count}" for code, count in counted)
        return text("sync.cli.quarantined", lang, count=len(quarantined_codes), codes=codes)
    return text("sync.cli.pending", lang, count=report.pending)


def _watch(data_dir: str | None, as_json: bool, lang: str) -> None:
    kiosk = open_kiosk(data_dir)
    try:
        sync_service.require_enrollment(kiosk)  # a device that cannot sync fails at once
        _warn_for_enrollment(kiosk, lang)
        folder = kiosk.data_dir
    finally:
        kiosk.close()
    if not as_json:
        click.echo(text("sync.cli.watch_started", lang))
    printer = _ProgressPrinter(lang, as_json)
    stop = threading.Event()
    try:
        sync_service.watch(
            folder,
            stop,
            http_factory=sync_service.build_http_client,
            on_progress=printer.progress,
            on_report=printer.report,
        )
    except KeyboardInterrupt:
        stop.set()
    if not as_json:
        click.echo(text("sync.cli.watch_stopped", lang))


def _warn_for_enrollment(kiosk: Kiosk, lang: str) -> None:
    enrolled = sync_service.enrollment_of(kiosk)
    if enrolled is not None and enrolled.allow_plain_http:  # not allowed: the sync refuses
        _warn_if_plain_http(enrolled.server_url, lang)


class _ProgressPrinter:
    """Prints a line when a phase moves on by a tenth or more, and one line per finished run."""

    def __init__(self, lang: str, as_json: bool) -> None:
        self.lang, self.as_json = lang, as_json
        self.last: tuple[str, int] | None = None

    def progress(self, event: SyncProgress) -> None:
        if event.phase == "attachments":
            done, total = event.bytes_done, event.bytes_total
        elif event.phase == "records":
            done, total = event.records_done, event.records_total
        else:
            done, total = event.changes_applied, 0
        if total == 0 and event.phase != "changes":
            return
        step = (event.phase, done * 10 // total if total else done)
        if step == self.last:
            return
        self.last = step
        if self.as_json:
            emit_json({"progress": vars(event)})
        elif event.phase == "attachments":
            click.echo(
                text(
                    "sync.cli.progress_attachments",
                    self.lang,
                    done=round(done / 1024),
                    total=round(total / 1024),
                )
            )
        elif event.phase == "records":
            click.echo(text("sync.cli.progress_records", self.lang, done=done, total=total))
        elif done:
            click.echo(text("sync.cli.progress_changes", self.lang, count=done))

    def report(self, report: SyncReport) -> None:
        self.last = None
        if self.as_json:
            emit_json({"report": report.to_dict()})
            return
        if report.error is None or _did_something(report):
            click.echo(_summary(report, self.lang))
        if report.error is not None:
            click.echo(_error_text(sync_service.as_kiosk_error(report.error), self.lang))
        elif not report.is_complete:
            codes = [item.code for item in report.quarantined]
            click.echo(_unfinished(report, codes, self.lang))


def _error_text(error: KioskError, lang: str) -> str:
    return text(error.code, lang, detail=error.detail, **error.params)


def _reason(code: str | None, message: dict[str, str] | None, lang: str) -> str:
    """The server's own sentence when it sent one, else ours for the code."""
    sentence = message.get(lang) if message else None
    if not sentence:
        return text(f"sync.code.{code}", lang)
    field_name = message.get("field") if message else None
    return f"{field_name}: {sentence}" if field_name else sentence


def _print_status(data_dir: str | None, as_json: bool, lang: str) -> None:
    kiosk = open_kiosk(data_dir)
    try:
        status = sync_service.sync_status(kiosk)
    finally:
        kiosk.close()
    if as_json:
        emit_json(_status_json(status))
        return
    if status.enrollment:
        enrolled = status.enrollment
        click.echo(
            text(
                "sync.cli.status_server",
                lang,
                server=enrolled["server_url"],
                name=enrolled["device_name"],
                device_code=enrolled["device_code"],
                area=enrolled["area"],
            )
        )
    else:
        click.echo(text("sync.cli.status_not_enrolled", lang))
    click.echo(text("sync.cli.status_pending", lang, count=status.pending))
    click.echo(text("sync.cli.status_sent", lang, count=status.sent))
    click.echo(text("sync.cli.status_quarantined", lang, count=len(status.quarantined)))
    for item in status.quarantined:
        line = text(
            "sync.cli.status_item",
            lang,
            number=item["register_number"] or item["client_id"],
            kind=text(f"sync.cli.kind_{item['kind']}", lang),
            reason=f"{item['code']}: {_reason(item['code'], item['message'], lang)}",
        )
        click.echo(f"  - {line}")
    if status.last_success_at:
        click.echo(text("sync.cli.status_last_success", lang, when=status.last_success_at))
    else:
        click.echo(text("sync.cli.status_never", lang))
    if status.last_error:
        error = status.last_error
        reason = text(error["code"], lang, **error.get("params", {}))
        click.echo(text("sync.cli.status_last_error", lang, reason=reason))


def _status_json(status: sync_service.SyncStatus) -> dict[str, Any]:
    data = status.to_dict()
    for item in data["quarantined"]:
        item["reason"] = {
            lang: _reason(item["code"], item["message"], lang) for lang in ("id", "en")
        }
    if data["last_error"]:
        error = data["last_error"]
        error["message"] = {
            lang: text(error["code"], lang, **error.get("params", {})) for lang in ("id", "en")
        }
    return data
