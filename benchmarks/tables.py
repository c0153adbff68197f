#!/usr/bin/env python3
"""What display widths and markdown escaping cost in the report tables, in pivot's own venv:

    .venv/bin/python benchmarks/tables.py [--rows N] [--repeat R]

Before/after in one run: the tables as they were built before (column widths by `len`, only `|`
escaped in markdown, reproduced below) against pivot's `render.text_table` / `render.md_table`
(widths by wcwidth, every cell escaped); first the table functions alone on N rows of ASCII and of
CJK values, then `pivot metrics diff --all` end to end (in-process, after a warm-up) on a metrics
file of N keys, once with each table function. Prints a markdown table of medians and ratios.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from click.testing import CliRunner

from pivot.cli import cli
from pivot.report import render


def old_text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    if not rows:
        return ""
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in (header, *rows)]
    return "\n".join(lines) + "\n"


def old_md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *(line(r) for r in rows)]) + "\n"


def before_after(before: Callable[[], object], after: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median seconds of each, the two run in turn so that a busy machine slows both alike."""
    runs: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for side, work in zip(runs, (before, after), strict=True):
            start = time.perf_counter()
            work()
            side.append(time.perf_counter() - start)
    return statistics.median(runs[0]), statistics.median(runs[1])


def table_rows(n: int, cjk: bool) -> list[tuple[str, ...]]:
    key = "精度指標" if cjk else "accuracy"
    return [("metrics.json", f"{key}.{i}", f"0.{i:05d}", f"0.{i + 1:05d}", "0.00001") for i in range(n)]


def project_with_metrics(root: Path, n: int) -> None:
    """A pipeline whose metrics file has `n` keys, run and committed, then every value changed."""
    (root / "stages.py").write_text(
        "from typing import Annotated, TypedDict\nfrom pivot import outputs\n\n\n"
        "class O(TypedDict):\n    m: Annotated[dict, outputs.Metric('metrics.json')]\n\n\n"
        f"def s() -> O:\n    return {{'m': {{f'm{{i}}': i / {n} for i in range({n})}}}}\n"
    )
    (root / "pivot.yaml").write_text("stages:\n  s:\n    python: stages.s\n")
    git = ["git", "-c", "user.email=b@example.com", "-c", "user.name=b"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    ran = CliRunner().invoke(cli, ["run", "--executor", "inprocess"])
    assert ran.exit_code == 0, ran.output
    for args in (["add", "-A"], ["commit", "-q", "-m", "v1"]):
        subprocess.run([*git, *args], cwd=root, check=True)
    (root / "metrics.json").write_text(json.dumps({f"m{i}": i / n + 1 for i in range(n)}))


def end_to_end(n: int, repeat: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            project_with_metrics(root, n)
            runner = CliRunner()

            def diff() -> None:
                result = runner.invoke(cli, ["metrics", "diff", "--all"])
                # every key changed: a row each, with its change
                assert result.exit_code == 0 and result.output.count("  1.0\n") == n, result.output[-500:]

            diff()  # warm-up: the pipeline memo and the imports
            new_table = render.text_table

            def with_old_table() -> None:
                render.text_table = old_text_table
                try:
                    diff()
                finally:
                    render.text_table = new_table

            return before_after(with_old_table, diff, repeat)
        finally:
            os.chdir(cwd)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args(argv)
    header = ("Path", "Metric", "HEAD", "workspace", "Change")
    print(f"| measurement ({args.rows:,} rows) | before (s) | after (s) | after / before |\n|---|---:|---:|---:|")
    for cjk in (False, True):
        rows = table_rows(args.rows, cjk)
        values = "CJK" if cjk else "ASCII"
        for name, old, new in (("terminal table", old_text_table, render.text_table), ("markdown table", old_md_table, render.md_table)):
            before, after = before_after(functools.partial(old, header, rows), functools.partial(new, header, rows), args.repeat)
            print(f"| {name}, {values} keys | {before:.3f} | {after:.3f} | {after / before:.2f}x |")
    before, after = end_to_end(args.rows, args.repeat)
    print(f"| `pivot metrics diff --all`, end to end | {before:.3f} | {after:.3f} | {after / before:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
