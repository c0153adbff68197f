"""The plots a pipeline declares (every Plot output, with its drawing options as `OutSpec.plot`
holds them) and the ones that command-line targets name: a plot file's path or a stage's name."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from pivot import errors
from pivot.base import yamldoc
from pivot.declare import targets as targets_mod
from pivot.declare.stage import OutKind, Stage
from pivot.plots.model import PlotSpec


def declared(stages: Mapping[str, Stage]) -> list[PlotSpec]:
    """Every plot of the pipeline, in pivot.yaml's order, as declared (x and y not yet resolved)."""
    found = []
    for stage in stages.values():
        for out in stage.outs:
            if out.kind is not OutKind.PLOT:
                continue
            options = dict(out.plot)
            y = options.get("y", ())
            found.append(
                PlotSpec(
                    path=out.path,
                    template=options.get("template", "linear"),
                    x=options.get("x"),
                    y=(y,) if isinstance(y, str) else tuple(y),
                    title=options.get("title"),
                    x_label=options.get("x_label"),
                    y_label=options.get("y_label"),
                    stage=stage.name,
                )
            )
    return found


def select(plots: Sequence[PlotSpec], targets: Sequence[str], stage_names: Sequence[str]) -> list[PlotSpec]:
    """The plots `targets` name (all of them when none is given), in the pipeline's order. A
    target is a plot file's path (as written from the project root) or a stage name, base name
    or glob; anything else is an input error suggesting the closest plot or stage."""
    if not targets:
        return list(plots)
    wanted: set[int] = set()
    for target in targets:
        path = os.path.normpath(target).replace(os.sep, "/")
        by_path = {index for index, spec in enumerate(plots) if spec.path == path}
        stages = set(targets_mod.matches(target, stage_names)) if not by_path else set()
        by_stage = {index for index, spec in enumerate(plots) if spec.stage in stages}
        if not by_path and not stages:
            choices = [*(spec.path for spec in plots), *stage_names]
            raise errors.InputError(
                f"'{target}' is neither a plot file nor a stage of the pipeline",
                hint=yamldoc.did_you_mean(target, choices) or "the pipeline declares no plots",
            )
        if stages and not by_stage:
            raise errors.InputError(
                f"stage '{target}' has no plots",
                hint=yamldoc.did_you_mean(target, [spec.path for spec in plots]) or "the pipeline declares no plots",
            )
        wanted |= by_path | by_stage
    return [spec for index, spec in enumerate(plots) if index in wanted]
