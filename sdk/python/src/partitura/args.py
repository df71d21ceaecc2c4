"""Execution and instance arguments: plain dicts to and from google.protobuf.Struct."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from google.protobuf import struct_pb2

_SAFE_INTEGER = 2**53
"""Struct numbers are doubles: whole numbers up to here are exact, so they come back as int."""


def to_struct(values: Optional[Mapping[str, Any]]) -> Optional[struct_pb2.Struct]:
    """A Struct holding `values` (JSON-like: str, int, float, bool, None, lists, dicts); None stays None."""
    if values is None:
        return None
    struct = struct_pb2.Struct()
    struct.update(dict(values))
    return struct


def from_struct(struct: Optional[struct_pb2.Struct]) -> Dict[str, Any]:
    """A dict of a Struct; whole numbers come back as int (Struct stores every number as a double)."""
    if struct is None:
        return {}
    return {key: _plain(value) for key, value in struct.fields.items()}


def _plain(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() and abs(number) <= _SAFE_INTEGER else number
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return from_struct(value.struct_value)
    if kind == "list_value":
        return [_plain(item) for item in value.list_value.values]
    return None
