"""The pydantic-free check of common config shapes never calls valid what the schema rejects,
and recognises the usual files (so a fresh clone's pull does not import pydantic)."""

from __future__ import annotations

import pytest

from pivot.declare import config_plain, config_schema

ACCEPTED = [
    ("PipelineConfig", {"stages": {"train": {"python": "stages.train", "deps": {"data": "d.csv"}, "params": {"lr": 0.1}}}}),
    ("PipelineConfig", {"stages": {"a": {"python": "s.a", "outs": None, "metrics": {"m": "m.json"}}}}),
    ("PipelineConfig", {"stages": None}),
    ("PipelineConfig", {"stages": {"prep": {"cmd": "python p.py", "deps": ["src/"], "outs": ["o"], "params": ["a.b"], "wdir": "w"}}}),
    ("PipelineConfig", {"stages": {"prep": {"cmd": ["a", "b"], "metrics": None}}}),
    ("ProjectConfig", {"remotes": {"origin": {"url": "s3://b/p", "pack": False, "endpoint_url": "http://x"}}, "default_remote": "origin"}),
    ("ProjectConfig", {"executor": {"kind": "dask", "data": "remote"}, "run_cache": {"trust_unsigned_remote": True}, "gc": {"grace_period": "1h"}}),
]

REJECTED_BY_THE_SCHEMA = [
    ("PipelineConfig", {"stages": {"train": {"pyhton": "stages.train"}}}),
    ("PipelineConfig", {"stages": {"train": {"python": 3}}}),
    ("PipelineConfig", {"stages": {"train": {"python": "s.t", "deps": {"data": 1}}}}),
    ("PipelineConfig", {"stages": {"train": {"python": "s.t", "deps": ["d.csv"]}}}),
    ("PipelineConfig", {"stages": {"train": None}}),
    ("PipelineConfig", {"stages": {"train": {"python": "s.t", "cmd": "x"}}}),
    ("PipelineConfig", {"stages": {"train": {"cmd": 3}}}),
    ("PipelineConfig", {"stages": {"train": {"cmd": "x", "deps": {"data": "d.csv"}}}}),
    ("PipelineConfig", {"stages": {"train": {"cmd": "x", "outs": [{"o": {"cahce": False}}]}}}),
    ("PipelineConfig", {"stages": {"train": {"cmd": "x", "outs": [{"o": None, "p": None}]}}}),
    ("PipelineConfig", {"stage": {}}),
    ("ProjectConfig", {"remotes": {"origin": {"url": "x", "pack": "yes"}}}),
    ("ProjectConfig", {"remotes": {"origin": None}}),
    ("ProjectConfig", {"executor": {"kind": "slurm"}}),
    ("ProjectConfig", {"executor": None}),
    ("ProjectConfig", {"run_cache": {"trust_unsigned_remote": "true"}}),
    ("ProjectConfig", {"cache": {"kind": "copy"}}),
    ("ProjectConfig", {"remote": {}}),
]


@pytest.mark.parametrize(("model", "data"), ACCEPTED)
def test_the_usual_files_are_valid_without_pydantic(model, data):
    assert config_plain.valid(model, data)
    getattr(config_schema, model).model_validate(data)  # and the schema agrees


@pytest.mark.parametrize(("model", "data"), REJECTED_BY_THE_SCHEMA)
def test_what_the_schema_rejects_is_never_called_valid(model, data):
    with pytest.raises(Exception):  # noqa: B017 - any pydantic ValidationError
        getattr(config_schema, model).model_validate(data)
    assert not config_plain.valid(model, data)
