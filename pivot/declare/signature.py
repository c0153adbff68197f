"""What a stage function's signature declares: its params class and deps (its parameters'
annotations) and its outputs (its return annotation: one marked value, a TypedDict of them, or
None). Every mistake is a StageDefinitionError naming the function and the parameter or field."""

from __future__ import annotations

import inspect
import sys
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pivot import errors, loaders, outputs
from pivot.declare import outshapes
from pivot.declare.stage import SINGLE_OUTPUT_NAME, DepSpec, OutKind, OutSpec, Returns

if TYPE_CHECKING:
    from pivot import stage_def

_KIND_OF = {outputs.Out: OutKind.OUT, outputs.Metric: OutKind.METRIC, outputs.Plot: OutKind.PLOT}


def _is_params_class(hint: Any) -> bool:
    # A user module that never imported pivot.stage_def has no StageParams subclass: not importing
    # it here keeps pydantic (a tenth of a second) off the path of pipelines without params.
    stage_def = sys.modules.get("pivot.stage_def")
    return stage_def is not None and isinstance(hint, type) and issubclass(hint, stage_def.StageParams)


def read_parameters(
    context: str, ref: str, func: Callable[..., Any], hints: Mapping[str, Any]
) -> tuple[type[stage_def.StageParams] | None, tuple[DepSpec, ...]]:
    params_class = None
    deps: list[DepSpec] = []
    for index, parameter in enumerate(inspect.signature(func).parameters.values()):
        hint: Any = hints.get(parameter.name)
        if index == 0 and parameter.name == "params":
            if not _is_params_class(hint):
                raise errors.StageDefinitionError(
                    f"{context}: {ref}: 'params' must be annotated with a StageParams subclass",
                    hint="class TrainParams(StageParams): ... then 'params: TrainParams'",
                )
            params_class = hint
            continue
        if _is_params_class(hint):
            raise errors.StageDefinitionError(
                f"{context}: parameter '{parameter.name}' of {ref} takes {hint.__name__}, but params "
                "must be the first parameter and be named 'params'",
                hint=f"def {ref.rpartition(':')[2]}(params: {hint.__name__}, ...)",
            )
        marker = _marker(hint, outshapes.PARAMETER_MARKERS)
        if marker is None:
            raise errors.StageDefinitionError(
                f"{context}: parameter '{parameter.name}' of {ref} has no Dep annotation",
                hint=f"annotate it: {parameter.name}: Annotated[pathlib.Path, outputs.Dep('input.csv', loaders.PathOnly())]",
            )
        _check_readable(f"{context}: parameter '{parameter.name}' of {ref}", marker)
        deps.extend(outshapes.dep_specs(context, parameter.name, marker))
    return params_class, tuple(deps)


def _check_readable(context: str, marker: outputs.Dep) -> None:
    """A loader that only writes (MatplotlibFigure) would fail in the worker on every run."""
    if type(marker.loader).load is loaders.Loader.load:
        name = type(marker.loader).__name__
        raise errors.StageDefinitionError(
            f"{context} reads '{marker.path}' with {name}, which only writes files",
            hint=f"take it as a path (outputs.Dep('{marker.path}', loaders.PathOnly())), or depend on the data it was made from",
        )


def read_returns(context: str, ref: str, hint: Any) -> tuple[Returns, tuple[OutSpec, ...]]:
    if hint is None or hint is type(None):
        return Returns.NOTHING, ()
    marker = _marker(hint, tuple(_KIND_OF))
    if marker is not None:
        return Returns.SINGLE, _out_specs(context, SINGLE_OUTPUT_NAME, marker)
    if typing.is_typeddict(hint):
        outs: list[OutSpec] = []
        for field, field_hint in typing.get_type_hints(hint, include_extras=True).items():
            field_marker = _marker(field_hint, tuple(_KIND_OF))
            if field_marker is None:
                raise errors.StageDefinitionError(
                    f"{context}: field '{field}' of {hint.__name__} (returned by {ref}) "
                    "has no Out, Metric or Plot annotation",
                    hint=f"{field}: Annotated[pathlib.Path, outputs.Out('{field}.pkl', loaders.PathOnly())]",
                )
            outs.extend(_out_specs(context, field, field_marker))
        return Returns.MAPPING, tuple(outs)
    raise errors.StageDefinitionError(
        f"{context}: the return type of {ref} must be None, Annotated[..., outputs.Out(...)] "
        "or a TypedDict of such fields",
        hint="see the README's 'Writing stages' section",
    )


def _marker(hint: Any, kinds: tuple[type, ...]) -> Any:
    if typing.get_origin(hint) is not typing.Annotated:
        return None
    for extra in hint.__metadata__:
        if isinstance(extra, kinds):
            return extra
    return None


def _out_specs(context: str, field: str, marker: Any) -> tuple[OutSpec, ...]:
    kind = next(kind for cls, kind in _KIND_OF.items() if isinstance(marker, cls))  # subclasses: IncrementalOut...
    return outshapes.out_specs(context, field, marker, kind)
