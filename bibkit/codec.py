"""Records as JSON-ready values and back, derived from the dataclasses' own fields and types.

A dataclass becomes the list of its field values in declaration order; tuples and lists become
lists, mappings stay objects, ``str``/``int``/``bool``/``None`` stay themselves. Decoding is
built once per class from the type hints and checks every value's type on the way back, so a
value that is not exactly what the class declares raises ``ValueError`` (never a half-built
record). A field added to ``Record`` (or to a value type) needs no edit here.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

Decoder = Callable[[Any], Any]
# Classes whose encoder or decoder is being generated: a field of the class's own type (a date
# range's end is a Date) calls it through a look-up at run time, not a recursion now.
_building: set[tuple[str, type]] = set()


def _nested(kind: str, cls: type) -> Callable[[Any], Any]:
    made = encoder if kind == "encode" else decoder
    if (kind, cls) in _building:
        return lambda v: made(cls)(v)
    return made(cls)


def _generate(kind: str, cls: type, make: Callable[[], Callable[[Any], Any]]) -> Callable[[Any], Any]:
    _building.add((kind, cls))
    try:
        return make()
    finally:
        _building.discard((kind, cls))


def encode(value: Any) -> Any:
    """A value of the model as lists, objects, strings, numbers, booleans and None."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if dataclasses.is_dataclass(value):
        return encoder(type(value))(value)  # type: ignore[arg-type]
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot encode {type(value).__name__}")


@cache
def encoder(cls: type) -> Callable[[Any], list[Any]]:
    """The function that turns a ``cls`` into the list of its encoded fields, generated from the
    type hints like ``decoder``."""
    def make() -> Callable[[Any], list[Any]]:
        namespace: dict[str, Any] = {"_encode": encode}
        hints = typing.get_type_hints(cls)
        names = iter(f"_x{i}" for i in range(10_000))
        parts = [_encode_expr(hints[f.name], f"v.{f.name}", namespace, names) for f in _fields(cls)]
        exec(f"def encode(v):\n    return [{', '.join(parts)}]\n", namespace)
        return namespace["encode"]  # type: ignore[no-any-return]

    return _generate("encode", cls, make)


def _encode_expr(hint: Any, var: str, namespace: dict[str, Any], names: typing.Iterator[str]) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in (str, int, bool, float, type(None)):
        return var
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        name = f"_t{len(namespace)}"
        namespace[name] = _nested("encode", hint)
        return f"{name}({var})"
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            inner = _encode_expr(rest[0], var, namespace, names)
            return var if inner == var else f"(None if {var} is None else {inner})"
    if origin in (tuple, list) and (len(args) == 1 or (len(args) == 2 and args[1] is Ellipsis)):
        x = next(names)
        return f"[{_encode_expr(args[0], x, namespace, names)} for {x} in {var}]"
    if origin in (dict, Mapping) and args[0] is str and args[1] is str:
        return f"dict({var})"
    return f"_encode({var})"


def decode(cls: type, data: Any) -> Any:
    """``data`` (from ``encode``) back as a ``cls``; ValueError when it is not exactly that."""
    try:
        return decoder(cls)(data)
    except (TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"not a {cls.__name__}: {exc}") from None


@cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.init)


def _bad(what: str) -> Any:
    raise ValueError(f"expected {what}")


def _list(v: Any) -> list[Any]:
    return v if type(v) is list else _bad("a list")


def _dict(v: Any) -> dict[Any, Any]:
    return v if type(v) is dict else _bad("an object")


@cache
def decoder(cls: type) -> Decoder:
    """The function that turns ``encode``'s data back into a ``cls``.

    It is generated as Python source from the class's fields and type hints (as ``dataclasses``
    generates ``__init__``): one function per class, with every check inline, costs a fraction
    of a call per value. Only the type hints go into the source, never the data.
    """
    def make() -> Decoder:
        namespace: dict[str, Any] = {"_bad": _bad, "_list": _list, "_dict": _dict, "_cls": cls}
        hints = typing.get_type_hints(cls)
        fields = _fields(cls)
        names = iter(f"_x{i}" for i in range(10_000))
        values = [_expr(hints[f.name], f"v[{i}]", namespace, names) for i, f in enumerate(fields)]
        call = ", ".join(f"{f.name}={v}" for f, v in zip(fields, values, strict=True)) if \
            any(f.kw_only for f in fields) else ", ".join(values)
        source = (f"def decode(v):\n"
                  f"    if type(v) is not list or len(v) != {len(fields)}:\n"
                  f"        _bad('the {len(fields)} fields of {cls.__name__}')\n"
                  f"    return _cls({call})\n")
        exec(source, namespace)
        return namespace["decode"]  # type: ignore[no-any-return]

    return _generate("decode", cls, make)


def _expr(hint: Any, var: str, namespace: dict[str, Any], names: typing.Iterator[str]) -> str:
    """A Python expression that is ``var`` decoded as ``hint``, or raises ValueError."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in (str, int, bool, float):
        return f"({var} if type({var}) is {hint.__name__} else _bad({hint.__name__!r}))"
    if hint is type(None):
        return f"({var} if {var} is None else _bad('null'))"
    if hint is Any:
        return var
    if (isinstance(hint, type) and issubclass(hint, enum.Enum)) or \
            (isinstance(hint, type) and dataclasses.is_dataclass(hint)):
        name = f"_t{len(namespace)}"
        namespace[name] = hint if issubclass(hint, enum.Enum) else _nested("decode", hint)
        return f"{name}({var})"
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return f"(None if {var} is None else {_expr(rest[0], var, namespace, names)})"
        raise TypeError(f"no decoder for the union {hint!r}")
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        x = next(names)
        return f"tuple([{_expr(args[0], x, namespace, names)} for {x} in _list({var})])"
    if origin is list:
        x = next(names)
        return f"[{_expr(args[0], x, namespace, names)} for {x} in _list({var})]"
    if origin in (dict, Mapping):
        k, x = next(names), next(names)
        return (f"{{{_expr(args[0], k, namespace, names)}: {_expr(args[1], x, namespace, names)} "
                f"for {k}, {x} in _dict({var}).items()}}")
    raise TypeError(f"no decoder for {hint!r}")
