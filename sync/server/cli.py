"""The `kiosk-server` command: run the server and administer it, as a thin layer over the modules.

Exit codes like the kiosk's: 0 success, 1 a handled error (one line on stderr), 2 misuse. Every
command takes --db URL and --data-dir DIR; with neither, the SQLite file in the user data folder.
"""

from __future__ import annotations

import functools
import getpass
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from kiosk.errors import KioskError
from kiosk.i18n import text
from kiosk.localized_cli import LocalizedProgram, lang_option
from sync.server import (
    audit,
    database_roles,
    devices,
    logs,
    migrations,
    records,
    roster,
    rules,
    uploads,
)
from sync.server.attachments import DirectoryStore
from sync.server.errors import AdminError, ServerError
from sync.server.settings import ServerSettings
from sync.server.staff import accounts, cases, operators, twofactor
from sync.server.staff.roles import Role
from sync.server.storage import Database, utc_now

F = TypeVar("F", bound=Callable[..., Any])
PROG = "kiosk-server"


# Help and usage errors in the run's language, from assets/i18n/*/cli_help*.toml, like `kiosk`'s.
@click.group(
    name=PROG, cls=LocalizedProgram, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="lengkap")
def cli() -> None:
    """Lengkap central server: devices push records and photos, and pull statuses, rosters, rules."""


def server_options(func: F) -> F:
    """--db, --data-dir and --lang on every command; handled errors become one line and exit 1."""

    @click.option(
        "--db", "db_url", default=None, help="Database URL (default: SQLite in the data dir)."
    )
    @click.option(
        "--data-dir",
        type=click.Path(file_okay=False),
        default=None,
        help="Server data folder (default: $KIOSK_SERVER_DATA_DIR or the user data dir).",
    )
    @lang_option()
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        language = kwargs["lang"]
        try:
            return func(*args, **kwargs)
        except ServerError as exc:
            _fail(exc.message(language))
        except KioskError as exc:
            message = text(exc.code, language, **{"detail": exc.detail, **exc.params})
            _fail(f"{exc.where}: {message}" if exc.where and exc.where not in message else message)

    return wrapper  # type: ignore[return-value]


def _fail(message: str) -> None:
    click.echo(f"{PROG}: {message}", err=True)
    sys.exit(1)


def _settings(db_url: str | None, data_dir: str | None) -> ServerSettings:
    return ServerSettings.resolve(data_dir, db_url)


@contextmanager
def _database(db_url: str | None, data_dir: str | None) -> Iterator[Database]:
    """The server's database, migrated first: an admin command on a new server just works."""
    database = Database(_settings(db_url, data_dir).database_url)
    try:
        migrations.upgrade(database)
        yield database
    finally:
        database.close()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="TLS private key.")
@server_options
def serve(
    host: str,
    port: int,
    log_level: str,
    tls_cert: str | None,
    tls_key: str | None,
    db_url: str | None,
    data_dir: str | None,
    lang: str,
) -> None:
    """Run the server (migrating the database first). Binds 127.0.0.1 unless told otherwise."""
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError(text("server.cli.tls_pair", lang))
    import uvicorn

    from sync.server.app import create_app

    settings = _settings(db_url, data_dir)
    logs.configure(log_level)  # no payload in the log at any level (sync/server/logs.py)
    database = settings.database_url.split("://", 1)[0]
    scheme = "https" if tls_cert else "http"
    click.echo(text("server.cli.serving", lang, url=f"{scheme}://{host}:{port}", database=database))
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
    )
    logs.cap_payload_loggers()  # again: uvicorn has just configured its own loggers
    logs.mask_handlers()
    uvicorn.Server(config).run()


@cli.command()
@server_options
def migrate(db_url: str | None, data_dir: str | None, lang: str) -> None:
    """Create or upgrade the database schema (SQLite or PostgreSQL)."""
    with _database(db_url, data_dir) as database:
        revision = migrations.current_revision(database)
    click.echo(text("server.cli.migrated", lang, revision=revision))


@cli.command()
@click.argument("kind", type=click.Choice(["submissions", "complaints"]))
@click.option(
    "--since", default=None, help="Only records received on or after this day (YYYY-MM-DD, UTC)."
)
@server_options
def export(
    kind: str, since: str | None, db_url: str | None, data_dir: str | None, lang: str
) -> None:
    """Print every submission or complaint the server holds as JSON lines."""
    day = _date(since) if since else None
    with _database(db_url, data_dir) as database:
        for row in records.export_records(database, kind.rstrip("s"), day):
            click.echo(json.dumps(row, ensure_ascii=False, sort_keys=True))


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise AdminError("bad_date", "date", date=value) from None


@cli.group()
def device() -> None:
    """Enrol, list and revoke devices."""


def _print_ticket(ticket: devices.EnrollmentTicket, lang: str) -> None:
    import segno

    click.echo(
        text("server.cli.enrollment_code", lang, name=ticket.device.name, code=ticket.display)
    )
    click.echo(
        text("server.cli.expires", lang, expires=ticket.expires_at.strftime("%Y-%m-%d %H:%M"))
    )
    click.echo(
        text(
            "server.cli.device_code",
            lang,
            device_code=ticket.device.device_code,
            area=ticket.device.area,
        )
    )
    picture = io.StringIO()
    segno.make_qr(ticket.code, error="m").terminal(out=picture, compact=True)
    click.echo(picture.getvalue(), nl=False)


_EXPIRES = click.option(
    "--expires-in",
    default=24.0,
    show_default=True,
    type=click.FloatRange(min=0.01),
    help="Hours the code stays valid.",
)


@device.command("add")
@click.argument("name")
@click.option("--area", required=True, help="Kemendagri region code the device serves, e.g. 31.74.")
@_EXPIRES
@server_options
def device_add(
    name: str, area: str, expires_in: float, db_url: str | None, data_dir: str | None, lang: str
) -> None:
    """Register a device and print its one-time enrolment code (and QR)."""
    with _database(db_url, data_dir) as database:
        ticket = devices.add_device(
            database, name, area, now=utc_now(), ttl=timedelta(hours=expires_in)
        )
    _print_ticket(ticket, lang)


@device.command("code")
@click.argument("name")
@_EXPIRES
@server_options
def device_code(
    name: str, expires_in: float, db_url: str | None, data_dir: str | None, lang: str
) -> None:
    """Issue a new enrolment code for an existing device (lost code, replaced tablet)."""
    with _database(db_url, data_dir) as database:
        ticket = devices.issue_code(database, name, now=utc_now(), ttl=timedelta(hours=expires_in))
    _print_ticket(ticket, lang)


@device.command("revoke")
@click.argument("name")
@server_options
def device_revoke(name: str, db_url: str | None, data_dir: str | None, lang: str) -> None:
    """Revoke a device; its next request is refused."""
    with _database(db_url, data_dir) as database:
        revoked = devices.revoke(database, name, now=utc_now())
    click.echo(text("server.cli.revoked", lang, name=revoked.name))


@cli.group("uploads")
def uploads_group() -> None:
    """Unfinished photo uploads."""


@uploads_group.command("sweep")
@click.option(
    "--older-than-hours",
    type=click.FloatRange(min=0),
    default=None,
    help="Delete unfinished uploads untouched this long (default: the server's setting, 72).",
)
@server_options
def uploads_sweep(
    older_than_hours: float | None, db_url: str | None, data_dir: str | None, lang: str
) -> None:
    """Delete abandoned unfinished uploads now (the server also does so at start and hourly)."""
    settings = _settings(db_url, data_dir)
    default = settings.abandoned_upload_age.total_seconds()
    age = default if older_than_hours is None else older_than_hours * 3600
    swept = uploads.sweep_abandoned(DirectoryStore(settings.attachments_dir), age)
    click.echo(text("server.cli.uploads_swept", lang, count=swept))


@device.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@server_options
def device_list(as_json: bool, db_url: str | None, data_dir: str | None, lang: str) -> None:
    """Every device: name, device code, area, status."""
    with _database(db_url, data_dir) as database:
        found = devices.list_devices(database)
    if not found and not as_json:
        click.echo(text("server.cli.no_devices", lang))
    for item in found:
        if as_json:
            click.echo(json.dumps(item.to_dict(), ensure_ascii=False))
        else:
            click.echo(f"{item.name}\t{item.device_code}\t{item.area}\t{item.status}")


@cli.group("record")
def record_group() -> None:
    """Records the server holds."""


@record_group.command("set-state")
@click.argument("register_number")
@click.argument("state")
@click.option("--note", default=None, help="A note the device shows with the new state.")
@click.option(
    "--operator",
    default=None,
    help="Who makes the change, for the audit trail (default: the OS user).",
)
@server_options
def set_state(
    register_number: str,
    state: str,
    note: str | None,
    operator: str | None,
    db_url: str | None,
    data_dir: str | None,
    lang: str,
) -> None:
    """Change a record's state (e.g. verified, rejected, disbursed) as the console does; it flows
    back to the device on its next pull."""
    who = operator if operator is not None else _os_user()
    with _database(db_url, data_dir) as database:
        changed = operators.set_state(
            database, register_number, state, operator=who, note=note, now=utc_now()
        )
    click.echo(
        text(
            "server.cli.state_set",
            lang,
            register_number=changed.register_number,
            # The state in words, as the console names it, with its id for scripts.
            state=f"{text(f'console.state.{changed.state}', lang)} ({changed.state})",
        )
    )


def _os_user() -> str:
    """The login name, for the audit trail. A container user with no name is still somebody:
    its uid is recorded; only where there is neither must the operator say who they are."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        if hasattr(os, "getuid"):
            return f"uid-{os.getuid()}"
        raise AdminError("bad_operator", "no OS user", limit=operators.OPERATOR_LIMIT) from None


@cli.group("rules")
def rules_group() -> None:
    """Program rule files devices receive."""


@rules_group.command("publish")
@click.argument("file", type=click.Path(dir_okay=False))
@server_options
def rules_publish(file: str, db_url: str | None, data_dir: str | None, lang: str) -> None:
    """Validate a rule file and publish it to every device."""
    try:
        content = Path(file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        raise AdminError("file_unreadable", "cannot read", path=file) from None
    with _database(db_url, data_dir) as database:
        published = rules.publish_rules(database, content, file, now=utc_now())
    key = "server.cli.rules_published" if published.changed else "server.cli.rules_unchanged"
    click.echo(text(key, lang, program=published.program, version=published.version))


@cli.group("roster")
def roster_group() -> None:
    """Rosters of registered beneficiaries devices receive, by area."""


@roster_group.command("publish")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--program", required=True, help="Program id, e.g. kjp-plus or pkh.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@server_options
def roster_publish(
    file: str, program: str, as_json: bool, db_url: str | None, data_dir: str | None, lang: str
) -> None:
    """Publish a CSV of beneficiaries (nik, nama, kode_wilayah, ...); bad rows are reported by line."""
    with _database(db_url, data_dir) as database:
        known = rules.RuleBook(database).snapshot().programs()
        if program not in known:
            raise AdminError("bad_program", "program", program=program, allowed=", ".join(known))
        report = roster.publish_roster(database, Path(file), program, now=utc_now())
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    click.echo(
        text(
            "server.cli.roster_report",
            lang,
            program=program,
            published=report.published,
            unchanged=report.unchanged,
            rejected=report.rejected,
            rows=report.rows_read,
        )
    )
    for problem in report.problems:
        reason = text(problem.code, lang, **problem.params)
        click.echo(
            text(
                "server.cli.roster_problem",
                lang,
                line=problem.line,
                field=problem.column,
                reason=reason,
            )
        )


@cli.group("user")
def user_group() -> None:
    """Staff accounts of the console (roles: officer, verifier, technical, supervisor, admin)."""


def _read_password(from_stdin: bool, lang: str) -> str:
    """The password from one line of stdin, or asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = click.prompt(text("staff.cli.password_prompt", lang), hide_input=True)
    second = click.prompt(text("staff.cli.password_repeat", lang), hide_input=True)
    if first != second:
        _fail(text("staff.cli.passwords_differ", lang))
    return str(first)


_PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from one line of standard input."
)


@user_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="What the account may do (see sync/server/staff/roles.py).",
)
@_PASSWORD_STDIN
@server_options
def user_add(
    name: str,
    role: str,
    password_stdin: bool,
    db_url: str | None,
    data_dir: str | None,
    lang: str,
) -> None:
    """Create a staff account; the password is asked twice (or read from stdin)."""
    password = _read_password(password_stdin, lang)
    with _database(db_url, data_dir) as database:
        user = accounts.add_user(database, name, role, password, now=utc_now())
    click.echo(text("staff.cli.user_added", lang, name=user.name, role=user.role.value))
    if user.role in twofactor.REQUIRED_FOR:
        click.echo(text("staff.cli.totp_run", lang, name=_quoted(user.name)))


def _quoted(name: str) -> str:
    """A name as it must be typed in a shell command (quoted when it has a space)."""
    return f'"{name}"' if " " in name else name


TOTP_TRIES = 3  # codes typed before the command gives up (the secret shown is then discarded)


@user_group.command("totp")
@click.argument("name")
@server_options
def user_totp(name: str, db_url: str | None, data_dir: str | None, lang: str) -> None:
    """Set up (or replace) two-factor sign-in: show a new secret once, take effect after a code."""
    import segno

    settings = _settings(db_url, data_dir)
    with _database(db_url, data_dir) as database:
        user = accounts.find_user(database, name)
        key = twofactor.server_key(settings.data_dir)
        secret = twofactor.new_secret()
        uri = twofactor.provisioning_uri(secret, user.name)
        click.echo(text("staff.cli.totp_scan", lang))
        picture = io.StringIO()
        segno.make_qr(uri, error="m").terminal(out=picture, compact=True)
        click.echo(picture.getvalue(), nl=False)
        click.echo(uri)
        click.echo(text("staff.cli.totp_secret", lang, secret=secret))
        for tries_left in range(TOTP_TRIES - 1, -1, -1):
            code = click.prompt(
                text("staff.cli.totp_code_prompt", lang), default="", show_default=False
            )
            try:
                accounts.set_totp(database, user.name, secret, code, now=utc_now(), totp_key=key)
            except ServerError as exc:
                if tries_left == 0:
                    raise
                click.echo(exc.message(lang), err=True)
                continue
            break
    click.echo(text("staff.cli.totp_set", lang, name=user.name))


@user_group.command("password")
@click.argument("name")
@_PASSWORD_STDIN
@server_options
def user_password(
    name: str, password_stdin: bool, db_url: str | None, data_dir: str | None, lang: str
) -> None:
    """Set a new password (and lift a lockout)."""
    password = _read_password(password_stdin, lang)
    with _database(db_url, data_dir) as database:
        accounts.set_password(database, name, password, now=utc_now())
    click.echo(text("staff.cli.password_set", lang, name=" ".join(name.split())))


@user_group.command("disable")
@click.argument("name")
@server_options
def user_disable(name: str, db_url: str | None, data_dir: str | None, lang: str) -> None:
    """Stop an account from signing in; what it did stays in the history."""
    with _database(db_url, data_dir) as database:
        accounts.disable_user(database, name, now=utc_now())
    click.echo(text("staff.cli.user_disabled", lang, name=" ".join(name.split())))


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@server_options
def user_list(as_json: bool, db_url: str | None, data_dir: str | None, lang: str) -> None:
    """Every staff account: name, role, status."""
    with _database(db_url, data_dir) as database:
        found = accounts.list_users(database)
        now = utc_now()
    for account in found:
        locked = account.locked_until is not None and account.locked_until > now
        status = "disabled" if account.disabled else "locked" if locked else "active"
        if as_json:
            item = {"name": account.user.name, "role": account.user.role.value, "status": status}
            click.echo(json.dumps(item, ensure_ascii=False))
            continue
        until = (
            account.locked_until.strftime("%Y-%m-%d %H:%M UTC")
            if locked and account.locked_until
            else ""
        )
        shown = text(f"staff.cli.{status}", lang, until=until)
        click.echo(f"{account.user.name}\t{account.user.role.value}\t{shown}")


@cli.command()
@server_options
def escalate(db_url: str | None, data_dir: str | None, lang: str) -> None:
    """Escalate every overdue complaint to a supervisor (run it from cron; the console does too)."""
    with _database(db_url, data_dir) as database:
        count = cases.escalate_overdue(database, now=utc_now())
    click.echo(text("staff.cli.escalated", lang, count=count))


@cli.group("audit")
def audit_group() -> None:
    """The audit trail: what arrived and what staff did, as a hash chain."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@server_options
def audit_verify(as_json: bool, db_url: str | None, data_dir: str | None, lang: str) -> None:
    """Check the audit trail's hash chain from its first row to its last; exit 1 at a break."""
    with _database(db_url, data_dir) as database:
        check = audit.verify(database)
    if as_json:
        click.echo(json.dumps(check.to_dict()))
        if not check.intact:
            sys.exit(1)
        return
    if check.intact:
        click.echo(text("audit.cli.intact", lang, rows=check.rows, last_hash=check.last_hash))
        return
    problem = text(f"audit.problem.{check.problem}", lang)
    if check.row_id is None:
        _fail(text("audit.cli.broken_end", lang, rows=check.rows, problem=problem))
    _fail(text("audit.cli.broken", lang, id=check.row_id, rows=check.rows, problem=problem))


@cli.group("db")
def db_group() -> None:
    """The database itself."""


@db_group.command("roles")
@click.option(
    "--owner", default="lengkap_owner", show_default=True, help="Role that owns the schema."
)
@click.option("--app", default="lengkap_app", show_default=True, help="Role the server runs as.")
@click.option("--schema", default="public", show_default=True, help="Schema of the tables.")
@click.option("--apply", "apply_now", is_flag=True, help="Run the SQL now (as a superuser).")
@server_options
def db_roles(
    owner: str,
    app: str,
    schema: str,
    apply_now: bool,
    db_url: str | None,
    data_dir: str | None,
    lang: str,
) -> None:
    """PostgreSQL: print (or run) the SQL for an owner role and an app role that cannot disable
    or drop the audit trail's triggers. Run it after `kiosk-server migrate`."""
    statements = database_roles.role_statements(owner, app, schema)
    if not apply_now:
        for statement in statements:
            click.echo(f"{statement};")
        return
    with _database(db_url, data_dir) as database:
        if database.dialect != "postgresql":
            raise AdminError("roles_need_postgresql", database.dialect)
        # Through the driver, with no parameters: the statements' own % (format's %I) stays SQL.
        with database.engine.connect() as connection:
            driver: Any = connection.connection.driver_connection
            with driver.transaction():
                for statement in statements:
                    driver.execute(statement)
    click.echo(text("audit.cli.roles_applied", lang, owner=owner, app=app))


def main() -> None:
    cli(prog_name=PROG)
