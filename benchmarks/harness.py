"""The benchmark harness shared by every workload in benchmarks/workloads/ (stdlib only).

It owns the paths under benchmarks/, the settings of a full or `--quick` run, the table rows and
their targets, the problem list, running a tool as a timed subprocess with its output in a log,
`settle()` between timings, and rendering and writing the results table. The tools themselves
(DVC in its own venv, pivot) are in benchmarks/tools.py.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / ".work"
LOG_DIR = WORK_DIR / "logs"
DVC_VENV = BENCH_DIR / ".venv-dvc"
DVC_SPEC = "dvc==3.*"
DEFAULT_PIVOT = REPO_DIR / ".venv" / "bin" / "pivot"
RESULTS_MD = BENCH_DIR / "results.md"
# The driver runs on any python3, with no pivot installed; the few pivot helpers it shares (size
# wording: pivot.base.wording, standard library only) come from this checkout.
if str(REPO_DIR) not in sys.path:
    sys.path.append(str(REPO_DIR))
DVC_S3_SPEC = "dvc[s3]==3.*"  # only for the remote workload
MOTO_SPEC = "moto[server]==5.*"  # installed into the DVC venv only if no moto_server is found


# --------------------------------------------------------------------------- settings


@dataclasses.dataclass(frozen=True)
class Settings:
    quick: bool
    chains: int  # workload a: number of independent chains
    chain_len: int  # workload a: stages per chain
    noop_repeats: int  # warm runs are cheap: median of this many
    edit_repeats: int  # "one root edited": a different chain's root each repeat
    pivot_cold_repeats: int  # cold runs of pivot are cheap enough to repeat in fresh dirs
    dvc_cold_repeats: int
    big_repeats: int  # paired (baseline, tool) runs for workloads c and d
    big_mib: int  # workload c
    n_files: int  # workload d
    n_sleepers: int  # workload b
    sleep_s: float
    pivot_jobs_chains: int
    pivot_jobs_sleep: int
    remote_files: int  # workload e: files in the pushed/pulled directory
    remote_file_bytes: int
    remote_big_mib: int  # workload e: the pushed/pulled big file
    remote_noop_repeats: int  # nothing-missing pushes: median of this many

    def cold_repeats(self, tool: str) -> int:
        return self.pivot_cold_repeats if tool == "pivot" else self.dvc_cold_repeats


def make_settings(quick: bool) -> Settings:
    return Settings(
        quick=quick,
        chains=5 if quick else 20,
        chain_len=10,
        noop_repeats=1 if quick else 3,
        edit_repeats=1 if quick else 3,
        pivot_cold_repeats=1 if quick else 3,
        dvc_cold_repeats=1,
        big_repeats=1 if quick else 3,
        big_mib=1024,
        n_files=10_000,
        n_sleepers=8,
        sleep_s=2.0,
        pivot_jobs_chains=2,
        pivot_jobs_sleep=8,
        remote_files=2_000 if quick else 10_000,
        remote_file_bytes=4096,
        remote_big_mib=200 if quick else 1024,
        remote_noop_repeats=1 if quick else 3,
    )


# --------------------------------------------------------------------------- results


@dataclasses.dataclass
class Row:
    workload: str
    target: str  # human text, e.g. "< 2 s"
    check: Callable[[float | None, float | None], bool | None]
    dvc: float | None = None
    pivot: float | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    attempted: set[str] = dataclasses.field(default_factory=set)
    samples: dict[str, list[float]] = dataclasses.field(default_factory=dict)

    def sample(self, tool: str, secs: float) -> None:
        """One more timing of `tool`; the row shows the median of all of them."""
        self.samples.setdefault(tool, []).append(secs)
        setattr(self, tool, statistics.median(self.samples[tool]))

    def record(self, tool: str, times: list[float]) -> None:
        """The median of `times` as `tool`'s value; the repeats themselves go to the notes."""
        setattr(self, tool, statistics.median(times))
        if len(times) > 1:
            self.notes.append(f"{tool} runs: " + fmt_times(times))

    def cell(self, tool: str) -> str:
        value = getattr(self, tool)
        if value is None:
            return "FAIL" if tool in self.attempted else "not run"
        return f"{value:.2f}"

    def met(self) -> str:
        verdict = self.check(self.dvc, self.pivot)
        return {True: "yes", False: "**no**", None: "?"}[verdict]


def under(limit: float) -> Callable[[float | None, float | None], bool | None]:
    return lambda _dvc, piv: None if piv is None else piv < limit


def ratio_at_least(k: float) -> Callable[[float | None, float | None], bool | None]:
    def check(dvc: float | None, piv: float | None) -> bool | None:
        if dvc is None or piv is None:
            return None
        return piv <= 0 or dvc / piv >= k

    return check


def fmt_ratio(dvc: float | None, piv: float | None) -> str:
    if dvc is None or piv is None:
        return "-"
    if piv <= 0.005:
        return "n/a (pivot ≈ 0)"
    return f"{dvc / piv:.1f}x"


def fmt_times(times: Iterable[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in times)


PROBLEMS: list[str] = []  # failures and sanity-check warnings, reported at the end


def problem(msg: str) -> None:
    PROBLEMS.append(msg)
    print(f"  !! {msg.splitlines()[0]}", file=sys.stderr)


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes


class ToolFailed(Exception):
    pass


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(
        DVC_NO_ANALYTICS="1",
        DVC_SITE_CACHE_DIR=str(WORK_DIR / "dvc-site-cache"),
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_cmd(cmd: list[str], cwd: Path, log_name: str, env: dict[str, str] | None = None) -> float:
    """Run cmd in cwd, output to a log file; return wall seconds. Raise ToolFailed on rc != 0."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"{log_name}.log"
    with open(log, "ab") as fh:
        fh.write(f"\n$ (cd {cwd} && {' '.join(cmd)})\n".encode())
        fh.flush()
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env or base_env(), stdout=fh, stderr=subprocess.STDOUT)
        elapsed = time.perf_counter() - t0
        fh.write(f"[rc={proc.returncode} in {elapsed:.3f}s]\n".encode())
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-40:]
        raise ToolFailed(f"`{' '.join(cmd)}` exited {proc.returncode} in {cwd} (log: {log})\n" + "\n".join(tail))
    return elapsed


def stop_process(proc: subprocess.Popen[Any], grace: float) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def fresh_dir(name: str) -> Path:
    d = WORK_DIR / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def settle() -> None:
    """Flush dirty pages from the previous step so they don't land in the next timing."""
    os.sync()
    time.sleep(0.2)


def clean_work_dir() -> None:
    """Every run starts from an empty benchmarks/.work/."""
    if WORK_DIR.exists():
        shutil.rmtree(WORK_DIR)
    WORK_DIR.mkdir(parents=True)


def keep_only_logs() -> None:
    """Drop the generated projects; the logs are small and the problem list points at them."""
    for child in WORK_DIR.iterdir():
        if child != LOG_DIR:
            shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()


# --------------------------------------------------------------------------- report


def render(rows: list[Row], header: list[str]) -> str:
    out = [*header, ""]
    out.append("| workload | DVC (s) | pivot (s) | ratio DVC/pivot | pivot target | met? | notes |")
    out.append("|---|---:|---:|---:|---|:---:|---|")
    for r in rows:
        out.append(
            f"| {r.workload} | {r.cell('dvc')} "
            f"| {r.cell('pivot')} | {fmt_ratio(r.dvc, r.pivot)} | {r.target} | {r.met()} | {'; '.join(r.notes)} |"
        )
    return "\n".join(out) + "\n"


def git_rev() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_DIR, capture_output=True, text=True)
        return out.stdout.strip() or "uncommitted"
    except OSError:
        return "?"


def header_lines(quick: bool, workloads: list[str], dvc_version: str | None, elapsed: float) -> list[str]:
    """The lines above the table: when, on what, which pivot and DVC, how long it all took."""
    return [
        "# pivot vs DVC benchmark results",
        "",
        f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}; pivot rev: {git_rev()}; "
        f"{'DVC ' + dvc_version if dvc_version is not None else 'DVC not run'}",
        f"- machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"- mode: {'--quick' if quick else 'full'}; workloads: {', '.join(workloads)}; "
        f"benchmark wall time {elapsed:.0f} s",
        "- times are wall seconds of one `dvc repro` / `pivot run` (`push` / `pull` for the remote rows; "
        "median of repeats, see notes); overhead rows are tool time minus writing the same bytes with plain Python",
    ]


def problems_section() -> str:
    """"Problems seen": each problem's first line, and the rest (a log tail) as a code block."""
    if not PROBLEMS:
        return ""
    return "\n## Problems seen\n\n" + "\n".join(
        "- " + p.splitlines()[0] + ("\n\n```\n" + "\n".join(p.splitlines()[1:]) + "\n```" if "\n" in p else "")
        for p in PROBLEMS
    ) + "\n"


# results.md holds this driver's latest table between these markers, and below them the sections
# each session appended by hand (other scripts' results, dated snapshots): a run replaces only its part.
RESULTS_START = "<!-- benchmarks/run.py writes from here to the end marker; it keeps the rest of the file -->"
RESULTS_END = "<!-- end of benchmarks/run.py's part -->"


def merged_results(existing: str, table: str) -> str:
    """`existing` results.md with this run's `table` in place of the last run's (on top when the
    file has no markers yet); every other line stays as it was."""
    block = f"{RESULTS_START}\n{table.rstrip()}\n{RESULTS_END}\n"
    if RESULTS_START in existing and RESULTS_END in existing:
        before, _, rest = existing.partition(RESULTS_START)
        after = rest.partition(RESULTS_END)[2].removeprefix("\n")
        return before + block + after
    return block + ("\n" + existing if existing.strip() else "")


def report(table: str, write_results: bool) -> None:
    """Print the results and, unless told not to, put them into benchmarks/results.md in place of
    the last run's (see `merged_results`)."""
    print(table)
    if write_results:
        existing = RESULTS_MD.read_text() if RESULTS_MD.exists() else ""
        RESULTS_MD.write_text(merged_results(existing, table))
        say(f"wrote {RESULTS_MD}")
