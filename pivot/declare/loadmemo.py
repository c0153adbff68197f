"""Loading the pipeline without importing the user's code when nothing it depends on changed.

The memo (`.pivot/tmp/pipeline.memo`) holds the stages and code fingerprints of the last load,
with the content hash of every file that went into them: pivot.yaml, params.yaml, each project
module that loading imported and each file a fingerprint went through. While all of them are
byte-identical (and pivot and Python are the same), the memo is the answer: a no-op `pivot run`
never pays for importing pandas or torch. When only params.yaml changed, the stages whose
sections changed are re-resolved against their recorded StageParams schema (`paramschema`), still
without importing. When something else changed (or a value needs the class itself), the user's
modules are imported again, and fingerprints whose own source files are unchanged are still reused.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import sys
from collections.abc import Mapping
from typing import Any

import pivot
from pivot.base import atomic, project, yamldoc
from pivot.base.importing import is_project_module, prepare_imports
from pivot.code import fingerprint
from pivot.code import source as codesource
from pivot.code.source import file_digest
from pivot.declare import config, discovery, params, paramschema, shell, shellvalues
from pivot.declare.stage import base_name

_VERSION = 9  # 2: params schemas; 3: output shapes (new DepSpec/OutSpec fields); 4: shell stages (cmd, wdir); 5: OutSpec.plot; 6: plot options of Python stages; 7: Stage.threads, retries, resources; 8: OutSpec.temp; 9: Stage.desc
_PIVOT_DIR = os.path.dirname(os.path.abspath(pivot.__file__))
# The packages whose code shapes a loaded pipeline (stages, params, fingerprints).
_SHAPING = ("", "base", "code", "declare")


def cached(proj: project.Project) -> discovery.LoadedPipeline | None:
    """The memo's pipeline while it is still valid; None (and nothing imported) otherwise."""
    memo = _read(proj)
    return _from_memo(proj, memo) if memo is not None and _still_valid(proj, memo) else None


def load(proj: project.Project) -> discovery.LoadedPipeline:
    memo = _read(proj)
    if memo is not None and _still_valid(proj, memo):
        return _from_memo(proj, memo)
    refreshed = _params_refreshed(proj, memo) if memo is not None else None
    if memo is not None and refreshed is not None:
        inputs = _write(proj, refreshed, memo["modules"], memo["schemas"])
        return dataclasses.replace(refreshed, inputs=inputs)
    known = {memo["stages"][name].func: fp for name, fp in memo["fingerprints"].items()} if memo else None
    loaded = discovery.load(proj, known)
    return dataclasses.replace(loaded, inputs=_write(proj, loaded))


def record(proj: project.Project, loaded: discovery.LoadedPipeline) -> discovery.LoadedPipeline:
    """`loaded` with its memo written, if loading could not write it because .pivot/ did not
    exist yet (the first run of a project nobody initialised): the next run is then answered
    without importing the user's code. Only right after loading: it reads what was imported."""
    if loaded.inputs:
        return loaded
    return dataclasses.replace(loaded, inputs=_write(proj, loaded))


def _from_memo(proj: project.Project, memo: Mapping[str, Any]) -> discovery.LoadedPipeline:
    # Nothing is imported, but a long-lived process must still not keep another project's modules.
    prepare_imports(proj.root)
    return discovery.LoadedPipeline(proj, memo["stages"], memo["fingerprints"], _inputs(memo))


def _inputs(memo: Mapping[str, Any]) -> dict[str, str]:
    """The files the memo's pipeline was built from (root-relative) and their content hashes."""
    return {**memo["inputs"], **memo["modules"]}


def _path(proj: project.Project) -> Any:
    return proj.tmp_dir / "pipeline.memo"


def _read(proj: project.Project) -> dict[str, Any] | None:
    try:
        with open(_path(proj), "rb") as handle:
            memo = pickle.load(handle)
    except Exception:  # absent, truncated, or written by another version: load the slow way
        return None
    if not isinstance(memo, dict) or memo.get("environment") != _environment():
        return None
    return memo


def _still_valid(proj: project.Project, memo: Mapping[str, Any]) -> bool:
    return memo["inputs"] == _config_inputs(proj) and codesource.unchanged(str(proj.root), memo["modules"])


def _params_refreshed(proj: project.Project, memo: Mapping[str, Any]) -> discovery.LoadedPipeline | None:
    """The memo's pipeline with params re-resolved, when params.yaml is all that changed and every
    stage's params resolve from its recorded schema (`paramschema`); None: import as before."""
    inputs, old = _config_inputs(proj), memo["inputs"]
    if any(digest != old.get(name) for name, digest in inputs.items() if name != proj.params_file.name):
        return None
    if not proj.pipeline_file.is_file() or not codesource.unchanged(str(proj.root), memo["modules"]):
        return None
    prepare_imports(proj.root)
    declared = config.load_pipeline(proj)
    roots = shell.param_roots(entry.shell for entry in declared.stages.values())
    params_doc = params.load_params_file(proj, list(declared.stages), roots)  # bad params.yaml: the usual error
    stages = {}
    fingerprints, shell_files = dict(memo["fingerprints"]), shellvalues.Files(proj.root)
    for name, entry in declared.stages.items():
        stage = memo["stages"].get(name)
        if stage is None:
            return None
        if entry.shell is not None:  # its command may use params too: built again, without imports
            stages[name], fingerprints[name] = shell.build(name, entry.shell, declared.doc, shell_files)
            continue
        if _own_values(params_doc.data, name) == _own_values(memo["params_data"], name):
            stages[name] = stage  # its params.yaml sections did not change (pivot.yaml did not either)
            continue
        layers = [params.Source(values, declared.doc, prefix) for values, prefix in entry.param_layers]
        sources = [*layers, *params.file_sources(params_doc, name)]
        schema = memo["schemas"].get(name)
        if schema is None:  # no params class (any value is an error to report), or not plain data
            if stage.params_class is not None or any(source.values for source in sources):
                return None
            values: dict[str, Any] | None = {}
        else:
            values = paramschema.resolve(schema, sources)
        if values is None:
            return None
        stages[name] = dataclasses.replace(stage, params=values)
    return discovery.LoadedPipeline(proj, stages, fingerprints)


def _write(
    proj: project.Project,
    loaded: discovery.LoadedPipeline,
    modules: Mapping[str, str] | None = None,
    schemas: Mapping[str, paramschema.Schema | None] | None = None,
) -> dict[str, str]:
    """Memoize `loaded`; `modules` and `schemas` are the last load's when nothing was imported.
    Returns the files it was built from with their content hashes (`_inputs`) when the memo was
    written, else nothing: a run answered from stats (`pivot.api.noop`) never skips writing it."""
    memo = {
        "environment": _environment(),
        "inputs": _config_inputs(proj),
        "modules": dict(modules) if modules is not None else _watched_modules(str(proj.root), loaded),
        "stages": dict(loaded.stages),
        "fingerprints": dict(loaded.fingerprints),
        "schemas": dict(schemas) if schemas is not None else _schemas(loaded),
        "params_data": yamldoc.load(proj.params_file, project.PARAMS_FILE).data,  # checked by the load
    }
    try:
        data = pickle.dumps(memo, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # e.g. a user's loader holding something unpicklable: no memo, no harm
        return {}
    if not proj.dot_dir.is_dir():  # never create .pivot/ as a side effect of reading a project
        return {}
    try:
        proj.tmp_dir.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(_path(proj), data, durable=False)  # lost in a power cut: the next run loads in full
    except OSError:
        return {}  # a memo only saves time: a read-only or damaged .pivot/tmp must not stop anyone
    return _inputs(memo)


def _own_values(data: Any, stage: str) -> list[Any]:
    """What params.yaml says for `stage`: its base name's section and its own."""
    sections = data if isinstance(data, dict) else {}
    return [sections.get(key) for key in dict.fromkeys((base_name(stage), stage))]


def _schemas(loaded: discovery.LoadedPipeline) -> dict[str, paramschema.Schema | None]:
    """Each stage's params class as data, read from the module loading just imported."""
    found: dict[str, paramschema.Schema | None] = {}
    for name, stage in loaded.stages.items():
        model: Any = None
        if stage.params_class is not None:
            module, _, qualname = stage.params_class.partition(":")
            model = sys.modules.get(module)
            for part in qualname.split("."):
                model = getattr(model, part, None)
        found[name] = paramschema.describe(model) if isinstance(model, type) else None
    return found


def _config_inputs(proj: project.Project) -> dict[str, str]:
    found = {}
    for path in (proj.pipeline_file, proj.params_file, proj.root / "pipeline.py"):
        try:
            found[path.name] = file_digest(str(path))
        except FileNotFoundError:
            found[path.name] = ""
        except OSError:  # a directory, no permission: not the same as absent (loading says why)
            found[path.name] = "unreadable"
    return found


def _watched_modules(root: str, loaded: discovery.LoadedPipeline) -> dict[str, str]:
    """What loading imported, and every file any fingerprint went through. A fingerprint reused
    from the last load (its files unchanged) never imported what its stage imports lazily, inside
    the function: without its files here, an edit of that helper would go unseen by the memo."""
    watched = _imported_modules(root)
    for fp in loaded.fingerprints.values():
        watched.update(fp.sources)
    return watched


def _imported_modules(root: str) -> dict[str, str]:
    """Every project module in this process: what loading imported (prepare_imports forgot the rest)."""
    digests = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if name in ("__main__", "__mp_main__"):  # the running program, not the user's code
            continue
        if path and is_project_module(path, root) and os.path.isfile(path):
            digests[os.path.relpath(path, root)] = file_digest(path)
    return digests


def _environment() -> tuple[Any, ...]:
    """What else shapes a loaded pipeline: the Python and pivot in use (down to pivot's own files,
    so an upgrade or a development checkout never reads a memo written by other code)."""
    stamps = tuple(
        (rel, os.stat(os.path.join(_PIVOT_DIR, rel)).st_mtime_ns)
        for package in _SHAPING
        for rel in sorted(os.path.join(package, n) for n in os.listdir(os.path.join(_PIVOT_DIR, package)))
        if rel.endswith(".py")
    )
    return (_VERSION, sys.version, pivot.__version__, _PIVOT_DIR, stamps, fingerprint.__name__)
