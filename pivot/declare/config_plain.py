"""The common shapes of pivot.yaml and .pivot/config.yaml recognised as valid without pydantic.

In a fresh clone nothing has been validated yet, and importing pydantic for `config_schema`
costs a fifth of a second that `pivot pull` should not pay. `valid` accepts only content that the
schema (`config_schema`) surely accepts: exact types, known keys, no matrix. Anything else is
left to `config_schema`, whose messages are the ones users see; so this check may say "not sure"
but never "valid" for content the schema rejects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_SECTIONS = ("deps", "outs", "metrics", "plots")
# `cache.type`'s link types (pivot.storage.links.LinkType, which sits above this module), here so
# that both this check and the schema read them without importing the storage layer.
CACHE_TYPES = ("reflink", "copy", "hardlink", "symlink")


def valid(model: str, data: Any) -> bool:
    check = _CHECKS.get(model)
    return check is not None and isinstance(data, dict) and check(data)


def _pipeline(data: dict[Any, Any]) -> bool:
    stages = data.get("stages")
    if set(data) - {"stages"} or not (stages is None or isinstance(stages, dict)):
        return False
    return all(isinstance(name, str) and _stage(entry) for name, entry in (stages or {}).items())


def _stage(entry: Any) -> bool:
    if isinstance(entry, dict) and "cmd" in entry:
        return _shell_stage(entry)
    if not isinstance(entry, dict) or set(entry) - {"python", "params", *_SECTIONS}:
        return False  # a matrix, a name template, or an unknown key: the schema decides
    if not isinstance(entry.get("python"), str):
        return False
    sections_ok = all(_str_map(entry.get(key)) for key in _SECTIONS)
    params = entry.get("params")
    return sections_ok and (params is None or (isinstance(params, dict) and all(isinstance(k, str) for k in params)))


def _shell_stage(entry: dict[Any, Any]) -> bool:
    """A shell stage of plain paths and keys (`{path: {cache: false}}` entries: the schema decides)."""
    if set(entry) - {"cmd", "wdir", "params", *_SECTIONS}:
        return False
    cmd = entry["cmd"]
    cmd_ok = isinstance(cmd, str) or (isinstance(cmd, list) and all(isinstance(c, str) for c in cmd))
    lists_ok = all(_str_list(entry.get(key)) for key in (*_SECTIONS, "params"))
    return cmd_ok and lists_ok and _opt_str(entry.get("wdir"))


def _str_list(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(item, str) for item in value))


def _str_map(value: Any) -> bool:
    return value is None or (isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()))


def _project(data: dict[Any, Any]) -> bool:
    sections: dict[str, Callable[[Any], bool]] = {
        "cache": lambda v: _fields(v, {"type": cache_type_ok, "dir": _opt_str}),
        "remotes": lambda v: isinstance(v, dict) and all(isinstance(k, str) and _remote(r) for k, r in v.items()),
        "default_remote": _opt_str,
        "executor": lambda v: _fields(v, _EXECUTOR),
        "run_cache": lambda v: _fields(v, {"key": _opt_str, "trust_unsigned_remote": _is_bool}),
        "gc": lambda v: _fields(v, {"grace_period": _opt_str}),
        "runs": lambda v: _fields(v, {"keep": lambda n: type(n) is int and n >= 1}),
    }
    return not set(data) - set(sections) and all(sections[key](value) for key, value in data.items())


def cache_type_ok(value: Any) -> bool:
    """`reflink,copy` or `[reflink, copy]`: known link types, at least one."""
    if value is None:
        return True
    names: list[Any] = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    return bool(names) and all(isinstance(n, str) and n.strip().lower() in CACHE_TYPES for n in names)


def _remote(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and all(isinstance(k, str) for k in value)
        and _is_bool(value.get("pack", True))
        and _opt_str(value.get("url"))
    )


def _fields(value: Any, checks: dict[str, Callable[[Any], bool]]) -> bool:
    return isinstance(value, dict) and not set(value) - set(checks) and all(checks[k](v) for k, v in value.items())


def _opt_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


_EXECUTOR: dict[str, Callable[[Any], bool]] = {
    "kind": lambda v: v in ("loky", "dask") and isinstance(v, str),
    "address": _opt_str,
    "data": lambda v: v in ("shared", "remote") and isinstance(v, str),
    "remote": _opt_str,
    "resources": lambda v: isinstance(v, dict) and all(isinstance(k, str) and k.strip() and type(n) is int and n >= 0 for k, n in v.items()),
}
_CHECKS: dict[str, Callable[[dict[Any, Any]], bool]] = {"PipelineConfig": _pipeline, "ProjectConfig": _project}
