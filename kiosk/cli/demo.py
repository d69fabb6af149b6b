"""`kiosk demo`: the whole loop on sample data, running the real commands a person would type.

A local central server (its own process), this kiosk enrolled to it, the offline steps, the sync
and a decision set on the server coming back; then the officer's app with background sync.
The steps are one list (`Demo.steps`), numbered as they are printed, so the numbers cannot skip.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import tempfile
from collections.abc import Callable
from pathlib import Path

import click
from PIL import Image, ImageDraw

from kiosk.assets import assets_dir
from kiosk.bootstrap import open_kiosk
from kiosk.cli.base import cli, common_options
from kiosk.cli.local_server import LocalServer, LocalServerError
from kiosk.cli.ports import ensure_port_free, free_port
from kiosk.i18n import LANGUAGES, text
from kiosk.services.export import export_records
from kiosk.services.status import status_of

# Sample people (assets/samples): the student is a girl born 14 May 2009, so her NIK's day is 54.
SAMPLE_STUDENT_NIK = "3174015405090003"
MISTYPED_STUDENT_NIK = "3174017405090003"  # day 74: neither a man's (01-31) nor a woman's (41-71)
SAMPLE_MOTHER_NIK = "3174015708800002"
DEMO_OFFICER = ("Demo", "2468")  # sample data only: printed on screen for the newcomer
# Sample data only, never a real account. A verifier, not a supervisor: admins and supervisors
# need a code app (TOTP) at sign-in and a newcomer may have none at hand, while a verifier handles
# the complaint and reviews the submission with a password alone. No account is exempted from
# the rule, not even here: the demo's text says how to give a supervisor TOTP.
DEMO_STAFF = ("verifikator", "demo-lengkap-2468")
DEMO_AREA = "31.74"  # Jakarta Selatan, where the sample roster's people live
APP_SYNC_INTERVAL = 10.0  # seconds: in a demo the state set on the server should show soon
HOST = "127.0.0.1"


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


class Demo:
    """One run of the demo: where its data lives, its local server, and the steps in order."""

    def __init__(
        self,
        folder: Path,
        server: LocalServer,
        lang: str,
        *,
        app_port: int | None,
        open_browser: bool,
    ) -> None:
        self.folder = folder
        self.server = server
        self.lang = lang
        self.app_port = app_port  # None: end after the loop, without the app
        self.open_browser = open_browser
        self.samples = assets_dir() / "samples"
        self.work = folder / "demo-input"
        self.enrollment_code = ""
        # Every step's heading takes what it needs from these (text() ignores the rest).
        self.texts = {
            "url": server.url,
            "console_url": server.url + "/console",
            "staff": DEMO_STAFF[0],
            "password": DEMO_STAFF[1],
            "app_url": f"http://{HOST}:{app_port}",
            "officer": DEMO_OFFICER[0],
            "pin": DEMO_OFFICER[1],
        }

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        """(heading key, action) in the order they run; the app, when wanted, comes last."""
        steps = [
            ("demo.step_server", self.publish),
            ("demo.step_enroll", self.enroll),
            ("demo.step_nik", self.check_nik),
            ("demo.step_name", self.find_name),
            ("demo.step_check", self.checklist),
            ("demo.step_submit", self.submit),
            ("demo.step_complaint", self.complain),
            ("demo.step_sync", self.sync),
            ("demo.step_decision", self.decide),
            ("demo.step_console", self.add_staff),
            ("demo.step_officer", self.add_officer),
        ]
        if self.app_port is not None:
            steps.append(("demo.step_app", self.serve_app))
        return steps

    def run(self) -> None:
        """Every step, numbered as printed; the local server stops when they end (or fail)."""
        with contextlib.ExitStack() as running:
            self.running = running
            for number, (heading, action) in enumerate(self.steps(), start=1):
                click.secho(f"\n{number}. " + text(heading, self.lang, **self.texts), bold=True)
                action()

    def kiosk(self, *args: str) -> None:
        """Show the command, then run it exactly as `kiosk` would (its exit code is part of the demo)."""
        typed = [*args, "--data-dir", str(self.folder)]
        if self.lang != LANGUAGES[0]:
            typed += ["--lang", self.lang]
        click.secho("\n$ " + shlex.join(["kiosk", *typed]), fg="cyan")
        try:
            # Always with --lang: the demo's language, even where $KIOSK_LANG says another.
            cli.main([*typed, "--lang", self.lang], prog_name="kiosk", standalone_mode=False)
        except SystemExit as exit_:
            if exit_.code:
                click.secho(f"(exit {exit_.code})", fg="yellow")

    def latest_register_number(self, kind: str) -> str:
        kiosk = open_kiosk(self.folder)
        try:
            numbers = [r["register_number"] for r in export_records(kiosk) if r["kind"] == kind]
        finally:
            kiosk.close()
        return str(numbers[-1])

    # --- the steps -------------------------------------------------------------------------------

    def publish(self) -> None:
        """The server, then the roster (with its one deliberate bad row), the rules, a device code."""
        self.running.enter_context(self.server)
        roster = self.samples / "roster-kjp-plus.csv"
        self.server.run("roster", "publish", str(roster), "--program", "kjp-plus")
        for rules in sorted((assets_dir() / "programs").glob("*.toml")):
            self.server.run("rules", "publish", str(rules))
        added = self.server.run("device", "add", "demo-kiosk", "--area", DEMO_AREA)
        self.enrollment_code = _enrollment_code(added)

    def enroll(self) -> None:
        self.kiosk("enroll", "--server", self.server.url, "--code", self.enrollment_code, "--force")
        self.kiosk("sync", "--once")

    def check_nik(self) -> None:
        self.kiosk("nik", SAMPLE_STUDENT_NIK, "--role", "student")
        self.kiosk("nik", MISTYPED_STUDENT_NIK)

    def find_name(self) -> None:
        self.kiosk("roster", "find", "--name", "Moh. Abd. Rachman")

    def checklist(self) -> None:
        facts = ("level=sma", "collector=parent", "recipient=continuing")
        fact_args = [arg for fact in facts for arg in ("--fact", fact)]
        self.kiosk("check", "--program", "kjp-plus", "--stage", "2", *fact_args, "--have", "kk")

    def submit(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        (self.work / "kk.jpg").write_bytes(_sample_kk_photo())
        sample = self.samples / "submission-kjp-plus.json"
        request = json.loads(sample.read_text(encoding="utf-8"))
        (self.work / "submission.json").write_text(json.dumps(request, indent=2), encoding="utf-8")
        self.kiosk("submit", str(self.work / "submission.json"))
        self.kiosk("status", self.latest_register_number("submission"))

    def complain(self) -> None:
        self.kiosk(
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
        )
        self.kiosk("complaint", "show", self.latest_register_number("complaint"))

    def sync(self) -> None:
        self.kiosk("sync", "--once")

    def decide(self) -> None:
        """What a verifier does with a submission that lacks documents: send it back, naming them.

        Verifying it would tell the family nothing is missing; the note lists what the kiosk's
        own checklist found missing, in the words the kiosk uses for those documents.
        """
        number = self.latest_register_number("submission")
        kiosk = open_kiosk(self.folder)
        try:
            missing = status_of(kiosk, number).missing_documents
        finally:
            kiosk.close()
        titles = "; ".join(
            document["title"].get(self.lang, document["document"]) for document in missing
        )
        note = text("demo.missing_note", self.lang, documents=titles)
        self.server.run("record", "set-state", number, "rejected", "--note", note)
        self.kiosk("sync", "--once")
        self.kiosk("status", number)

    def add_staff(self) -> None:
        """A verifier for the staff console, so the newcomer can answer the complaint too."""
        self.server.run(
            "user",
            "add",
            DEMO_STAFF[0],
            "--role",
            "verifier",
            "--password-stdin",
            stdin=DEMO_STAFF[1] + "\n",
        )

    def add_officer(self) -> None:
        self.kiosk("officer", "add", DEMO_OFFICER[0], "--pin", DEMO_OFFICER[1])

    def serve_app(self) -> None:
        # Imported here: only the app needs Flet, and the loop above runs without it.
        from kiosk.app import serve

        assert self.app_port is not None
        # Ctrl-C ends the app; leaving run()'s `with` then stops the server too.
        with contextlib.suppress(KeyboardInterrupt):
            serve(
                self.folder,
                web=True,
                host=HOST,
                port=self.app_port,
                open_browser=self.open_browser,
                lang=self.lang,
                sync_interval=APP_SYNC_INTERVAL,
            )


@cli.command()
@click.option("--no-app", is_flag=True)
@click.option("--app-port", type=click.IntRange(1, 65535), default=8550, show_default=True)
@click.option("--server-port", type=click.IntRange(1, 65535), default=None)
@click.option("--no-browser", is_flag=True)
@common_options
def demo(
    no_app: bool,
    app_port: int,
    server_port: int | None,
    no_browser: bool,
    data_dir: str | None,
    as_json: bool,
    lang: str,
) -> None:
    """The whole loop on sample data: a local server, this kiosk enrolled to it, then the app.

    Everything lives in a fresh temporary folder unless --data-dir: the kiosk's data there, the
    server's in its "server" folder. Ctrl-C stops the app and the server.
    """
    # Both ports are checked before anything runs: a taken one is one line and exit 1, not a
    # traceback after the whole loop.
    if not no_app:
        ensure_port_free(HOST, app_port, option="--app-port")
    if server_port is not None:
        ensure_port_free(HOST, server_port, option="--server-port")
    else:
        server_port = free_port(HOST)
    folder = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="lengkap-demo-"))
    click.secho(text("demo.intro", lang, folder=folder), bold=True)
    server = LocalServer(folder / "server", port=server_port, lang=lang)
    Demo(
        folder,
        server,
        lang,
        app_port=None if no_app else app_port,
        open_browser=not no_browser,
    ).run()
    outro = "demo.outro" if no_app else "demo.stopped"
    click.secho("\n" + text(outro, lang, folder=folder), bold=True)
