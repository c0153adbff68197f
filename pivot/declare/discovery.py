"""The only importer of user modules: turns each pivot.yaml entry into a `Stage` and its function."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import traceback
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pivot import stage_def

from pivot import errors
from pivot import pipeline as api
from pivot.base import importing, project, yamldoc
from pivot.base.importing import current_root, import_object, is_project_module, prepare_imports  # noqa: F401 - re-exported
from pivot.code import fingerprint
from pivot.declare import config, outshapes, params, plotopts, shell, shellvalues, signature
from pivot.declare.stage import DepSpec, OutKind, OutSpec, Stage

Spec = typing.TypeVar("Spec", DepSpec, OutSpec)


@dataclasses.dataclass(frozen=True, slots=True)
class LoadedPipeline:
    """The project's stages as declared now, with each one's code fingerprint."""

    project: project.Project
    stages: Mapping[str, Stage]  # in pivot.yaml order
    fingerprints: Mapping[str, fingerprint.Fingerprint]  # by stage name
    # Every file the stages were built from (pivot.yaml, params.yaml, Python sources), relative
    # to the root, with the content hash it had: filled by `loadmemo` when its memo holds this
    # pipeline, empty otherwise.
    inputs: Mapping[str, str] = dataclasses.field(default_factory=dict)


FingerprintMemo = Mapping[str, fingerprint.Fingerprint]  # by `module:qualname`, from an earlier load


def load(proj: project.Project, memo: FingerprintMemo | None = None) -> LoadedPipeline:
    """Import the user's modules and build every stage; fingerprints in `memo` whose source files
    are unchanged are reused instead of walking the code again."""
    pipeline = declared(proj)
    params_doc = params.load_params_file(proj, list(pipeline.stages), shell.param_roots(e.shell for e in pipeline.stages.values()))
    stages: dict[str, Stage] = {}
    functions: dict[str, Callable[..., Any]] = {}
    shell_files, commands = shellvalues.Files(proj.root), {}
    for name, entry in pipeline.stages.items():
        if entry.shell is not None:  # nothing to import: its command is its code
            stages[name], commands[name] = shell.build(name, entry.shell, pipeline.doc, shell_files)
            continue
        func = _import_function(name, entry.python, pipeline.doc.where(entry.loc("python")))
        stages[name] = _build_stage(name, entry, func, pipeline.doc, params_doc)
        functions[name] = func
    importing.seal_bytecode(os.fspath(proj.root))  # the modules just imported: an edit in the same second is seen
    python_stages = {name: stage for name, stage in stages.items() if name not in commands}
    fingerprints = {**_fingerprints(proj, python_stages, functions, memo or {}), **commands}
    return LoadedPipeline(proj, stages, {name: fingerprints[name] for name in stages})


def _fingerprints(
    proj: project.Project,
    stages: Mapping[str, Stage],
    functions: Mapping[str, Callable[..., Any]],
    memo: FingerprintMemo,
) -> dict[str, fingerprint.Fingerprint]:
    root = str(proj.root)
    by_ref: dict[str, fingerprint.Fingerprint] = {}
    digests: dict[str, str | None] = {}  # each source file read once, however many stages use it
    for name, stage in stages.items():  # variants of one function share its fingerprint
        if stage.func in by_ref:
            continue
        known = memo.get(stage.func)
        if known is not None and fingerprint.sources_unchanged(known, root, digests):
            by_ref[stage.func] = known
        else:
            by_ref[stage.func] = fingerprint.of(functions[name], relative_to=root)
    return {name: by_ref[stage.func] for name, stage in stages.items()}


def declared(proj: project.Project) -> config.Pipeline:
    """The stages as declared, before their functions are read: pivot.yaml when it exists (its
    stage names need no user code), else the `Pipeline` that pipeline.py builds."""
    prepare_imports(proj.root)
    if proj.pipeline_file.is_file() or not proj.python_pipeline_file.is_file():
        return config.load_pipeline(proj)  # without either file: the error says to create one
    module_name = project.PYTHON_PIPELINE_FILE.removesuffix(".py")
    where = project.PYTHON_PIPELINE_FILE
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:
        raise errors.StageDefinitionError(
            f"{where}: cannot import it: {_describe(exc)}", hint="fix the error there; pivot imports pipeline.py to find its stages"
        ) from None
    location = getattr(module, "__file__", None)
    if not _is_user_file(location):  # a module named 'pipeline' imported earlier from elsewhere
        raise errors.StageDefinitionError(
            f"{where}: 'import {module_name}' gives {location or 'a built-in module'}, not this project's file",
            hint="run pivot in a fresh process, or rename the other module",
        )
    found = [value for value in vars(module).values() if isinstance(value, api.Pipeline)]
    if len(found) != 1:
        raise errors.ConfigError(
            f"{where}: expected one pivot.pipeline.Pipeline at module level, found {len(found)}",
            hint="write 'pipeline = Pipeline(\"name\")' once in pipeline.py and register every stage on it",
        )
    return config.pipeline_from_registrations(found[0].stages, where)


def _import_function(name: str, ref: str, where: str) -> Callable[..., Any]:
    module_name, sep, attr = ref.replace(":", ".").rpartition(".")
    if not sep or not module_name or not attr:
        raise errors.StageDefinitionError(
            f"{where}: stage '{name}': 'python: {ref}' must name module.function",
            hint="for a function 'train' in stages.py write 'python: stages.train'",
        )
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:  # the user's module failed to import: say why, no traceback
        raise errors.StageDefinitionError(
            f"{where}: stage '{name}': cannot import module '{module_name}': {_describe(exc)}",
            hint="check the module name and that it imports with the project root on sys.path",
        ) from None
    func: Callable[..., Any] | None = getattr(module, attr, None)
    if func is None or not callable(func):
        hint = yamldoc.did_you_mean(attr, [n for n, v in vars(module).items() if inspect.isfunction(v)])
        location = getattr(module, "__file__", None)
        if not _is_user_file(location):  # e.g. a stages file named like a module already imported
            hint = f"'{module_name}' is {location or 'a built-in module'}, not a module of this project; rename yours"
        raise errors.StageDefinitionError(
            f"{where}: stage '{name}': module '{module_name}' has no function '{attr}'", hint=hint
        )
    if inspect.isclass(func):
        raise errors.StageDefinitionError(
            f"{where}: stage '{name}': '{ref}' is a class, not a function",
            hint="point 'python:' at the stage function",
        )
    return func


def _describe(exc: BaseException) -> str:
    """One line: the exception and, when the user's code raised it, where (`stages.py:12`)."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} ({_short(exc.filename)}:{exc.lineno})"
    text = f"{type(exc).__name__}: {exc}"
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if _is_user_file(frame.filename)]
    if frames:
        text += f" ({_short(frames[-1].filename)}:{frames[-1].lineno})"
    return text


def _is_user_file(path: str | None) -> bool:
    root = current_root()
    return root is not None and is_project_module(path, root)


def _short(path: str | None) -> str:
    """A user file's path relative to the project root, others as they are."""
    root = current_root()
    if path and root and is_project_module(path, root):
        return os.path.relpath(path, root)
    return str(path)


def _build_stage(
    name: str,
    entry: config.StageConfig,
    func: Callable[..., Any],
    doc: yamldoc.Document,
    params_doc: yamldoc.Document,
) -> Stage:
    ref = f"{func.__module__}:{func.__qualname__}"
    where = doc.where(entry.loc("python"))
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception as exc:
        raise errors.StageDefinitionError(
            f"{where}: stage '{name}': cannot read the annotations of {ref}: {_describe(exc)}",
            hint="annotations must name types the module imports (or defines)",
        ) from None
    params_class, deps = signature.read_parameters(f"{where}: stage '{name}'", ref, func, hints)
    returns, outs = signature.read_returns(f"{where}: stage '{name}'", ref, hints.get("return"))
    outs = outshapes.link_incremental(f"{where}: stage '{name}'", ref, hints, outs)
    deps = _override(name, doc, entry, "deps", deps)
    outs = _override_outs(name, doc, entry, outs)
    _check_out_locations(name, doc, entry, outs)
    values = _resolve_params(name, entry, params_class, doc, params_doc)
    return Stage(
        name=name,
        func=ref,
        deps=deps,
        outs=outs,
        returns=returns,
        params_class=f"{params_class.__module__}:{params_class.__qualname__}" if params_class else None,
        params=values,
        source=doc.where(entry.loc()),
        mutex=entry.mutex,
        threads=entry.threads,
        retries=entry.retries,
        resources=entry.resources,
        always_changed=entry.always_changed,
        frozen=entry.frozen,
        tags=entry.tags,
        desc=entry.desc,
    )


def _override(
    name: str, doc: yamldoc.Document, entry: config.StageConfig, section: str, specs: tuple[Spec, ...]
) -> tuple[Spec, ...]:
    specs, overrides = outshapes.regroup(
        name, section, specs, getattr(entry, section), lambda key: doc.where(entry.loc(section, key))
    )
    by_name = {spec.name: spec for spec in specs}
    for key in overrides:
        if key not in by_name:
            raise errors.ConfigError(
                f"{doc.where(entry.loc(section, key))}: stage '{name}' has no {section[:-1]} named '{key}'",
                hint=yamldoc.did_you_mean(key, {outshapes.field_of(spec) for spec in specs}),
            )
    resolved = []
    for spec in specs:
        raw = overrides.get(spec.name, spec.path)
        # An annotation's path is reported at the stage's `python:` line, an override at its own.
        where = doc.where(entry.loc(section, spec.name) if spec.name in overrides else entry.loc("python"))
        path = project.normalize(raw, what=f"{where}: stage '{name}': {section[:-1]} '{spec.name}'")
        resolved.append(dataclasses.replace(spec, path=path))
    return tuple(resolved)


def _override_outs(
    name: str, doc: yamldoc.Document, entry: config.StageConfig, outs: tuple[OutSpec, ...]
) -> tuple[OutSpec, ...]:
    resolved: dict[str, OutSpec] = {outshapes.field_of(out): out for out in outs}
    overridden: list[OutSpec] = []
    for kind in OutKind:
        overrides: Mapping[str, str] = getattr(entry, kind.value)
        for key in overrides:
            spec = resolved.get(key)
            if spec is not None and spec.kind is not kind:
                raise errors.ConfigError(
                    f"{doc.where(entry.loc(kind.value, key))}: stage '{name}': '{key}' is "
                    f"declared as {spec.kind.value[:-1]}, not {kind.value[:-1]}",
                    hint=f"move it under '{spec.kind.value}:'",
                )
        same_kind = tuple(out for out in outs if out.kind is kind)
        overridden.extend(_override(name, doc, entry, kind.value, same_kind))
    return outshapes.in_declared_order(outs, _with_plot_options(entry, overridden))


def _with_plot_options(entry: config.StageConfig, outs: list[OutSpec]) -> list[OutSpec]:
    """pivot.yaml's drawing options for a plot, over those its `Plot(...)` annotation gives."""
    if not entry.plot_options:
        return outs
    resolved = []
    for out in outs:
        options = entry.plot_options.get(outshapes.field_of(out)) if out.kind is OutKind.PLOT else None
        if options:
            out = dataclasses.replace(out, plot=plotopts.normalized({**dict(out.plot), **options}))
        resolved.append(out)
    return resolved


_RESERVED = (project.PIPELINE_FILE, project.PYTHON_PIPELINE_FILE, project.PIVOT_DIR, ".git")


def _check_out_locations(
    name: str, doc: yamldoc.Document, entry: config.StageConfig, outs: tuple[OutSpec, ...]
) -> None:
    """Outputs are replaced on every run: never let one be the pipeline or pivot's own state."""
    for out in outs:
        if any(project.is_within(out.path, reserved) for reserved in _RESERVED):
            section = out.kind.value
            overridden = out.name in getattr(entry, section)
            where = doc.where(entry.loc(section, out.name) if overridden else entry.loc("python"))
            raise errors.PathError(
                f"{where}: stage '{name}': {section[:-1]} '{out.name}' is '{out.path}', "
                "which belongs to pivot or git, not to a stage",
                hint="write outputs elsewhere in the project",
            )


def _resolve_params(
    name: str,
    entry: config.StageConfig,
    params_class: type[stage_def.StageParams] | None,
    doc: yamldoc.Document,
    params_doc: yamldoc.Document,
) -> dict[str, Any]:
    sources = [params.Source(values, doc, prefix) for values, prefix in entry.param_layers]
    return params.resolve(name, params_class, [*sources, *params.file_sources(params_doc, name)])
