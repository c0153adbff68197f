"""pivot's value classes made in one step instead of dataclasses' dozen, on Python 3.11.

Nearly every class of pivot's is `@dataclasses.dataclass(frozen=True, slots=True)`, and a run
makes ~90 of them before its first stage starts: 17 ms of its ~110, about 190 us a class. Most of
that is dataclasses assembling the methods one at a time: six texts built, each compiled (or
found in pivot.base.codecache), run and called, and three lookups per field to rule out
ClassVar, InitVar and KW_ONLY. `process` makes the same class, with the same methods, fields and
slots, from one text per class (kept in the code cache like the others).

It takes only the plain case and hands everything else to dataclasses unchanged: a class of
pivot's own modules with exactly those two options, a docstring, no dataclass base, no
`__post_init__`, none of the methods written by hand, and fields that are plain annotations
(not keyword-only, none left out of `__init__`). tests/test_fastclass.py holds every such class of
pivot's to what dataclasses itself makes of it. Other Pythons generate other code: there it is
not installed (pivot.base.codecache).
"""

from __future__ import annotations

import abc
import sys
import types
from typing import Any

# init, repr, eq, order, unsafe_hash, frozen, match_args, kw_only, slots, weakref_slot
_PLAIN = (True, True, True, False, False, True, True, False, True, False)
_WRITTEN = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__", "__match_args__", "__slots__", "__post_init__")
_SPECIAL = ("ClassVar", "InitVar", "KW_ONLY")  # annotations dataclasses sets apart


def wrap(dc: types.ModuleType) -> None:
    """Have dataclasses (`dc`, Python 3.11's) make pivot's plain classes through `process`."""
    original = dc._process_class
    if getattr(original, "__module__", None) == __name__:
        return

    def _process_class(cls: type, *options: Any) -> type:
        made = process(dc, cls) if options == _PLAIN else None
        return made if made is not None else original(cls, *options)

    _process_class.__module__ = __name__
    dc._process_class = _process_class  # type: ignore[attr-defined]


def process(dc: Any, cls: type) -> type | None:
    """`cls` made a frozen dataclass with slots as dataclasses makes it; None, with `cls`
    untouched, when it is not the plain case."""
    module = sys.modules.get(cls.__module__)
    found = _plain_fields(dc, cls, module)
    if found is None or module is None:
        return None
    fields = {}
    for name, kind, f in found:  # as dataclasses' _get_field leaves each
        f.name, f.type, f._field_type = name, kind, dc._FIELD
        if f.kw_only is dc.MISSING:
            f.kw_only = False
        fields[name] = f
    cls.__dataclass_params__ = dc._DataclassParams(True, True, True, False, False, True)  # type: ignore[attr-defined]
    for f in fields.values():  # the class attribute is the default, never the Field
        if isinstance(getattr(cls, f.name, None), dc.Field):
            if f.default is dc.MISSING:
                delattr(cls, f.name)
            else:
                setattr(cls, f.name, f.default)
    cls.__dataclass_fields__ = fields  # type: ignore[attr-defined]
    text, args = _factory(dc, list(fields.values()))
    namespace: dict[str, Any] = {}
    getattr(dc, "exec", exec)(text, module.__dict__, namespace)  # pivot.base.codecache's: compiled once, kept
    init, rep, eq, set_, del_, hash_ = namespace["__create_fn__"](cls=cls, FrozenInstanceError=dc.FrozenInstanceError, **args)
    for fn in (init, dc._recursive_repr(rep), eq, set_, del_, hash_):
        fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
        setattr(cls, fn.__name__, fn)
    setattr(cls, "__match_args__", tuple(fields))  # noqa: B010 (a class attribute type checkers hold fixed)
    made: type = dc._add_slots(cls, True, False)
    abc.update_abstractmethods(made)
    return made


def _plain_fields(dc: Any, cls: type, module: types.ModuleType | None) -> list[tuple[str, str, Any]] | None:
    """(name, annotation, Field) for each field, if `cls` is the plain case; else None."""
    if module is None or not cls.__module__.startswith("pivot.") or not cls.__doc__:
        return None
    own = cls.__dict__
    if any(name in own for name in _WRITTEN) or hasattr(cls, "__post_init__"):
        return None
    if any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:-1]):
        return None
    annotations = own.get("__annotations__", {})
    if any(not isinstance(kind, str) or any(word in kind for word in _SPECIAL) for kind in annotations.values()):
        return None
    if any(isinstance(value, dc.Field) and name not in annotations for name, value in own.items()):
        return None
    if "self" in annotations or any(_names_special(dc, module, kind) for kind in annotations.values()):
        return None
    found = []
    defaulted = False
    for name, kind in annotations.items():
        default = getattr(cls, name, dc.MISSING)
        if isinstance(default, dc.Field):
            f = default
            if not f.init or f.kw_only is not dc.MISSING:
                return None
        else:
            if isinstance(default, types.MemberDescriptorType):
                default = dc.MISSING
            f = dc.field(default=default)
        if f.default is not dc.MISSING and f.default.__class__.__hash__ is None:
            return None  # a mutable default: dataclasses' own error says so
        has_default = f.default is not dc.MISSING or f.default_factory is not dc.MISSING
        if defaulted and not has_default:  # a field without a default after one with: its error
            return None
        defaulted = defaulted or has_default
        found.append((name, kind, f))
    return found


def _names_special(dc: Any, module: types.ModuleType, annotation: str) -> bool:
    """Whether dataclasses would find the annotation's first name bound in the module to
    ClassVar, InitVar or KW_ONLY (an alias: the names themselves are ruled out before)."""
    match = dc._MODULE_IDENTIFIER_RE.match(annotation)
    if match is None or match.group(1):  # `typing.X`: X is looked up in typing, ruled out by name
        return False
    value: Any = module.__dict__.get(match.group(2))
    if value is dc.KW_ONLY or value is dc.InitVar or type(value) is dc.InitVar:
        return True
    typing = sys.modules.get("typing")
    return typing is not None and (value is typing.ClassVar or (type(value) is typing._GenericAlias and value.__origin__ is typing.ClassVar))


def _factory(dc: Any, fields: list[Any]) -> tuple[str, dict[str, Any]]:
    """The text of a function that makes the six methods, as dataclasses writes each of them,
    and the values it takes."""
    args: dict[str, Any] = {f"_type_{f.name}": f.type for f in fields}
    args.update(MISSING=dc.MISSING, _HAS_DEFAULT_FACTORY=dc._HAS_DEFAULT_FACTORY, __dataclass_builtins_object__=object, _return_type=None)
    params, body = ["self"], []
    for f in fields:
        if f.default_factory is not dc.MISSING:
            args[f"_dflt_{f.name}"] = f.default_factory
            params.append(f"{f.name}:_type_{f.name}=_HAS_DEFAULT_FACTORY")
            value = f"_dflt_{f.name}() if {f.name} is _HAS_DEFAULT_FACTORY else {f.name}"
        elif f.default is not dc.MISSING:
            args[f"_dflt_{f.name}"] = f.default
            params.append(f"{f.name}:_type_{f.name}=_dflt_{f.name}")
            value = f.name
        else:
            params.append(f"{f.name}:_type_{f.name}")
            value = f.name
        body.append(f"  __dataclass_builtins_object__.__setattr__(self,{f.name!r},{value})")
    shown = ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in fields if f.repr)
    names = "(" + ",".join(repr(f.name) for f in fields) + ",)" if fields else "()"
    compared = [f for f in fields if f.compare]
    mine, theirs = dc._tuple_str("self", compared), dc._tuple_str("other", compared)
    hashed = dc._tuple_str("self", [f for f in fields if (f.compare if f.hash is None else f.hash)])
    text = "\n".join([
        f"def __create_fn__(cls, FrozenInstanceError, {', '.join(args)}):",
        f" def __init__({','.join(params)})->_return_type:",
        *(body or ["  pass"]),
        " def __repr__(self):",
        f'  return self.__class__.__qualname__ + f"({shown})"',
        " def __eq__(self,other):",
        "  if other.__class__ is self.__class__:",
        f"   return {mine}=={theirs}",
        "  return NotImplemented",
        " def __setattr__(self,name,value):",
        f"  if type(self) is cls or name in {names}:",
        '   raise FrozenInstanceError(f"cannot assign to field {name!r}")',
        "  super(cls, self).__setattr__(name, value)",
        " def __delattr__(self,name):",
        f"  if type(self) is cls or name in {names}:",
        '   raise FrozenInstanceError(f"cannot delete field {name!r}")',
        "  super(cls, self).__delattr__(name)",
        " def __hash__(self):",
        f"  return hash({hashed})",
        " return __init__, __repr__, __eq__, __setattr__, __delattr__, __hash__",
    ])
    return text, args
