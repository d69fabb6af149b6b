"""`kiosk demo`: the whole offline loop on sample data, running the real commands a user would type."""

from __future__ import annotations

import io
import json
import shlex
import tempfile
from pathlib import Path

import click
from PIL import Image, ImageDraw

from kiosk.assets import assets_dir
from kiosk.bootstrap import open_kiosk
from kiosk.cli.base import cli, common_options
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


@cli.command()
@common_options
def demo(data_dir: str | None, as_json: bool, lang: str) -> None:
    """Walk through the offline loop on sample data (a fresh temporary folder unless --data-dir)."""
    folder = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="lengkap-demo-"))
    click.secho(text("demo.intro", lang, folder=folder), bold=True)
    samples = assets_dir() / "samples"
    work = folder / "demo-input"
    work.mkdir(parents=True, exist_ok=True)
    (work / "kk.jpg").write_bytes(_sample_kk_photo())
    request = json.loads((samples / "submission-kjp-plus.json").read_text(encoding="utf-8"))
    (work / "submission.json").write_text(json.dumps(request, indent=2), encoding="utf-8")

    click.secho("\n1. " + text("demo.step_roster", lang), bold=True)
    _run(
        ["roster", "import", str(samples / "roster-kjp-plus.csv"), "--program", "kjp-plus"], folder
    )
    click.secho("\n2. " + text("demo.step_nik", lang), bold=True)
    _run(["nik", SAMPLE_STUDENT_NIK, "--role", "student"], folder)
    _run(["nik", "3174013205090003"], folder)
    click.secho("\n3. " + text("demo.step_name", lang), bold=True)
    _run(["roster", "find", "--name", "Moh. Abd. Rachman"], folder)
    click.secho("\n4. " + text("demo.step_check", lang), bold=True)
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
    click.secho("\n5. " + text("demo.step_submit", lang), bold=True)
    _run(["submit", str(work / "submission.json")], folder)
    _run(["status", _latest_register_number(folder, "submissions")], folder)
    click.secho("\n6. " + text("demo.step_complaint", lang), bold=True)
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
    click.secho("\n" + text("demo.outro", lang, folder=folder), bold=True)
