"""Params overrides for one run (`Project.run(overrides={"train.lr": 0.1})`, `pivot run -S
train.lr=0.1`): the highest precedence, validated by the stage's StageParams, never written to
params.yaml or pivot.yaml.

A Python stage's override is `STAGE.KEY`: the stage's full name (`train@small`) or its base name
(every variant), then a param, dotted into nested ones. A shell stage's params are keys of
params.yaml, so its override is that key (`train.lr`, `seed`): it acts as if params.yaml said so
for this run, in the stage's `${...}` templating and its recorded params alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from pivot import errors
from pivot.base import importing, yamldoc, yamlio
from pivot.declare import discovery, shell, shellvalues
from pivot.declare.stage import Stage, base_name

_SHELL_HINT = "a shell stage takes -S on the params.yaml keys it lists under 'params:' or writes as ${...}"


def parse(assignments: Sequence[str]) -> dict[str, Any]:
    """`-S` options (`train.lr=0.1`) as overrides: each VALUE is read as a YAML scalar or flow
    value (`0.1`, `true`, `[1, 2]`, `"text"`). A malformed option is a ParamsError naming it."""
    found: dict[str, Any] = {}
    for text in assignments:
        key, raw = split_assignment(text)
        if key in found:
            raise errors.ParamsError(f"-S '{text}': '{key}' is set twice", hint="give each STAGE.KEY once")
        found[key] = parse_value(raw, text)
    return found


def split_assignment(text: str) -> tuple[str, str]:
    """(`STAGE.KEY`, the raw VALUE) of one `-S STAGE.KEY=VALUE`; the first '=' splits them."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise errors.ParamsError(f"-S '{text}': expected STAGE.KEY=VALUE", hint="e.g. -S train.lr=0.1")
    return key.strip(), raw


def parse_value(raw: str, text: str) -> Any:
    """VALUE as YAML reads it: `0.1` a float, `true` a bool, `[1, 2]` a list, `"1"` a string."""
    try:
        return yamlio.load_value(raw)
    except ValueError as exc:
        raise errors.ParamsError(
            f"-S '{text}': the value is not valid YAML: {exc}",
            hint="quote a string holding YAML syntax, e.g. -S 'train.name=\"a: b\"'",
        ) from None


def apply(pipeline: discovery.LoadedPipeline, overrides: Mapping[str, Any]) -> discovery.LoadedPipeline:
    """The pipeline with each override set (see the module's docstring)."""
    entries = _shell_entries(pipeline)
    changed: dict[str, dict[str, Any]] = {}
    given: dict[str, list[str]] = {}  # stage -> the overrides that set it, for error messages
    shell_values: dict[str, Any] = {}
    for spec, value in overrides.items():
        read_by_shell = any(shell.reads(entry, spec) for entry, _ in entries.values())
        if read_by_shell:
            shell_values[spec] = value
        for name, key in _python_targets(pipeline, spec, read_by_shell, entries):
            params = changed.setdefault(name, dict(pipeline.stages[name].params))
            changed[name] = shellvalues.with_values(params, {key: value})
            given.setdefault(name, []).append(spec)
    stages, fingerprints = dict(pipeline.stages), dict(pipeline.fingerprints)
    for name, params in changed.items():
        stages[name] = _validated(stages[name], params, ", ".join(f"'{spec}'" for spec in given[name]))
    if shell_values:
        _rebuild_shell(pipeline, entries, shell_values, stages, fingerprints)
    return dataclasses.replace(pipeline, stages=stages, fingerprints=fingerprints)


def require_passed(pipeline: discovery.LoadedPipeline, overrides: Mapping[str, Any], names: Sequence[str]) -> None:
    """Refuse, for a run, an override a shell stage among `names` only lists under `params:`: its
    script reads params.yaml, which -S leaves as it is, so the stage would run on the file's value
    while its lock and the run cache recorded the override."""
    entries = _shell_entries(pipeline)
    for spec in overrides:
        for name in names:
            entry = entries[name][0] if name in entries else None
            if entry is not None and shell.reads(entry, spec) and not shell.passes(entry, spec):
                raise errors.ParamsError(
                    f"params override '{spec}': shell stage '{name}' lists it under 'params:' but no "
                    f"${{{spec}}} passes it to its command, so its script reads params.yaml, which -S "
                    "leaves as it is",
                    hint=f"pass it in the command (e.g. --value ${{{spec}}}), set it in params.yaml, or "
                    f"try it with 'pivot exp run -S {spec}=...', which writes it into the experiment's copy",
                )


def _shell_entries(pipeline: discovery.LoadedPipeline) -> dict[str, tuple[shell.ShellEntry, yamldoc.Document]]:
    """Each shell stage as pivot.yaml writes it (only shell stages are read again, never imported)."""
    if not any(stage.is_shell for stage in pipeline.stages.values()):
        return {}
    declared = discovery.declared(pipeline.project)
    return {name: (entry.shell, declared.doc) for name, entry in declared.stages.items() if entry.shell is not None}


def _rebuild_shell(
    pipeline: discovery.LoadedPipeline,
    entries: Mapping[str, tuple[shell.ShellEntry, yamldoc.Document]],
    values: Mapping[str, Any],
    stages: dict[str, Stage],
    fingerprints: dict[str, Any],
) -> None:
    """Build again, with params.yaml's keys overridden, the shell stages that read them: their
    commands (`${train.lr}`) and recorded params change as if params.yaml said so."""
    files = shellvalues.Files(pipeline.project.root, values)
    for name, (entry, doc) in entries.items():
        used = [spec for spec in values if shell.reads(entry, spec)]
        if not used:
            continue
        try:
            stages[name], fingerprints[name] = shell.build(name, entry, doc, files)
        except errors.PivotError as exc:
            spelled = ", ".join(f"'{spec}'" for spec in used)
            raise errors.ParamsError(f"params override {spelled}: {exc.message}", hint=exc.hint) from None


def _python_targets(
    pipeline: discovery.LoadedPipeline,
    spec: str,
    read_by_shell: bool,
    entries: Mapping[str, tuple[shell.ShellEntry, yamldoc.Document]],
) -> list[tuple[str, str]]:
    """(stage, key) for each Python stage `spec` sets; none when only shell stages read it."""
    if read_by_shell and not _has_stage_part(spec, pipeline):
        return []
    shell_keys = sorted({key for entry, _ in entries.values() for key in shell.keys_read(entry)[0]})
    if "." not in spec.strip(".") and shell_keys:  # neither STAGE.KEY nor a key a shell stage reads
        raise errors.ParamsError(
            f"params override '{spec}': no shell stage reads params.yaml's '{spec}', and a Python "
            "stage's param is written STAGE.KEY",
            hint=yamldoc.did_you_mean(spec, shell_keys) or _SHELL_HINT,
        )
    stage_part, key = _split(spec, pipeline)
    names = _stages(pipeline, stage_part, spec, read_by_shell)
    python = [name for name in names if not pipeline.stages[name].is_shell]
    if python or read_by_shell:
        return [(name, key) for name in python]
    raise errors.ParamsError(
        f"params override '{spec}': stage '{stage_part}' is a shell stage, and no shell stage reads "
        f"params.yaml's '{spec}'",
        hint=yamldoc.did_you_mean(spec, shell_keys) or _SHELL_HINT,
    )


def _has_stage_part(spec: str, pipeline: discovery.LoadedPipeline) -> bool:
    bases = {base_name(name) for name in pipeline.stages}
    dots = [i for i, char in enumerate(spec) if char == "."]
    return any(spec[:dot] in pipeline.stages or spec[:dot] in bases for dot in dots)


def _split(spec: str, pipeline: discovery.LoadedPipeline) -> tuple[str, str]:
    """(stage, key): the longest prefix before a '.' that names a stage or a base name, since a
    variant's name may hold dots itself (`train@lr0.1.epochs`); else the part before the first."""
    dots = [i for i, char in enumerate(spec) if char == "." and 0 < i < len(spec) - 1]
    if not dots:
        raise errors.ParamsError(
            f"params override '{spec}': expected STAGE.KEY", hint="e.g. {'train.lr': 0.01} or {'train@small.lr': 0.01}"
        )
    bases = {base_name(name) for name in pipeline.stages}
    for dot in reversed(dots):
        if spec[:dot] in pipeline.stages or spec[:dot] in bases:
            return spec[:dot], spec[dot + 1 :]
    return spec[: dots[0]], spec[dots[0] + 1 :]


def _stages(pipeline: discovery.LoadedPipeline, stage: str, spec: str, read_by_shell: bool = False) -> list[str]:
    if stage in pipeline.stages:
        return [stage]
    variants = [name for name in pipeline.stages if base_name(name) == stage]
    if not variants and read_by_shell:
        return []
    if not variants:
        raise errors.ParamsError(
            f"params override '{spec}': no stage named '{stage}'",
            hint=yamldoc.did_you_mean(stage, list(pipeline.stages)) or "run 'pivot list' to see the stages",
        )
    return variants


def _validated(stage: Stage, params: dict[str, Any], given: str) -> Stage:
    import pydantic

    if stage.params_class is None:
        raise errors.ParamsError(
            f"params override {given}: stage '{stage.name}' takes no params",
            hint="override only stages whose function takes 'params: <StageParams subclass>'",
        )
    model = importing.import_object(stage.params_class)
    unknown = [key for key in params if key not in model.model_fields]
    if unknown:
        raise errors.ParamsError(
            f"params override {given}: stage '{stage.name}' has no param '{unknown[0]}' (not a field of {model.__name__})",
            hint=yamldoc.did_you_mean(unknown[0], model.model_fields),
        )
    try:
        values = model.model_validate(params).model_dump(mode="json")
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(part) for part in err["loc"])
        top = model.model_fields.get(str(err["loc"][0])) if err["loc"] else None
        expected = f"; {model.__name__}.{err['loc'][0]} is {_type_name(top.annotation)}" if top is not None else ""
        raise errors.ParamsError(
            f"params override {given}: stage '{stage.name}': param '{field}': {err['msg']} (got {err.get('input')!r}){expected}",
            hint=f"give a value {model.__name__} accepts",
        ) from None
    return dataclasses.replace(stage, params=values)


def _type_name(annotation: Any) -> str:
    """`int`, `float`, `list[int]`: the type as the user wrote it in the StageParams class."""
    return annotation.__name__ if isinstance(annotation, type) else str(annotation).replace("typing.", "")
