"""`pivot exp run -S` values: how a sweep is spelt, and bad input refused (exit 2) before
anything runs; the `exp` group takes the subcommands other modules define."""

from __future__ import annotations

import sys
import types

import click
import pytest
from conftest import assert_clean_error

from experiments.sweeps import runs
from pivot import errors
from pivot.api import Project
from pivot.experiments import record, sweep


def test_commas_separate_values_and_brackets_or_quotes_keep_them():
    assert sweep.expand(["train.lr=0.01,0.1"]) == [{"train.lr": 0.01}, {"train.lr": 0.1}]
    assert sweep.expand(['train.tags=["a,b"]']) == [{"train.tags": ["a,b"]}]
    assert sweep.expand(['train.note="a,b"']) == [{"train.note": "a,b"}]
    assert sweep.expand(["train.on=true,[1, 2]"]) == [{"train.on": True}, {"train.on": [1, 2]}]


def test_several_options_make_the_cross_product_and_zip_pairs_them():
    options = ["train.lr=1,2", "train.epochs=10,20"]
    assert sweep.expand(options) == [
        {"train.lr": 1, "train.epochs": 10},
        {"train.lr": 1, "train.epochs": 20},
        {"train.lr": 2, "train.epochs": 10},
        {"train.lr": 2, "train.epochs": 20},
    ]
    assert sweep.expand(options, zipped=True) == [{"train.lr": 1, "train.epochs": 10}, {"train.lr": 2, "train.epochs": 20}]


@pytest.mark.parametrize(
    ("options", "fragment"),
    [(["train.lr=1", "train.lr=2"], "given twice"), (["train.lr=1,,2"], "not valid YAML"), (["train.lr=1,2", "train.epochs=1"], "--zip")],
)
def test_bad_sweeps_are_refused(options, fragment):
    with pytest.raises(errors.ParamsError, match=fragment):
        sweep.expand(options, zipped=True)


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        ("train.nope=1", "no param 'nope'"),
        ("train.lr=fast", "'lr'"),
        ("train.lr=", "expected STAGE.KEY=VALUE"),
        ("lr=0.1", "expected STAGE.KEY=VALUE"),
        ("trian.lr=0.1", "no stage named 'trian'"),
        ("train.lr=[0.1", "not valid YAML"),
    ],
)
@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_bad_overrides_stop_before_anything_runs(sweep_project, pivot, counts, option, fragment):
    result = pivot("exp", "run", "-S", "train.epochs=2,3", "-S", option)

    assert_clean_error(result, fragment)
    assert runs(counts, "train") == 0
    assert record.all(Project.open(sweep_project)) == []
    assert not (sweep_project / ".pivot" / "tmp" / "exps").exists()


def test_the_exp_group_takes_the_commands_another_module_defines(pivot, monkeypatch):
    module = types.ModuleType("pivot.cli.exp_show")

    @click.command(name="show")
    def show() -> None:
        """Show experiments."""
        click.echo("shown")

    module.show = show  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pivot.cli.exp_show", module)

    assert pivot("exp", "show").output == "shown\n"
    listing = pivot("exp", "--help").output
    assert "show" in listing and "run" in listing
