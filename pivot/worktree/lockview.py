"""The pipeline as the committed lock files describe it, read without importing the user's code.

`pull`, `fetch`, `checkout`, `push`, `status --remote`, `gc`, `list`, `params show` and
`metrics show` need stage names, output paths and kinds, dep paths and resolved params: pivot.yaml
and the locks hold all of them. They are the truth only while nothing that shapes the pipeline
changed since the locks were committed, as DVC takes dvc.lock: in a fresh clone of a project
whose pivot.yaml, params.yaml, Python files and locks git reports unmodified (and every stage has
a lock). Otherwise, or for a pipeline.py project (its stage names come from running it), there is
no view and the caller imports the code as `pivot run` does.
"""

from __future__ import annotations

from pivot import loaders
from pivot.base import git, project
from pivot.declare import config, discovery
from pivot.declare.stage import DepSpec, OutSpec, Returns, Stage
from pivot.storage import lock as lock_mod

# What shapes a loaded pipeline besides the locks themselves.
_SHAPING = (project.PIPELINE_FILE, project.PARAMS_FILE, project.PYTHON_PIPELINE_FILE, "*.py", ".pivot/stages")


def pipeline(proj: project.Project) -> discovery.LoadedPipeline | None:
    """The stages from pivot.yaml and their locks, without fingerprints; None when the locks may
    not describe the declared pipeline (see the module docstring)."""
    if not proj.pipeline_file.is_file():
        return None
    declared = config.load_pipeline(proj)  # bad pivot.yaml: the same error as a full load
    if not git.unchanged(proj.root, _SHAPING):
        return None
    stages: dict[str, Stage] = {}
    for name, entry in declared.stages.items():
        lock = lock_mod.read(proj.lock_file(name))
        if lock is None or not lock.kinds_recorded:
            return None  # a stage never run (or locked by an old pivot): only its code says what it makes
        stages[name] = _stage(name, entry, lock, declared.doc.where(entry.loc("python")))
    return discovery.LoadedPipeline(proj, stages, {})


def _stage(name: str, entry: config.StageConfig, lock: lock_mod.StageLock, where: str) -> Stage:
    # Loaders are only known from the code; nothing that reads a lock view loads a value through one.
    deps = tuple(DepSpec(path, path, loaders.PathOnly()) for path in lock.deps)
    outs = tuple(OutSpec(path, path, loaders.PathOnly(), out.kind, out.cache, temp=out.temp) for path, out in lock.outputs.items())
    return Stage(
        name, entry.python, deps, outs, Returns.NOTHING, None, dict(lock.params), where, cmd=lock.cmd,
        mutex=entry.mutex, threads=entry.threads, retries=entry.retries, resources=entry.resources, always_changed=entry.always_changed, frozen=entry.frozen, tags=entry.tags,
    )
