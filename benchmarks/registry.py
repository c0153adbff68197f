"""A data registry, pivot against DVC in the same run: listing it (`pivot ls --repo` / `dvc list`),
getting a directory out of it (`pivot get --repo` / `dvc get`) and importing that directory into
another project (`pivot import` / `dvc import`).

    python benchmarks/registry.py [--files 200] [--repeat 3] [--tools both|pivot|dvc]

Each tool gets its own registry of the same shape: a git repository whose tracked directory
`data/images` holds N small files and whose `data/labels.csv` is tracked too, both pushed to a
directory remote beside it. Every timed command starts from a fresh destination (a new directory,
or a new consumer project for the imports), so each one clones the registry and reads the remote
as a user's first command would. The table shows the median wall time and the ratio DVC / pivot;
the runs alternate between the tools.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

from harness import LOG_DIR, REPO_DIR, base_env, fresh_dir, run_cmd, say, settle, write
from tools import Dvc, ensure_dvc


def _data(root: Path, files: int) -> None:
    for i in range(files):
        write(root / "data" / "images" / f"{i:05d}.txt", f"image {i}\n" * 20)
    write(root / "data" / "labels.csv", "".join(f"{i},{i % 7}\n" for i in range(files)))


def pivot_registry(python: str, files: int) -> tuple[Path, list[str], dict[str, str]]:
    root = fresh_dir("registry-pivot")
    env = {**base_env(), "PYTHONPATH": str(REPO_DIR)}
    pivot = [python, "-m", "pivot"]
    _data(root, files)
    for cmd in (
        ["git", "init", "-q"],
        [*pivot, "init"],
        [*pivot, "track", "data/images", "data/labels.csv"],
        [*pivot, "remote", "add", "-d", "store", str(root.parent / "registry-pivot-store")],
        [*pivot, "push"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "data"],
    ):
        run_cmd(cmd, root, "registry-pivot", env)
    return root, pivot, env


def dvc_registry(files: int) -> tuple[Path, list[str], dict[str, str]]:
    ensure_dvc()
    dvc = Dvc()
    root = fresh_dir("registry-dvc")
    _data(root, files)
    dvc.init(root, "registry-dvc")
    env = dvc.env()
    for cmd in (
        [dvc.exe, "add", "data/images", "data/labels.csv"],
        [dvc.exe, "remote", "add", "-d", "store", str(root.parent / "registry-dvc-store")],
        [dvc.exe, "push"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "data"],
    ):
        run_cmd(cmd, root, "registry-dvc", env)
    return root, [dvc.exe], env


def _consumer(name: str, tool: list[str], env: dict[str, str], dvc: bool) -> Path:
    """A fresh project to import into (git, and the tool's own init)."""
    root = fresh_dir(name)
    run_cmd(["git", "init", "-q"], root, name, env)
    run_cmd([*tool, "init", *(["-q"] if dvc else [])], root, name, env)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pivot", default=str(REPO_DIR / ".venv" / "bin" / "python"), help="the Python that runs pivot from this checkout")
    parser.add_argument("--tools", choices=("both", "pivot", "dvc"), default="both")
    args = parser.parse_args()
    setups: dict[str, tuple[Path, list[str], dict[str, str]]] = {}
    if args.tools in ("both", "pivot"):
        say(f"pivot: a registry of {args.files} files")
        setups["pivot"] = pivot_registry(args.pivot, args.files)
    if args.tools in ("both", "dvc"):
        say(f"dvc: a registry of {args.files} files")
        setups["dvc"] = dvc_registry(args.files)
    commands = {
        "list the registry": {"pivot": ["ls", "--repo", "{repo}", "-R"], "dvc": ["list", "-R", "{repo}"]},
        "get data/images": {"pivot": ["get", "--repo", "{repo}", "data/images", "-o", "images"], "dvc": ["get", "{repo}", "data/images", "-o", "images"]},
        "import data/images": {"pivot": ["import", "{repo}", "data/images"], "dvc": ["import", "{repo}", "data/images"]},
    }
    times: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.repeat):
        for tool in list(setups) if round_ % 2 == 0 else list(setups)[::-1]:
            repo, exe, env = setups[tool]
            for label, spelled in commands.items():
                where = _consumer(f"registry-use-{tool}", exe, env, tool == "dvc") if label.startswith("import") else fresh_dir(f"registry-use-{tool}")
                cmd = [*exe, *(part.replace("{repo}", str(repo)) for part in spelled[tool])]
                settle()
                times.setdefault((label, tool), []).append(run_cmd(cmd, where, f"registry-{tool}", env))
                shutil.rmtree(where, ignore_errors=True)
    print(f"\n{args.files} files in data/images, median of {args.repeat}, {os.cpu_count()} cores (logs: {LOG_DIR})\n")
    print("| command | DVC (s) | pivot (s) | ratio DVC/pivot | runs (s) |")
    print("|---|---:|---:|---:|---|")
    for label in commands:
        dvc, pivot = times.get((label, "dvc")), times.get((label, "pivot"))
        ratio = f"{statistics.median(dvc) / statistics.median(pivot):.1f}x" if dvc and pivot else "-"
        runs = "; ".join(f"{tool}: {', '.join(f'{t:.2f}' for t in times[(label, tool)])}" for tool in ("dvc", "pivot") if (label, tool) in times)
        print(f"| {label} | {f'{statistics.median(dvc):.2f}' if dvc else '-'} | {f'{statistics.median(pivot):.2f}' if pivot else '-'} | {ratio} | {runs} |")
    sys.exit(0)


if __name__ == "__main__":
    main()
