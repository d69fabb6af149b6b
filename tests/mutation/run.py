"""Mutation testing of the pure core with mutmut, on the modules and tests named on the command line.

    python -m tests.mutation.run kiosk/domain                       # every domain module, tests/domain
    python -m tests.mutation.run kiosk/domain/receipts.py --tests tests/domain/test_receipts.py
    python -m tests.mutation.run sync/server/ingest.py --tests tests/server

Run it from the repository root. It starts from an empty `mutants/` folder (so every figure is
measured, none is remembered from an earlier run), runs `mutmut run` with the [tool.mutmut]
settings of pyproject.toml except the two given here, and ends with a table per module: mutants,
killed, survived, timeout, no tests, and the survival rate. A mutant no test reaches counts as
surviving. Every survivor is then written, with its line and diff, to mutants/survivors.diff
(`mutmut show <name>` shows one); those judged equivalent are listed, with the reason, in
tests/mutation/SURVIVORS.md.

mutmut copies the working tree as it is, uncommitted edits included: for figures worth recording,
run it in a clean export (`git archive HEAD | tar -x -C /tmp/tree && cd /tmp/tree`).
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

WORK_FOLDER = Path("mutants")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if not Path("pyproject.toml").is_file():
        print("Run this from the repository root (where pyproject.toml is).", file=sys.stderr)
        return 2
    patterns = [_as_pattern(Path(p)) for p in args.modules]
    if WORK_FOLDER.exists() and not args.keep:
        shutil.rmtree(WORK_FOLDER)

    # Imported here: mutmut reads pyproject.toml from the working folder when it is imported.
    import mutmut.configuration
    from mutmut.__main__ import cli

    base = mutmut.configuration.config()
    mutmut.configuration._config = dataclasses.replace(
        base,
        only_mutate=patterns,
        pytest_add_cli_args_test_selection=list(args.tests),
    )

    started = time.monotonic()
    try:
        cli.main(args=["run", "--max-children", str(args.workers)], standalone_mode=False)
    except SystemExit as stop:
        if stop.code not in (0, None):
            return int(stop.code) if isinstance(stop.code, int) else 1
    elapsed = time.monotonic() - started

    rows = _tally(patterns)
    print(_table(rows))
    print(f"\n{len(rows)} module(s), {args.workers} worker(s), {elapsed:.0f} s")
    survivors = _write_survivors(patterns, WORK_FOLDER / "survivors.diff")
    print(f"{survivors} survivor(s), each with its line and diff: {WORK_FOLDER / 'survivors.diff'}")
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mutation.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("modules", nargs="+", help="files or folders to mutate, e.g. kiosk/domain")
    parser.add_argument(
        "--tests",
        nargs="+",
        default=["tests/domain"],
        help="test files or folders that may kill the mutants (default: tests/domain)",
    )
    parser.add_argument("--workers", type=int, default=2, help="parallel mutants (default: 2)")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep mutants/ and the results in it instead of starting afresh",
    )
    return parser.parse_args(argv)


def _as_pattern(path: Path) -> str:
    """mutmut selects the files to mutate with glob patterns on their paths."""
    if path.is_dir():
        return f"{path.as_posix().rstrip('/')}/*"
    if path.suffix == ".py" and path.is_file():
        return path.as_posix()
    raise SystemExit(f"Not a Python file or folder: {path}")


@dataclasses.dataclass(frozen=True)
class ModuleFigures:
    module: str
    killed: int
    survived: int
    timeout: int
    no_tests: int
    other: int

    @property
    def mutants(self) -> int:
        return self.killed + self.survived + self.timeout + self.no_tests + self.other

    @property
    def survival_rate(self) -> float:
        # A timeout is a kill (the mutant made the tests hang); an untested mutant is a survivor.
        return (self.survived + self.no_tests) / self.mutants if self.mutants else 0.0


def _tally(patterns: list[str]) -> list[ModuleFigures]:
    from mutmut.stats import status_by_exit_code

    rows = []
    for meta in sorted(WORK_FOLDER.rglob("*.py.meta")):
        module = meta.relative_to(WORK_FOLDER).as_posix().removesuffix(".meta")
        if not any(fnmatch.fnmatch(module, p) for p in patterns):
            continue
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"].values()
        counts = Counter(status_by_exit_code[code] for code in codes)
        if not sum(counts.values()):
            continue
        rows.append(
            ModuleFigures(
                module=module,
                killed=counts.pop("killed", 0),
                survived=counts.pop("survived", 0),
                timeout=counts.pop("timeout", 0),
                no_tests=counts.pop("no tests", 0),
                other=sum(counts.values()),
            )
        )
    return rows


def _write_survivors(patterns: list[str], target: Path) -> int:
    """Every surviving or untested mutant as `module:line name` and its diff, for the review."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    count = 0
    with target.open("w", encoding="utf-8") as out:
        for meta in sorted(WORK_FOLDER.rglob("*.py.meta")):
            module = meta.relative_to(WORK_FOLDER).as_posix().removesuffix(".meta")
            if not any(fnmatch.fnmatch(module, p) for p in patterns):
                continue
            source = Path(module).read_text("utf-8").splitlines()
            codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
            for name, code in codes.items():
                if status_by_exit_code[code] not in ("survived", "no tests"):
                    continue
                diff = get_diff_for_mutant(name, path=module)
                out.write(
                    f"# {module}:{_line_of(name, diff, source)} {name} ({status_by_exit_code[code]})\n"
                )
                out.write(diff + "\n\n")
                count += 1
    return count


def _line_of(name: str, diff: str, source: list[str]) -> int | str:
    """The source line the mutation changes: the first removed line, searched for in its function."""
    removed = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    if not removed:
        return "?"
    first, last = _function_span(name, "\n".join(source))
    # The diff is of the function alone, dedented: match on the stripped text.
    hits = [
        number
        for number in range(first, last + 1)
        if source[number - 1].strip() == removed[0].strip()
    ]
    return ",".join(map(str, hits)) or "?"


def _function_span(name: str, text: str) -> tuple[int, int]:
    """First and last line of the function a mutant name points at (the whole module if unsure).

    Names look like `pkg.module.x_function__mutmut_3` or `pkg.module.xǁClassǁmethod__mutmut_3`.
    """
    import ast

    local = name.rsplit(".", 1)[-1].rsplit("__mutmut_", 1)[0]
    parts = local.split("ǁ")[1:] if local.startswith("xǁ") else [local.removeprefix("x_")]
    tree: ast.AST = ast.parse(text)
    for part in parts:
        found = [
            node
            for node in ast.iter_child_nodes(tree)
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == part
        ]
        if not found:
            return 1, len(text.splitlines())
        tree = found[0]
    return tree.lineno, tree.end_lineno or tree.lineno


def _table(rows: list[ModuleFigures]) -> str:
    total = ModuleFigures(
        module="total",
        **{
            f: sum(getattr(r, f) for r in rows)
            for f in ("killed", "survived", "timeout", "no_tests", "other")
        },
    )
    lines = [
        "| module | mutants | killed | survived | timeout | no tests | other | survival |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in [*rows, total]:
        lines.append(
            f"| {r.module} | {r.mutants} | {r.killed} | {r.survived} | {r.timeout} "
            f"| {r.no_tests} | {r.other} | {r.survival_rate:.1%} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
