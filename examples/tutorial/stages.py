# stages.py
import pathlib
import pickle
from typing import Annotated, TypedDict

import pandas

from pivot import loaders, outputs
from pivot.stage_def import StageParams


class PreprocessOutputs(TypedDict):
    clean: Annotated[pathlib.Path, outputs.Out("processed.parquet", loaders.PathOnly())]


def preprocess(raw: Annotated[pandas.DataFrame, outputs.Dep("data.csv", loaders.CSV())]) -> PreprocessOutputs:
    df = raw.dropna()
    df.to_parquet("processed.parquet")
    return {"clean": pathlib.Path("processed.parquet")}


class TrainParams(StageParams):
    """Training hyperparameters."""
    learning_rate: float = 0.01
    epochs: int = 100
    batch_size: int = 32


class TrainOutputs(TypedDict):
    model: Annotated[pathlib.Path, outputs.Out("model.pkl", loaders.PathOnly())]
    metrics: Annotated[dict, outputs.Metric("metrics.json")]


def train(
    params: TrainParams,
    data: Annotated[pathlib.Path, outputs.Dep("processed.parquet", loaders.PathOnly())],
) -> TrainOutputs:
    """Train a model with configurable parameters."""
    df = pandas.read_parquet(data)

    # Use parameters in your training logic
    model = {
        'rows': len(df),
        'cols': len(df.columns),
        'learning_rate': params.learning_rate,
        'epochs': params.epochs,
        'batch_size': params.batch_size,
    }

    model_path = pathlib.Path("model.pkl")
    with open(model_path, 'wb') as f:
        pickle.dump(model, f)

    # Return metrics for tracking
    return {
        "model": model_path,
        "metrics": {
            "accuracy": 0.95,
            "loss": 0.05,
            "learning_rate": params.learning_rate,
        }
    }
