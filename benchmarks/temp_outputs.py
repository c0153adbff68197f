"""Temp outputs: pivot's `temp: true` against Snakemake's `temp()` on the same pipeline, in the
same run: N shell stages as N/10 chains of 10, where the first nine of each chain make a temp
file the next one reads and the tenth makes the chain's result.

    python benchmarks/temp_outputs.py [--stages 200 1000] [--tools both|pivot|snakemake]

Both tools run the same shell command per stage (`cat IN` plus a line and 4 KiB, into OUT) with
2 jobs. Measured per tool and
size: the cold run, a run with nothing to do, a run after one chain's root is edited (that chain
is made again, temps and all), and what is left on disk after the cold run: files in data/ and
in the tool's own store (pivot's cache; Snakemake keeps none). Snakemake runs from its own venv
(benchmarks/.venv-snakemake, made by benchmarks/run.py --only scaling on first use).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from harness import LOG_DIR, REPO_DIR, fresh_dir, run_cmd, say, settle
from workloads.scaling import SNAKEMAKE_VENV, timed

# One process per stage, as cheap as `cp`: the tools' own costs are what the times compare.
STEP = "(cat {src}; echo step {step}; head -c 4096 /dev/zero) > {dst}"
SNAKEFILE = '''
rule all:
    input: expand("data/c{c}_s10.txt", c=range(CHAINS))

rule last:
    input: "data/c{c}_s9.txt"
    output: "data/c{c}_s10.txt"
    shell: "(cat {input}; echo step 10; head -c 4096 /dev/zero) > {output}"

rule step:
    input: lambda w: f"data/c{w.c}_s{int(w.s) - 1}.txt"
    output: temp("data/c{c}_s{s}.txt")
    wildcard_constraints: s="[1-9]"
    shell: "(cat {input}; echo step {wildcards.s}; head -c 4096 /dev/zero) > {output}"
'''


def build(proj: Path, n: int, tool: str) -> None:
    chains = n // 10
    (proj / "data").mkdir(parents=True, exist_ok=True)
    for c in range(chains):
        (proj / f"data/c{c}_s0.txt").write_text(f"root {c}\n")
    if tool == "snakemake":
        (proj / "Snakefile").write_text(f"CHAINS = {chains}\n" + SNAKEFILE)
        return
    lines = ["stages:"]
    for c in range(chains):
        for s in range(1, 11):
            out = f"data/c{c}_s{s}.txt"
            lines += [
                f"  c{c}_s{s}:",
                f"    cmd: {STEP.format(src=f'data/c{c}_s{s - 1}.txt', step=s, dst=out)}",
                f"    deps: [data/c{c}_s{s - 1}.txt]",
                "    outs:",
                f"      - {out}: {{temp: true}}" if s < 10 else f"      - {out}",
            ]
    (proj / "pivot.yaml").write_text("\n".join(lines) + "\n")


def files(path: Path) -> int:
    return sum(1 for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def measure(tool: str, exe: str, n: int) -> dict[str, float]:
    log = f"temp-{tool}-{n}"
    proj = fresh_dir(log)
    build(proj, n, tool)
    run_cmd(["git", "init", "-q"], proj, log)
    if tool == "pivot":
        run_cmd([exe, "init"], proj, log)
        run = [exe, "run", "-j2", "-q"]
    else:
        run = [exe, "--cores", "2", "--quiet", "all"]
    settle()
    say(f"[temp] {tool}: {n} stages cold...")
    cold, _ = timed(run, proj, log)
    left = {"data": files(proj / "data"), "store": files(proj / ".pivot" / "cache")}
    settle()
    noop, _ = timed(run, proj, log)
    (proj / "data/c0_s0.txt").write_text("root 0, edited\n")
    settle()
    edit, _ = timed(run, proj, log)
    if "edited" not in (proj / "data/c0_s10.txt").read_text():
        raise SystemExit(f"{tool} {n}: the edited chain was not made again (log: {LOG_DIR / log}.log)")
    say(f"           cold {cold:.2f} s, no-op {noop:.2f} s, edit {edit:.2f} s, files left {left}")
    return {"cold": cold, "noop": noop, "edit": edit, **{f"left_{k}": v for k, v in left.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--stages", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--tools", choices=("both", "pivot", "snakemake"), default="both")
    parser.add_argument("--pivot", default=str(REPO_DIR / ".venv" / "bin" / "pivot"))
    args = parser.parse_args()
    tools = [("pivot", args.pivot)] if args.tools in ("both", "pivot") else []
    snakemake = SNAKEMAKE_VENV / "bin" / "snakemake"
    if args.tools in ("both", "snakemake"):
        if not snakemake.exists():
            raise SystemExit(f"no {snakemake}: run `python3 benchmarks/run.py --only scaling` once to make it")
        tools.append(("snakemake", str(snakemake)))
    results = {(tool, n): measure(tool, exe, n) for n in args.stages for tool, exe in tools}
    print(f"\none run each, {os.cpu_count()} cores (logs: {LOG_DIR})\n")
    print("| tool | stages | cold (s) | no-op (s) | one chain edited (s) | files left in data/ | files in the tool's store |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for (tool, n), r in results.items():
        print(f"| {tool} | {n:,} | {r['cold']:.2f} | {r['noop']:.2f} | {r['edit']:.2f} | {r['left_data']:.0f} | {r['left_store']:.0f} |")
    for n in args.stages:
        if ("pivot", n) in results and ("snakemake", n) in results:
            p, s = results[("pivot", n)], results[("snakemake", n)]
            print(f"{n:,} stages: Snakemake/pivot cold {s['cold'] / p['cold']:.1f}x, no-op {s['noop'] / p['noop']:.1f}x, edit {s['edit'] / p['edit']:.1f}x")
    sys.exit(0)


if __name__ == "__main__":
    main()
