# stages.py: one training function, run by pivot.yaml's matrix for every model and dataset.
import json
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams


class TrainParams(StageParams):
    model: str = "small"
    dataset: str = "imdb"
    hidden: int = 16
    epochs: int = 3


class TrainOutputs(TypedDict):
    model: Annotated[dict, outputs.Out("model.json", loaders.JSON())]
    metrics: Annotated[dict, outputs.Metric("metrics.json")]


def train(params: TrainParams, data: Annotated[str, outputs.Dep("data/imdb.txt", loaders.Text())]) -> TrainOutputs:
    rows = [line.split(" ", 1) for line in data.splitlines() if line.strip()]
    positive = sum(label == "1" for label, _ in rows)
    # A stand-in for real training: bigger models and more epochs "fit" a little better.
    accuracy = min(1.0, 0.5 + 0.01 * params.epochs + (0.1 if params.hidden > 64 else 0.0))
    return {
        "model": {"kind": params.model, "hidden": params.hidden, "prior": positive / len(rows)},
        "metrics": {"model": params.model, "dataset": params.dataset, "accuracy": round(accuracy, 3)},
    }


def summarize(
    results: Annotated[pathlib.Path, outputs.Dep("results", loaders.PathOnly())],
) -> Annotated[str, outputs.Out("summary.md", loaders.Text())]:
    lines = ["| model | dataset | accuracy |", "|---|---|---:|"]
    for path in sorted(results.glob("*.json")):
        metrics = json.loads(path.read_text())
        lines.append(f"| {metrics['model']} | {metrics['dataset']} | {metrics['accuracy']} |")
    return "\n".join(lines) + "\n"
