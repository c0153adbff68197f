"""`plots diff` of many long curves across three revisions: pivot against `dvc plots diff` on
the same workload in the same run.

    python benchmarks/plots_diff.py [--plots 20] [--points 10000] [--repeats 3] [--python PY] [--dvc DVC] [--tools both|pivot|dvc]

One stage (`python3 gen.py`) writes PLOTS CSV files of POINTS rows (`step,loss`), different at
each of three commits; both tools declare them as plots with `x: step, y: loss` and run the
stage at each commit (untimed). Timed, as a user runs them: `dvc plots diff HEAD~2 HEAD~1 HEAD
-o DIR` and `pivot plots diff HEAD~2 HEAD~1 HEAD -o DIR`. Where this checkout has no `pivot
plots` command yet, pivot's side is a script that reads the same 3 x PLOTS CSV files and writes
the page with `pivot.plots.page.write`: the cost of drawing, without finding the files at each
revision; it is run drawing one chart at a time and two, to measure what drawing in parallel
gains, and logs the seconds it spent in page.write. The commands take turns, repeat after
repeat. The table gives the median wall seconds and the size of what each tool wrote.
pivot's target: under 5 s and under 5 MB (DVC's page loads Vega from a CDN and is not offline).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from harness import DVC_VENV, LOG_DIR, REPO_DIR, ToolFailed, base_env, fresh_dir, run_cmd, say, settle, write
from tools import ensure_dvc

REVISIONS = ("HEAD~2", "HEAD~1", "HEAD")

GEN = """import math, pathlib
version = int(pathlib.Path("version.txt").read_text())
out = pathlib.Path("plots")
out.mkdir(exist_ok=True)
for p in range({plots}):
    lines = ["step,loss"]
    for i in range({points}):
        loss = math.exp(-i / {points} * 5) * (1 + 0.2 * version) + 0.03 * math.sin(i * (p + 1) / 37) + 0.01 * ((i * 7919 + p) % 13)
        lines.append(f"{{i}},{{loss:.6f}}")
    (out / f"p{{p:02d}}.csv").write_text("\\n".join(lines) + "\\n")
"""

# pivot's side while the checkout has no `pivot plots`: the same CSV files, read and drawn.
PAGE_ONLY = """import csv, pathlib, sys, time
from pivot.plots import page
from pivot.plots.model import PlotSpec, PlotView, Series
root, out, threads = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
page.RENDER_THREADS = threads
revisions = sys.argv[4:]
names = sorted(p.name for p in (root / "0").iterdir())
def rows(path):
    with path.open() as handle:
        return tuple({"step": int(r["step"]), "loss": float(r["loss"])} for r in csv.DictReader(handle))
views = [
    PlotView(PlotSpec(f"plots/{name}", "linear", "step", ("loss",), stage="gen"), "data",
             tuple(Series(rev, rows(root / str(k) / name)) for k, rev in enumerate(revisions)))
    for name in names
]
start = time.perf_counter()
page.write(views, out, title="pivot plots diff")
with (root / "write-seconds").open("a") as log:
    log.write(f"{out.name} {time.perf_counter() - start:.3f}\\n")
"""


def stage_yaml(plots: int) -> str:
    entries = "".join(f"      - plots/p{p:02d}.csv:\n          x: step\n          y: loss\n" for p in range(plots))
    return f"stages:\n  gen:\n    cmd: python3 gen.py\n    deps: [gen.py, version.txt]\n    plots:\n{entries}"


def commit_three(proj: Path, log: str, run: list[str], env: dict[str, str]) -> None:
    """The stage run and committed at three versions of its input: HEAD~2, HEAD~1, HEAD."""
    for version in range(3):
        write(proj / "version.txt", f"{version}\n")
        run_cmd(run, proj, log, env)
        run_cmd(["git", "add", "-A"], proj, log, env)
        run_cmd(["git", "commit", "-qm", f"version {version}"], proj, log, env)


@dataclasses.dataclass(frozen=True)
class Case:
    """One timed command: what it is, how to run it, where it writes its page."""

    label: str
    cmd: list[str]
    cwd: Path
    out: Path
    env: dict[str, str]

    def run(self) -> float:
        shutil.rmtree(self.out, ignore_errors=True)
        settle()
        return run_cmd(self.cmd, self.cwd, f"plots-diff-{self.label.split()[0]}", self.env)

    def page_mb(self) -> float:
        """MB of everything the tool wrote for the page."""
        return sum(f.stat().st_size for f in self.out.rglob("*") if f.is_file()) / 1e6


def dvc_case(dvc: str, args: argparse.Namespace) -> Case:
    proj = fresh_dir("plots-diff-dvc")
    env = {**base_env(), "PATH": f"{Path(dvc).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    write(proj / "gen.py", GEN.format(plots=args.plots, points=args.points))
    write(proj / "dvc.yaml", stage_yaml(args.plots))
    log = "plots-diff-dvc"
    for cmd in (["git", "init", "-q"], [dvc, "init", "-q"], [dvc, "config", "core.analytics", "false"]):
        run_cmd(cmd, proj, log, env)
    commit_three(proj, log, [dvc, "repro"], env)
    out = proj / "dvc_plots"
    return Case(f"dvc plots diff {' '.join(REVISIONS)}", [dvc, "plots", "diff", *REVISIONS, "-o", str(out)], proj, out, env)


def has_plots_command(python: str, env: dict[str, str]) -> bool:
    return subprocess.run([python, "-m", "pivot", "plots", "--help"], env=env, capture_output=True).returncode == 0


def pivot_case(python: str, env: dict[str, str], args: argparse.Namespace) -> Case:
    proj = fresh_dir("plots-diff-pivot")
    write(proj / "gen.py", GEN.format(plots=args.plots, points=args.points))
    write(proj / "pivot.yaml", stage_yaml(args.plots))
    log = "plots-diff-pivot"
    pivot = [python, "-m", "pivot"]
    for cmd in (["git", "init", "-q"], [*pivot, "init"]):
        run_cmd(cmd, proj, log, env)
    commit_three(proj, log, [*pivot, "run"], env)
    out = proj / "pivot_plots"
    return Case(f"pivot plots diff {' '.join(REVISIONS)}", [*pivot, "plots", "diff", *REVISIONS, "-o", str(out)], proj, out, env)


def page_cases(python: str, env: dict[str, str], args: argparse.Namespace) -> list[Case]:
    """page.write on the three revisions' CSV files, drawing one chart at a time and two."""
    root = fresh_dir("plots-diff-page")
    write(root / "gen.py", GEN.format(plots=args.plots, points=args.points))
    for version in range(3):
        write(root / "version.txt", f"{version}\n")
        run_cmd(["python3", "gen.py"], root, "plots-diff-page", env)
        (root / "plots").rename(root / str(version))
    write(root / "draw.py", PAGE_ONLY)
    return [
        Case(
            f"pivot page.write, {words} at a time",
            [python, "draw.py", str(root), str(root / out), str(n), *REVISIONS],
            root,
            root / out,
            env,
        )
        for n, words, out in ((1, "one chart", "page-1"), (2, "two charts", "page-2"))
    ]


def write_seconds(case: Case) -> str:
    """The median seconds the page-only script spent in page.write (its own log), or "-"."""
    log = case.cwd / "write-seconds"
    if not log.exists():
        return "-"
    found = [float(line.split()[1]) for line in log.read_text().splitlines() if line.split()[0] == case.out.name]
    return f"{statistics.median(found):.2f}" if found else "-"


def check_pages(cases: list[Case], plots: int) -> None:
    """A fast time must not come from a page that lacks plots (or, for pivot, needs the network)."""
    for case in cases:
        if not (case.out / "index.html").exists():
            raise ToolFailed(f"{case.label} wrote no page in {case.out}")
        text = (case.out / "index.html").read_text()
        if case.label.startswith("pivot") and (text.count('<section class="plot"') != plots or "http" in text):
            raise ToolFailed(f"pivot's page in {case.out} lacks plots or names a URL")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--plots", type=int, default=20)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--python", default=str(REPO_DIR / ".venv" / "bin" / "python"), help="the Python that runs pivot from this checkout"
    )
    parser.add_argument("--dvc", default=str(DVC_VENV / "bin" / "dvc"), help="the dvc executable (default: benchmarks/.venv-dvc)")
    parser.add_argument("--tools", choices=("both", "pivot", "dvc"), default="both")
    args = parser.parse_args()
    env = {**base_env(), "PYTHONPATH": str(REPO_DIR)}  # this checkout's pivot, whatever the Python
    cases: list[Case] = []
    if args.tools in ("both", "pivot"):
        if has_plots_command(args.python, env):
            cases.append(pivot_case(args.python, env, args))
        cases += page_cases(args.python, env, args)
    if args.tools in ("both", "dvc"):
        if args.dvc == str(DVC_VENV / "bin" / "dvc"):
            ensure_dvc()
        cases.append(dvc_case(args.dvc, args))
    times: dict[str, list[float]] = {case.label: [] for case in cases}
    for n in range(args.repeats):  # the commands take turns, so a burst of load hits them alike
        for case in cases if n % 2 == 0 else cases[::-1]:
            say(f"{case.label} ({n + 1}/{args.repeats})")
            times[case.label].append(case.run())
    check_pages(cases, args.plots)
    medians = [statistics.median(times[case.label]) for case in cases]
    print(f"\n{args.plots} plots x {args.points:,} points x 3 revisions, {os.cpu_count()} cores (logs: {LOG_DIR})\n")
    print("| command | wall (s), median | runs (s) | of which page.write (s) | page (MB) |")
    print("|---|---:|---|---:|---:|")
    for case, median in zip(cases, medians, strict=True):
        runs = ", ".join(f"{t:.2f}" for t in times[case.label])
        print(f"| {case.label} | {median:.2f} | {runs} | {write_seconds(case)} | {case.page_mb():.2f} |")
    if args.tools == "both":
        print(f"\nratio DVC / pivot: {medians[-1] / medians[0]:.1f}x (pivot target: under 5 s, page under 5 MB)")
    pivot_ok = not cases or not cases[0].label.startswith("pivot") or (medians[0] < 5 and cases[0].page_mb() < 5)
    sys.exit(0 if pivot_ok else 1)


if __name__ == "__main__":
    main()
