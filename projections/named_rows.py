"""Rows read by name: each SELECT's column list is declared once, and its rows come back as a
named tuple of those columns (``row.value_source_id``, never ``row[17]``).

A tuple, not the driver's row type: both stores then give the same rows (sqlite3.Row and
psycopg's dict rows differ), the sealed columns are opened by position before the row is
named (sealing.py), and a row still unpacks and sorts as the tuple it is.
"""

from __future__ import annotations

import dataclasses
import re
from collections import namedtuple
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

#: A column of a SELECT list: ``alias.name``, ``name`` or ``expression AS name``.
_NAMED = re.compile(r"(?:.*\s+AS\s+|^(?:[a-z_]+\.)?)([a-z_][a-z0-9_]*)$", re.IGNORECASE | re.DOTALL)


def shape(name: str, columns: str) -> type[Any]:
    """A named tuple whose fields are the columns of the SELECT list ``columns`` (kept as ``columns``)."""
    fields = []
    for column in _split(columns):
        match = _NAMED.match(column.strip())
        if match is None:
            raise ValueError(f"column {column.strip()!r} of {name} needs a name (expression AS name)")
        fields.append(match.group(1))
    made = namedtuple(name, fields)  # type: ignore[misc]
    made.columns = " ".join(columns.split())  # type: ignore[attr-defined]
    return made


def _split(columns: str) -> list[str]:
    """The columns of a SELECT list: split at the commas outside parentheses."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(columns):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(columns[start:i])
            start = i + 1
    out.append(columns[start:])
    return out


def columns_of(cls: type[Any], alias: str, **expressions: str) -> str:
    """The SELECT list of a row type's fields, in its order: ``alias.field``, or ``expression AS field``
    for the fields named in ``expressions``; so ``cls(*row)`` fills each field from its own column."""
    names = getattr(cls, "_fields", None) or [f.name for f in dataclasses.fields(cls)]
    unknown = set(expressions) - set(names)
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    return ", ".join(f"{expressions[n]} AS {n}" if n in expressions else f"{alias}.{n}" for n in names)


def mutable_shape(name: str, columns: Sequence[str]) -> type[list[Any]]:
    """A list of these columns whose items are also read and set by name: a row that a batch
    changes in place (closing a version) before it is written as it is (a plain sequence)."""

    def column(i: int) -> property:
        def set_item(row: list[Any], value: Any) -> None:
            row[i] = value
        return property(itemgetter(i), set_item)

    namespace: dict[str, Any] = {"__slots__": (), "columns": tuple(columns)}
    namespace.update({c: column(i) for i, c in enumerate(columns)})
    return type(name, (list,), namespace)
