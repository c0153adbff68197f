"""DVC's example project (example-get-started) under `dvc repro` and under `pivot import-dvc &&
pivot run`, in the same run: every output compared byte for byte, and the times as a ratio.

    python benchmarks/dvc_example.py [--mirror DIR] [--rows N]

The project's files come from a local git mirror of iterative/example-get-started (its sources
are never copied into this repository). Its data file lives on a DVC remote this machine cannot
reach, so both copies get the same synthetic data/data.xml in its format (StackOverflow post rows
with Id, Tags, Title and Body). Both copies `dvc add` it; the pivot copy then deletes it from the
workspace, so `pivot import-dvc` must lay it out from .dvc/cache. Both run in the DVC venv
(benchmarks/.venv-dvc), which gets the example's requirements and an editable pivot from this
checkout, so `python` in the commands is the same interpreter with the same packages.
"""

from __future__ import annotations

import argparse
import html
import random
import subprocess
import sys
from pathlib import Path

import harness
from harness import DVC_VENV, LOG_DIR, REPO_DIR, fresh_dir, run_cmd, say, settle
from tools import Dvc, ensure_dvc, ensure_in_dvc_venv

MIRROR = Path("/work/.mirror/iterative+example-get-started/repo")
REQUIREMENTS = (("pandas", "pandas"), ("scikit-learn>=1.3", "sklearn"), ("scipy", "scipy"), ("matplotlib", "matplotlib"), ("pyaml", "pyaml"), ("dvclive>=3.0", "dvclive"))
OUTPUT_DIRS = ("data/prepared", "data/features", "model.pkl", "eval")
WORDS = ["data", "frame", "plot", "model", "vector", "matrix", "regression", "python", "package", "install", "error", "function", "loop", "apply", "merge"]


def synthetic_posts(rows: int, seed: int = 7) -> str:
    """data.xml in the format src/prepare.py reads: one `<row .../>` per line; about a fifth tagged <r>."""
    rng = random.Random(seed)
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<posts>"]
    for pid in range(1, rows + 1):
        tags = "".join(f"<{t}>" for t in rng.sample(["r", "python", "pandas", "ggplot2", "numpy", "sql"], 2))
        title = " ".join(rng.choices(WORDS, k=6))
        body = "<p>" + " ".join(rng.choices(WORDS, k=30)) + "</p>"
        attrs = {"Id": str(pid), "PostTypeId": "1", "Tags": tags, "Title": title, "Body": body}
        lines.append("  <row " + " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items()) + " />")
    lines.append("</posts>")
    return "\n".join(lines) + "\n"


def ensure_packages() -> None:
    ensure_dvc()
    for spec, module in REQUIREMENTS:
        ensure_in_dvc_venv(spec, module)
    py = str(DVC_VENV / "bin" / "python")
    find = "import pivot, os; print(os.path.dirname(pivot.__file__))"
    where = subprocess.run([py, "-c", find], capture_output=True, text=True, cwd="/")  # not this checkout by its cwd
    if where.returncode != 0 or Path(where.stdout.strip()).parent != REPO_DIR:
        say(f"installing pivot from {REPO_DIR} into {DVC_VENV} (editable)...")
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        with open(LOG_DIR / "dvc-install.log", "ab") as fh:
            subprocess.run([py, "-m", "pip", "install", "-q", "-e", str(REPO_DIR)], stdout=fh, stderr=subprocess.STDOUT, check=True)


def make_copy(name: str, mirror: Path, data: str, dvc: Dvc) -> Path:
    proj = fresh_dir(name)
    archive = subprocess.run(["git", "-C", str(mirror), "archive", "HEAD"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(proj)], input=archive, check=True)
    (proj / "data/data.xml.dvc").unlink()  # an import from a remote we cannot reach: `dvc add` ours instead
    # The lock records outputs of the real data, absent from this cache: dvclive (evaluate.py) asks
    # DVC about `eval` and fails on them. Both copies start unlocked.
    (proj / "dvc.lock").unlink()
    harness.write(proj / "data/data.xml", data)
    run_cmd(["git", "init", "-q"], proj, name)  # the archive holds .dvc/ already: no `dvc init`
    for key in ("core.autostage", "core.analytics", "core.check_update"):
        run_cmd([dvc.exe, "config", key, "false"], proj, name, dvc.env())
    run_cmd([dvc.exe, "add", "data/data.xml"], proj, name, dvc.env())
    run_cmd(["git", "add", "-A"], proj, name)  # dvclive in evaluate.py needs a commit to start from
    run_cmd(["git", "commit", "-q", "-m", "example"], proj, name)
    return proj


def files_of(proj: Path) -> dict[str, bytes]:
    found = {}
    for rel in OUTPUT_DIRS:
        path = proj / rel
        for file in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
            if file.name != ".gitignore":
                found[str(file.relative_to(proj))] = file.read_bytes()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", type=Path, default=MIRROR)
    parser.add_argument("--rows", type=int, default=4000)
    args = parser.parse_args()
    ensure_packages()
    dvc = Dvc()
    data = synthetic_posts(args.rows)
    dvc_proj = make_copy("example-dvc", args.mirror, data, dvc)
    pivot_proj = make_copy("example-pivot", args.mirror, data, dvc)
    (pivot_proj / "data/data.xml").unlink()  # import-dvc lays it out from .dvc/cache
    pivot = [str(DVC_VENV / "bin" / "python"), "-m", "pivot"]
    settle()
    say("dvc repro...")
    dvc_s = run_cmd([dvc.exe, "repro"], dvc_proj, "example-dvc", dvc.env())
    settle()
    say("pivot import-dvc && pivot run...")
    import_s = run_cmd([*pivot, "import-dvc"], pivot_proj, "example-pivot", dvc.env())
    run_s = run_cmd([*pivot, "run", "-j2"], pivot_proj, "example-pivot", dvc.env())
    theirs, ours = files_of(dvc_proj), files_of(pivot_proj)
    # Is DVC's own output reproducible? train.py's forest predicts on two threads, so float sums
    # may round differently from run to run: a second `dvc repro -f` says which files that touches.
    settle()
    say("dvc repro -f (again, for DVC against itself)...")
    run_cmd([dvc.exe, "repro", "-f"], dvc_proj, "example-dvc", dvc.env())
    again = files_of(dvc_proj)
    _report(args.rows, theirs, ours, again, (dvc_s, import_s, run_s))
    steady = [rel for rel in theirs if again.get(rel) == theirs[rel]]
    return 0 if all(ours.get(rel) == theirs[rel] for rel in steady) and set(theirs) == set(ours) else 1


def _verdict(a: dict[str, bytes], b: dict[str, bytes], rel: str) -> str:
    if rel not in a or rel not in b:
        return "missing"
    return "same" if a[rel] == b[rel] else "differs"


def _report(rows: int, theirs: dict[str, bytes], ours: dict[str, bytes], again: dict[str, bytes], times: tuple[float, float, float]) -> None:
    dvc_s, import_s, run_s = times
    names = sorted(set(theirs) | set(ours))
    print(f"\n### example-get-started: `dvc repro` against `pivot import-dvc && pivot run -j2` ({rows} synthetic posts)\n")
    print("| output | DVC vs pivot | DVC vs DVC again |\n|---|---|---|")
    for rel in names:
        print(f"| `{rel}` | {_verdict(theirs, ours, rel)} | {_verdict(theirs, again, rel)} |")
    same = sum(_verdict(theirs, ours, rel) == "same" for rel in names)
    steady = sum(_verdict(theirs, again, rel) == "same" for rel in names)
    print(f"\n{same} of {len(names)} output files identical to DVC's; DVC reproduces {steady} of them itself.\n")
    print("| step | seconds |\n|---|---:|")
    print(f"| dvc repro | {dvc_s:.2f} |\n| pivot import-dvc | {import_s:.2f} |\n| pivot run -j2 | {run_s:.2f} |")
    print(f"\nDVC / pivot run: {dvc_s / run_s:.2f}x; DVC / (import + run): {dvc_s / (import_s + run_s):.2f}x")


if __name__ == "__main__":
    sys.exit(main())
