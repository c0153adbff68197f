from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams

SUFFIX = "!"


def shout(text: str) -> str:
    return text.strip().upper() + SUFFIX


class TrainParams(StageParams):
    lr: float = 0.1


class Trained(TypedDict):
    model: Annotated[str, outputs.Out("model.txt", loaders.Text())]
    score: Annotated[dict, outputs.Metric("metrics.json")]


def train(params: TrainParams, data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Trained:
    return {"model": f"model({shout(data)}, lr={params.lr})", "score": {"lr": params.lr}}


def evaluate(model: Annotated[str, outputs.Dep("model.txt", loaders.Text())]) -> Annotated[str, outputs.Out("report.txt", loaders.Text())]:
    return f"report of {model}"
