"""`Pipeline`: stages declared in Python (a project's `pipeline.py`) instead of pivot.yaml.

`register` only records; the function is returned unchanged and stays a plain function.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_SECTIONS = ("deps", "outs", "metrics", "plots")


@dataclasses.dataclass(frozen=True, slots=True)
class Registration:
    """One `register` call, as plain values: what a pivot.yaml entry would say, and where."""

    name: str
    python: str  # "module.qualname" of the function, as pivot.yaml's `python:` names it
    deps: Mapping[str, str | Sequence[str]]
    outs: Mapping[str, str | Sequence[str]]
    metrics: Mapping[str, str | Sequence[str]]
    plots: Mapping[str, str | Sequence[str]]
    params: Mapping[str, Any]
    line: int  # of the `register` call in its file, for error messages
    mutex: tuple[str, ...] = ()  # scheduling and cache policy, as pivot.yaml's keys of those names
    threads: int = 1
    retries: int | None = None
    resources: tuple[tuple[str, int], ...] = ()
    always_changed: bool = False
    frozen: bool = False
    tags: tuple[str, ...] = ()  # pivot.yaml's `tags:`, for run selection
    desc: str = ""  # pivot.yaml's `desc:`, what the stage is for


class Pipeline:
    """A named set of stages: `Pipeline("train").register(train, params={"epochs": 5})`."""

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"Pipeline(name): name must be a non-empty string, not {name!r}")
        self.name = name
        self._stages: list[Registration] = []

    @property
    def stages(self) -> tuple[Registration, ...]:
        return tuple(self._stages)

    def register(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        params: Mapping[str, Any] | Any = None,
        deps: Mapping[str, str | Sequence[str]] | None = None,
        outs: Mapping[str, str | Sequence[str]] | None = None,
        metrics: Mapping[str, str | Sequence[str]] | None = None,
        plots: Mapping[str, str | Sequence[str]] | None = None,
        mutex: str | Sequence[str] = (),
        threads: int = 1,
        retries: int | None = None,
        resources: Mapping[str, int] | None = None,
        always_changed: bool = False,
        frozen: bool = False,
        tags: Sequence[str] = (),
        desc: str = "",
    ) -> Callable[..., Any]:
        """Record `func` as a stage (default name: the function's); paths override the
        annotations' by name, `params` (a mapping or a StageParams instance) the defaults.
        `mutex`, `threads`, `resources`, `retries`, `always_changed`, `frozen`, `tags` and `desc`
        mean what they mean in pivot.yaml."""
        qualname = getattr(func, "__qualname__", None)
        if not callable(func) or qualname is None or "<locals>" in qualname:
            raise TypeError(f"register: {func!r} must be a function defined at a module's top level")
        paths = {"deps": deps, "outs": outs, "metrics": metrics, "plots": plots}
        for section, given in paths.items():
            if given is not None and not _is_str_mapping(given):
                raise TypeError(f"register({qualname}): {section} must map names to path strings (or lists of them), not {given!r}")
        groups = _mutex_groups(qualname, mutex)
        if type(threads) is not int or threads < 1:
            raise TypeError(f"register({qualname}): threads must be a whole number of at least 1, not {threads!r}")
        if retries is not None and (type(retries) is not int or retries < 0):
            raise TypeError(f"register({qualname}): retries must be a whole number, 0 or more, not {retries!r}")
        _check_resources(qualname, resources)
        if not isinstance(desc, str):
            raise TypeError(f"register({qualname}): desc must be a string, not {desc!r}")
        for key, flag in (("always_changed", always_changed), ("frozen", frozen)):
            if not isinstance(flag, bool):
                raise TypeError(f"register({qualname}): {key} must be True or False, not {flag!r}")
        self._stages.append(
            Registration(
                name=func.__name__ if name is None else name,
                python=f"{func.__module__}.{qualname}",
                params=_params_dict(qualname, params),
                line=sys._getframe(1).f_lineno,
                **{section: dict(given or {}) for section, given in paths.items()},
                mutex=groups,
                threads=threads,
                retries=retries,
                resources=tuple(sorted((resources or {}).items())),
                always_changed=always_changed,
                frozen=frozen,
                tags=_tags(qualname, tags),
                desc=desc,
            )
        )
        return func


def _check_resources(qualname: str, resources: Any) -> None:
    amounts = resources if isinstance(resources, Mapping) else {None: None} if resources is not None else {}
    if not all(isinstance(name, str) and name.strip() and type(n) is int and n >= 0 for name, n in amounts.items()):
        raise TypeError(f"register({qualname}): resources must map names to whole amounts (0 or more), not {resources!r}")


def _mutex_groups(qualname: str, mutex: Any) -> tuple[str, ...]:
    groups = (mutex,) if isinstance(mutex, str) else mutex
    if not isinstance(groups, Sequence) or not all(isinstance(group, str) and group.strip() for group in groups):
        raise TypeError(f"register({qualname}): mutex must be a group name or a list of group names, not {mutex!r}")
    return tuple(groups)


def _tags(qualname: str, tags: Any) -> tuple[str, ...]:
    if isinstance(tags, str) or not isinstance(tags, Sequence) or not all(isinstance(tag, str) and tag.strip() for tag in tags):
        raise TypeError(f"register({qualname}): tags must be a list of tag names, not {tags!r}")
    return tuple(tags)


def _is_str_mapping(value: Any) -> bool:
    return isinstance(value, Mapping) and all(isinstance(k, str) and _is_paths(v) for k, v in value.items())


def _is_paths(value: Any) -> bool:
    # One path, or a list of them for a dep or output declared as a list.
    return isinstance(value, str) or (isinstance(value, list | tuple) and all(isinstance(v, str) for v in value))


def _params_dict(qualname: str, params: Any) -> dict[str, Any]:
    if params is None:
        return {}
    if hasattr(params, "model_dump"):  # a StageParams instance: the fields it was given
        dumped: dict[str, Any] = params.model_dump(mode="json", exclude_unset=True)
        return dumped
    if isinstance(params, Mapping):
        return dict(params)
    raise TypeError(f"register({qualname}): params must be a mapping or a StageParams instance, not {params!r}")
