"""Every class of pivot's that pivot.base.fastclass makes is the class dataclasses itself would
make: the same fields, methods (their code, signatures, names and annotations), slots and
behaviour. Two fresh interpreters import all of pivot, one with fastclass and one without, and
describe each dataclass they find; the descriptions must be equal."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

DESCRIBE = r'''
import dataclasses, importlib, inspect, json, pickle, pkgutil, re, sys
original = dataclasses._process_class
import pivot
from pivot.base import fastclass
made = []
if sys.argv[1] == "stdlib":
    dataclasses._process_class = original
else:
    process = fastclass.process
    def counted(dc, cls):
        result = process(dc, cls)
        if result is not None:
            made.append(result.__qualname__)
        return result
    fastclass.process = counted
for info in pkgutil.walk_packages(pivot.__path__, "pivot."):
    try:
        importlib.import_module(info.name)
    except Exception:
        pass

def value(obj):
    if obj is dataclasses.MISSING:
        return "MISSING"
    return getattr(obj, "__qualname__", None) or re.sub(" at 0x[0-9a-f]+", "", repr(obj))

def method(fn):
    if fn is None:
        return None
    code = getattr(fn, "__wrapped__", fn).__code__
    return [fn.__name__, fn.__qualname__, str(inspect.signature(fn)), repr(getattr(fn, "__annotations__", None)),
            [value(d) for d in (fn.__defaults__ or ())], code.co_code.hex(), repr(code.co_consts), code.co_names,
            code.co_varnames, code.co_freevars, code.co_qualname]

def behaviour(cls):
    sig = inspect.signature(cls)
    args = {n: f"<{n}>" for n, p in sig.parameters.items() if p.default is inspect.Parameter.empty}
    one, two = cls(**args), cls(**args)
    first = next(iter(args), "x")
    probes = (lambda: repr(one), lambda: one == two, lambda: one != two, lambda: one == 1, lambda: hash(one) == hash(two),
              lambda: pickle.loads(pickle.dumps(one)) == one, lambda: setattr(one, first, 1), lambda: delattr(one, first),
              lambda: setattr(one, "other", 1), lambda: dataclasses.replace(one) == one, lambda: one.__match_args__)
    out = []
    for probe in probes:
        try:
            out.append(repr(probe()))
        except Exception as exc:
            out.append(f"{type(exc).__name__}: {exc}")
    return out

found = {}
for name, module in sorted(sys.modules.items()):
    if not name.startswith("pivot."):
        continue
    for attr, cls in sorted(vars(module).items()):
        if not isinstance(cls, type) or cls.__module__ != name or not dataclasses.is_dataclass(cls):
            continue
        fields = [[f.name, f.type, value(f.default), value(f.default_factory), f.init, f.repr, f.hash, f.compare,
                   repr(f.kw_only), str(f._field_type), dict(f.metadata)] for f in dataclasses.fields(cls)]
        methods = [method(cls.__dict__[m]) for m in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__") if m in cls.__dict__]
        entry = {"fields": fields, "params": repr(cls.__dataclass_params__), "dict": sorted(cls.__dict__),
                 "slots": cls.__dict__.get("__slots__"), "match": cls.__dict__.get("__match_args__"), "doc": cls.__doc__,
                 "methods": methods, "getstate": value(cls.__dict__.get("__getstate__")), "mro": [c.__qualname__ for c in cls.__mro__]}
        try:
            entry["behaviour"] = behaviour(cls)
        except Exception as exc:
            entry["behaviour"] = f"{type(exc).__name__}: {exc}"
        found[f"{name}.{cls.__qualname__}"] = entry
print(re.sub(" at 0x[0-9a-f]+", "", json.dumps({"classes": found, "made": made}, default=repr)))
'''


def _describe(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", DESCRIBE, mode], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="fastclass writes Python 3.11's code and is installed there only")
def test_fast_classes_are_the_classes_dataclasses_makes() -> None:
    fast, stdlib = _describe("fast"), _describe("stdlib")
    assert len(fast["made"]) > 100  # most of pivot's classes took the fast way
    assert stdlib["made"] == []
    assert fast["classes"].keys() == stdlib["classes"].keys()
    for name, entry in stdlib["classes"].items():
        assert fast["classes"][name] == entry, name
