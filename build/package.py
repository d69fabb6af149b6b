"""Build Lengkap's distributable forms and check each one works before anyone ships it.

    python build/package.py wheel     # build/out/lengkap-*.whl, installed and tried
    python build/package.py desktop   # build/out/desktop/kiosk/, a PyInstaller folder, tried

Each build ends with a smoke check of what it made, run from outside the checkout so nothing is
read from the source tree by accident: the rules and translations load from the packaged assets,
a checklist is printed, the scanning backends answer, and (desktop) the app's page is served.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "out"


class PackagingError(Exception):
    """A build step or a smoke check failed; the message says which and why."""


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command, returning its stdout; a failure raises with the command and its stderr."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise PackagingError(
            f"{' '.join(command[:4])} ... exited {done.returncode}:\n" + "\n".join(tail)
        )
    return done.stdout


def clean_env(data_dir: Path) -> dict[str, str]:
    """An environment that cannot see the checkout: no asset override, no source on the path."""
    env = {k: v for k, v in os.environ.items() if k not in {"KIOSK_ASSETS_DIR", "PYTHONPATH"}}
    env["KIOSK_DATA_DIR"] = str(data_dir)
    env["KIOSK_SERVER_DATA_DIR"] = str(data_dir / "server")
    return env


def build_wheel(out: Path) -> Path:
    """Build the wheel with the project's own backend (hatchling, in pip's isolated build)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("lengkap-*.whl"):
        old.unlink()
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        cwd=ROOT,
    )
    return next(out.glob("lengkap-*.whl"))


def check_wheel(wheel: Path, work: Path) -> list[str]:
    """Install the wheel alone into a fresh virtualenv and use it from a folder outside the checkout.

    The virtualenv borrows the dependencies from the interpreter running this build (so the check
    needs no network), but its own copy of `kiosk` and `sync` comes first on the path.
    """
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=False, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    lend_dependencies(python, work)
    data_dir = work / "data"
    env = clean_env(data_dir)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--force-reinstall",
            str(wheel),
        ],
        cwd=work,
        env=env,
    )
    where = run(
        [
            str(python),
            "-c",
            "import kiosk, kiosk.assets; print(kiosk.__file__); print(kiosk.assets.assets_dir())",
        ],
        cwd=work,
        env=env,
    ).split()
    if not where[0].startswith(str(env_dir)):
        raise PackagingError(f"kiosk was imported from {where[0]}, not from the installed wheel")
    if not where[1].endswith("_assets") or not Path(where[1], "programs").is_dir():
        raise PackagingError(f"the packaged assets are missing: {where[1]}")
    bin_dir = env_dir / "bin"
    checks = [
        [
            str(bin_dir / "kiosk"),
            "check",
            "--program",
            "kjp-plus",
            "--stage",
            "2",
            "--fact",
            "level=sma",
            "--have",
            "kk",
            "--json",
        ],
        [str(bin_dir / "kiosk"), "nik", "3174011405090003", "--json"],
        [str(bin_dir / "kiosk"), "scan", "--backends", "--json"],
        [str(bin_dir / "kiosk-server"), "migrate", "--data-dir", str(data_dir / "server")],
        [str(python), "-m", "kiosk", "rules", "list", "--json"],
    ]
    return [_check(command, work, env) for command in checks]


def lend_dependencies(python: Path, work: Path) -> None:
    """Put this interpreter's package folders after the new virtualenv's own, through a .pth file.

    `system_site_packages` would not do: a virtualenv made from inside another one sees the *base*
    interpreter's packages, which on a fresh machine lack every dependency (the test run's venv has
    them). Only the folders are listed, so `.pth` files inside them, such as the editable install
    that points at the checkout, are not run and the checkout stays out of sight.
    """
    lent = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    target = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=work,
    ).strip()
    Path(target, "lengkap-build-lent.pth").write_text(
        "".join(f"{folder}\n" for folder in sorted(lent)), encoding="utf-8"
    )


def _check(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    output = run(command, cwd=cwd, env=env)
    if "--json" in command:
        first = output.strip().splitlines()[0] if output.strip() else ""
        try:
            json.loads(first if first.startswith("{") else output)
        except json.JSONDecodeError as exc:
            raise PackagingError(f"{Path(command[0]).name} {command[1]}: not JSON: {exc}") from exc
    return f"ok: {Path(command[0]).name} {' '.join(command[1:3])}"


def build_desktop(out: Path) -> Path:
    """Freeze the `kiosk` command and the app into one folder with PyInstaller (needs `[build]`)."""
    spec = ROOT / "build" / "desktop" / "lengkap.spec"
    work = Path(tempfile.mkdtemp(prefix="lengkap-pyinstaller-"))
    try:
        run(
            [
                sys.executable,
                "-m",
                "PyInstaller",
                "--noconfirm",
                "--log-level",
                "WARN",
                "--distpath",
                str(out / "desktop"),
                "--workpath",
                str(work),
                str(spec),
            ],
            cwd=ROOT,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out / "desktop" / "kiosk"


def check_desktop(bundle: Path, work: Path) -> list[str]:
    """Use the frozen folder as a PC would: the CLI, then the app served and its page fetched."""
    program = bundle / ("kiosk.exe" if os.name == "nt" else "kiosk")
    env = clean_env(work / "data")
    results = [
        _check([str(program), "check", "--program", "pkh", "--stage", "1", "--json"], work, env),
        _check([str(program), "scan", "--backends", "--json"], work, env),
    ]
    port = _free_port()
    app = subprocess.Popen(
        [str(program), "run", "--selfcheck", "--web", "--no-browser", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = _fetch_when_up(f"http://127.0.0.1:{port}/", app)
        client = _fetch_when_up(f"http://127.0.0.1:{port}/main.dart.js", app)
    finally:
        app.terminate()
        app.wait(timeout=20)
    if b"<html" not in page.lower() or len(client) < 1_000_000:
        raise PackagingError("the frozen app did not serve its Flutter web client")
    results.append(f"ok: app served on 127.0.0.1:{port} ({len(client) // 1024} KiB client)")
    return results


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fetch_when_up(url: str, process: subprocess.Popen[str], timeout: float = 60) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read() if process.stderr else ""
            raise PackagingError(f"the app exited {process.returncode}: {error.strip()[-500:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return bytes(answer.read())
        except OSError:
            time.sleep(0.5)
    raise PackagingError(f"nothing answered at {url} within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("target", choices=["wheel", "desktop"])
    parser.add_argument(
        "--out", type=Path, default=OUT, help="where the results go (default build/out)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="lengkap-check-"))
    try:
        if args.target == "wheel":
            wheel = build_wheel(args.out)
            results = check_wheel(wheel, work)
            made = f"{wheel} ({wheel.stat().st_size // 1024} KiB)"
        else:
            bundle = build_desktop(args.out)
            results = check_desktop(bundle, work)
            size = sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file())
            made = f"{bundle} ({size // 2**20} MiB)"
    except PackagingError as exc:
        print(f"package: {args.target}: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(results))
    print(f"built {made} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
