#!/usr/bin/env python3
"""What atomic saves cost the built-in loaders, with the project's interpreter:

    .venv/bin/python benchmarks/loaders.py [--saves 200] [--repeats 3]

Each loader saves a small value (a 30-line text, a 30-key dict, 30 records, a 30-row frame, a
small figure) `--saves` times (figures a tenth as often: each takes tens of milliseconds) into a
fresh directory, three ways in the same run:

- direct: written straight to the output path, as the loaders did before saves were atomic;
- temp + rename: what ships (`loaders.writing`: a temp file beside the output, then a rename);
- temp + rename + fsync: the durable variant, not shipped (see `loaders.writing` for why).

Prints a markdown table of milliseconds per save (median of the repeats) and the ratios to direct.
"""

from __future__ import annotations

import argparse
import contextlib
import pathlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from pivot import loaders
from pivot.base import atomic


@contextlib.contextmanager
def _direct(path: pathlib.Path) -> Iterator[pathlib.Path]:
    yield path


@contextlib.contextmanager
def _durable(path: pathlib.Path) -> Iterator[pathlib.Path]:
    with atomic.replacing(path, durable=True) as tmp:
        yield tmp


STRATEGIES: dict[str, Callable[[pathlib.Path], Any]] = {
    "direct": _direct,
    "temp + rename": loaders.writing,
    "temp + rename + fsync": _durable,
}


def _cases() -> list[tuple[str, loaders.Loader, Callable[[], Any], str]]:
    records = [{"id": i, "word": f"word{i}", "score": i / 7} for i in range(30)]
    cases = [
        ("Text", loaders.Text(), lambda: "\n".join(f"line {i}" for i in range(30)), "t.txt"),
        ("JSON", loaders.JSON(), lambda: {f"key{i}": i for i in range(30)}, "v.json"),
        ("JSONL", loaders.JSONL(), lambda: records, "r.jsonl"),
        ("Pickle", loaders.Pickle(), lambda: records, "v.pkl"),
    ]
    with contextlib.suppress(ImportError):
        import pandas

        frame = pandas.DataFrame(records)
        cases += [("CSV", loaders.CSV(), lambda: frame, "f.csv"), ("DataFrameJSONL", loaders.DataFrameJSONL(), lambda: frame, "f.jsonl")]
    with contextlib.suppress(ImportError):
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure

        def figure() -> Any:
            fig = Figure(figsize=(2, 2))
            fig.subplots().plot(range(30))
            return fig

        cases.append(("MatplotlibFigure (png)", loaders.MatplotlibFigure(dpi=50), figure, "p.png"))
    return cases


def _time(loader: loaders.Loader, make: Callable[[], Any], name: str, saves: int, where: pathlib.Path) -> float:
    values = [make() for _ in range(saves)]  # made before timing: only the save is measured
    start = time.perf_counter()
    for index, value in enumerate(values):
        loader.save(value, where / f"{index}-{name}")
    return (time.perf_counter() - start) / saves * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="pivot-loaders-bench-", dir=pathlib.Path(__file__).parent))
    print("| loader | direct (ms/save) | temp + rename (ms/save) | + fsync (ms/save) | shipped / direct | fsync / direct |")
    print("|---|---:|---:|---:|---:|---:|")
    try:
        for label, loader, make, name in _cases():
            saves = max(10, args.saves // 10) if label.startswith("Matplotlib") else args.saves
            runs: dict[str, list[float]] = {strategy: [] for strategy in STRATEGIES}
            for repeat in range(args.repeats):  # strategies interleaved: a busy moment hits all three
                for strategy, writer in STRATEGIES.items():
                    where = work / f"{label}-{repeat}-{len(runs[strategy])}-{strategy}"
                    where.mkdir()
                    loaders.writing = writer  # type: ignore[assignment]  # every loader looks it up at save time
                    try:
                        runs[strategy].append(_time(loader, make, name, saves, where))
                    finally:
                        loaders.writing = STRATEGIES["temp + rename"]  # type: ignore[assignment]
            medians = {strategy: statistics.median(times) for strategy, times in runs.items()}
            direct, shipped, durable = medians.values()
            print(f"| {label} | {direct:.3f} | {shipped:.3f} | {durable:.3f} | {shipped / direct:.2f}x | {durable / direct:.2f}x |")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
