"""`kiosk demo`: the whole loop on sample data, running the real commands a person would type.

A local central server (its own process), this kiosk enrolled to it, the offline steps, the sync
and a status set on the server coming back; then the officer's app with background sync.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import tempfile
from pathlib import Path

import click
from PIL import Image, ImageDraw

from kiosk.assets import assets_dir
from kiosk.bootstrap import open_kiosk
from kiosk.cli.base import cli, common_options
from kiosk.cli.local_server import LocalServer, LocalServerError
from kiosk.i18n import text

SAMPLE_STUDENT_NIK = "3174011405090003"
SAMPLE_MOTHER_NIK = "3174015708800002"


def _sample_kk_photo() -> bytes:
    """A synthetic photographed KK page, so the demo stores a real JPEG (no real person on it)."""
    image = Image.new("RGB", (1600, 1100), (240, 236, 226))
    draw = ImageDraw.Draw(image)
    draw.text(
        (60, 40), "KARTU KELUARGA  No. 3174012001150004  (CONTOH / SAMPLE)", fill=(20, 20, 20)
    )
    for row in range(10):
        y = 140 + row * 80
        draw.line([(60, y), (1540, y)], fill=(90, 90, 90), width=2)
        draw.rectangle([80, y + 20, 80 + (row * 131) % 900 + 300, y + 44], fill=(40, 40, 70))
    draw.rectangle([1320, 860, 1520, 1060], outline=(0, 0, 0), width=8)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _run(args: list[str], data_dir: Path) -> None:
    """Show the command, then run it exactly as `kiosk` would (its exit code is part of the demo)."""
    shown = ["kiosk", *args, "--data-dir", str(data_dir)]
    click.secho("\n$ " + shlex.join(shown), fg="cyan")
    try:
        cli.main([*args, "--data-dir", str(data_dir)], prog_name="kiosk", standalone_mode=False)
    except SystemExit as exit_:
        if exit_.code:
            click.secho(f"(exit {exit_.code})", fg="yellow")


def _latest_register_number(data_dir: Path, table: str) -> str:
    kiosk = open_kiosk(data_dir)
    try:
        row = kiosk.db.execute(
            f"SELECT register_number FROM {table} ORDER BY created_at DESC, rowid DESC LIMIT 1"
        ).fetchone()
    finally:
        kiosk.close()
    return str(row[0])


DEMO_OFFICER = ("Demo", "2468")  # sample data only: printed on screen for the newcomer
DEMO_STAFF = ("supervisor", "demo-lengkap-2468")  # sample data only, never a real account
DEMO_AREA = "31.74"  # Jakarta Selatan, where the sample roster's people live
APP_SYNC_INTERVAL = 10.0  # seconds: in a demo the state set on the server should show soon


def _enrollment_code(output: str) -> str:
    """The one-time code in `kiosk-server device add`'s first line (e.g. ABCD-EFGH-JKLM)."""
    first_line = output.strip().splitlines()[0] if output.strip() else ""
    found = re.search(r"([0-9A-Z]{3,}(?:-[0-9A-Z]{3,})+)\s*$", first_line)
    if not found:
        raise LocalServerError(
            "kiosk-server device add printed no enrolment code",
            code="demo.server_command_failed",
            params={"command": "kiosk-server device add"},
        )
    return found.group(1)


@cli.command()
@click.option("--no-app", is_flag=True, help="End after the loop instead of opening the app.")
@click.option("--app-port", type=int, default=8550, show_default=True, help="Port of the app.")
@click.option("--no-browser", is_flag=True, help="Serve the app only; do not open a browser.")
@common_options
def demo(
    no_app: bool,
    app_port: int,
    no_browser: bool,
    data_dir: str | None,
    as_json: bool,
    lang: str,
) -> None:
    """The whole loop on sample data: a local server, this kiosk enrolled to it, then the app.

    Everything lives in a fresh temporary folder unless --data-dir: the kiosk's data there, the
    server's in its "server" folder. Ctrl-C stops the app and the server.
    """
    folder = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="lengkap-demo-"))
    click.secho(text("demo.intro", lang, folder=folder), bold=True)
    samples = assets_dir() / "samples"
    work = folder / "demo-input"
    work.mkdir(parents=True, exist_ok=True)
    (work / "kk.jpg").write_bytes(_sample_kk_photo())
    request = json.loads((samples / "submission-kjp-plus.json").read_text(encoding="utf-8"))
    (work / "submission.json").write_text(json.dumps(request, indent=2), encoding="utf-8")

    server = LocalServer(folder / "server")
    click.secho("\n1. " + text("demo.step_server", lang, url=server.url), bold=True)
    with server:
        server.run(
            "roster", "publish", str(samples / "roster-kjp-plus.csv"), "--program", "kjp-plus"
        )
        for rules in sorted((assets_dir() / "programs").glob("*.toml")):
            server.run("rules", "publish", str(rules))
        code = _enrollment_code(server.run("device", "add", "demo-kiosk", "--area", DEMO_AREA))

        click.secho("\n2. " + text("demo.step_enroll", lang), bold=True)
        _run(["enroll", "--server", server.url, "--code", code, "--force"], folder)
        _run(["sync", "--once"], folder)
        _offline_steps(folder, work, lang, first_step=3)

        click.secho("\n9. " + text("demo.step_sync", lang), bold=True)
        _run(["sync", "--once"], folder)
        number = _latest_register_number(folder, "submissions")
        click.secho("\n10. " + text("demo.step_state", lang), bold=True)
        server.run("record", "set-state", number, "verified", "--note", "Dokumen lengkap (demo)")
        _run(["sync", "--once"], folder)
        _run(["status", number], folder)

        _run(["officer", "add", DEMO_OFFICER[0], "--pin", DEMO_OFFICER[1]], folder)
        # A supervisor for the staff console, so the newcomer can answer the complaint too.
        server.run(
            "user",
            "add",
            DEMO_STAFF[0],
            "--role",
            "supervisor",
            "--password-stdin",
            stdin=DEMO_STAFF[1] + "\n",
        )
        click.secho(
            "\n"
            + text(
                "demo.step_console",
                lang,
                url=server.url + "/console",
                name=DEMO_STAFF[0],
                password=DEMO_STAFF[1],
            ),
            bold=True,
        )
        if no_app:
            click.secho("\n" + text("demo.outro", lang, folder=folder), bold=True)
            return
        # Imported here: only the app needs Flet, and the loop above runs without it.
        from kiosk.app import serve

        url = f"http://127.0.0.1:{app_port}"
        click.secho(
            "\n11. "
            + text("demo.step_app", lang, url=url, name=DEMO_OFFICER[0], pin=DEMO_OFFICER[1]),
            bold=True,
        )
        # Ctrl-C ends the app; leaving the `with` then stops the server too.
        with contextlib.suppress(KeyboardInterrupt):
            serve(
                folder,
                web=True,
                host="127.0.0.1",
                port=app_port,
                open_browser=not no_browser,
                lang=lang,
                sync_interval=APP_SYNC_INTERVAL,
            )
        click.secho("\n" + text("demo.stopped", lang, folder=folder), bold=True)


def _offline_steps(folder: Path, work: Path, lang: str, first_step: int) -> None:
    """What a counter does without a network: check, look up, submit, file a complaint."""
    steps = iter(range(first_step, first_step + 10))
    click.secho(f"\n{next(steps)}. " + text("demo.step_nik", lang), bold=True)
    _run(["nik", SAMPLE_STUDENT_NIK, "--role", "student"], folder)
    _run(["nik", "3174013205090003"], folder)
    click.secho(f"\n{next(steps)}. " + text("demo.step_name", lang), bold=True)
    _run(["roster", "find", "--name", "Moh. Abd. Rachman"], folder)
    click.secho(f"\n{next(steps)}. " + text("demo.step_check", lang), bold=True)
    _run(
        [
            "check",
            "--program",
            "kjp-plus",
            "--stage",
            "2",
            "--fact",
            "level=sma",
            "--fact",
            "collector=parent",
            "--fact",
            "recipient=continuing",
            "--have",
            "kk",
        ],
        folder,
    )
    click.secho(f"\n{next(steps)}. " + text("demo.step_submit", lang), bold=True)
    _run(["submit", str(work / "submission.json")], folder)
    _run(["status", _latest_register_number(folder, "submissions")], folder)
    click.secho(f"\n{next(steps)}. " + text("demo.step_complaint", lang), bold=True)
    _run(
        [
            "complaint",
            "file",
            "--category",
            "late_disbursement",
            "--program",
            "kjp-plus",
            "--description",
            "Dana KJP Plus tahap 2 belum masuk ke rekening.",
            "--name",
            "Hj. Aminah",
            "--nik",
            SAMPLE_MOTHER_NIK,
        ],
        folder,
    )
    _run(["complaint", "show", _latest_register_number(folder, "complaints")], folder)
