"""A plugin's settings: a dataclass whose every field has a default and a
description, checked and documented the way the Rust SDK does it with serde and
schemars.

    @dataclass
    class Settings:
        minimum_age: int = setting(18, "The youngest age accepted.")

``schema(Settings)`` is the JSON Schema the host shows administrators;
``parse(Settings, text)`` reads the council's settings, naming a bad one.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import typing
from typing import Any, Dict, Type, TypeVar

S = TypeVar("S")

U32_MAX = 2**32 - 1


def setting(default: Any, description: str) -> Any:
    """A settings field: its default (lists are copied per instance) and what it means."""
    if isinstance(default, list):
        return dataclasses.field(
            default_factory=lambda: list(default), metadata={"description": description}
        )
    return dataclasses.field(default=default, metadata={"description": description})


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    raise TypeError(f"setting `{f.name}` has no default; every setting needs one")


def _to_json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


def _type_schema(tp: Any) -> Dict[str, Any]:
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer", "format": "uint32", "minimum": 0}
    if tp is str:
        return {"type": "string"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"type": "string", "enum": [m.value for m in tp]}
    if typing.get_origin(tp) in (list, typing.List):
        (item,) = typing.get_args(tp)
        return {"type": "array", "items": _type_schema(item)}
    raise TypeError(f"settings of type {tp!r} are not supported: use bool, int, str, an Enum or a list")


def schema(cls: Type[Any]) -> Dict[str, Any]:
    """The JSON Schema of a settings dataclass: every field described, with its default."""
    hints = typing.get_type_hints(cls)
    properties = {}
    for f in dataclasses.fields(cls):
        prop = dict(_type_schema(hints[f.name]))
        prop["description"] = f.metadata.get("description", "")
        prop["default"] = _to_json(_default(f))
        properties[f.name] = prop
    out: Dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": cls.__name__,
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("):
        out["description"] = " ".join(cls.__doc__.split())
    return out


def _convert(name: str, tp: Any, value: Any) -> Any:
    def bad(expected: str) -> ValueError:
        return ValueError(f"invalid setting `{name}`: expected {expected}, got {json.dumps(value)}")

    if tp is bool:
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= U32_MAX:
            raise bad(f"a whole number from 0 to {U32_MAX}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise bad("a string")
        return value
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        for member in tp:
            if member.value == value:
                return member
        raise bad("one of " + ", ".join(f"`{m.value}`" for m in tp))
    if typing.get_origin(tp) in (list, typing.List):
        if not isinstance(value, list):
            raise bad("a list")
        (item,) = typing.get_args(tp)
        return [_convert(name, item, v) for v in value]
    raise bad(repr(tp))


def parse(cls: Type[S], text: str) -> S:
    """The council's settings: no settings (empty, ``null`` or ``{}``) means the
    defaults; a bad value raises ``ValueError`` naming its setting."""
    if not text.strip():
        return cls()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"the settings are not valid JSON: {e}") from None
    if value is None:
        return cls()
    if not isinstance(value, dict):
        kind = {list: "a list", str: "a string", bool: "a boolean"}.get(type(value), "a number")
        raise ValueError(f"the settings must be a JSON object of named settings, not {kind}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    given = {}
    for name, v in value.items():
        if name not in known:
            raise ValueError(
                f"invalid setting `{name}`: unknown field `{name}`, expected one of "
                + ", ".join(f"`{k}`" for k in sorted(known))
            )
        given[name] = _convert(name, hints[name], v)
    return cls(**given)
