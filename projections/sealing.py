"""The read side's share of encryption at rest: columns that hold a source's words, sealed.

With ``CIPHER_KEY`` set, the library encrypts the events; the views and the audit log,
which live in the same store, would otherwise hold the same words in the clear. A column
declared ``sealed`` (projections/sealed_columns.py: the views' beside their tables in
projections/views_schema.py, and the audit log's) holds, with the key, AES-SIV of its text (RFC 5297, ``cryptography``'s ``AESSIV``) under a
key derived from CIPHER_KEY with HKDF, the column's name as associated data; without the
key, the text itself.

AES-SIV is deterministic: equal text in one column gives equal bytes. That is what lets the
views stay what they were: a rebuild writes the same rows, so live and rebuilt views (and
SQLite and PostgreSQL, given one key) still have one digest; and equality still works in
SQL (``place_key = ?``, ``IN (...)``: the parameter is sealed the same way). What it gives
away is that equality: someone reading the tables sees which rows of one column say the
same thing (two incidents at one place, a quote repeated), never what is said. Nothing
sorts, ranges or matches a pattern on a sealed column; the plan below refuses ``<``, ``>``,
``LIKE`` and the like.

The Db applies this to every statement (``SealPlan``, given the sealed columns as data), so
nothing above it ever sees a sealed value: parameters bound to a sealed column are sealed, result columns named like a sealed
column of a table the statement names are opened. So one statement must not read a plain
column and a sealed one of the same name from two tables (``tally_versions.value``, a group,
beside ``figures.value``, a count): none does.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"incident-ledger/sealed-columns/v1"
_TABLE_REF = re.compile(r"\{([a-z_]+)\}")
_INSERT = re.compile(r"^\s*INSERT INTO \{[a-z_]+\} \(([a-z0-9_, ]+)\) VALUES \(")
#: ``column <op> ?`` and ``column IN (?, ?, ...?``: the column a placeholder is bound to.
_COMPARED = re.compile(r"([a-z_][a-z0-9_]*)\s*(=|<>|!=|<=|>=|<|>)\s*$")
_IN_LIST = re.compile(r"([a-z_][a-z0-9_]*)\s+IN\s*\((?:\s*\?\s*,)*\s*$")
#: ``column LIKE ?`` (or ``lower(column) LIKE ?``): a pattern, which ciphertext cannot answer.
_PATTERN = re.compile(r"([a-z_][a-z0-9_]*)\)?\s+LIKE\s*$", re.IGNORECASE)


#: Sealed and opened values kept in memory, per direction, before the memo starts afresh.
_MEMO = 10_000


class Sealer:
    """AES-SIV of a column's text under a key derived from CIPHER_KEY.

    The same few texts come back again and again (a figure's value in its current row, each
    of its versions and its claim; a source's name on every answer that names it), and
    AES-SIV is deterministic: each (column, text) is sealed, and opened, once while it stays
    in the memo.
    """

    def __init__(self, cipher_key: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=_INFO).derive(base64.b64decode(cipher_key))
        self._siv = AESSIV(key)
        self._sealed: dict[tuple[str, str], bytes] = {}
        self._opened: dict[tuple[str, bytes], str] = {}

    def seal(self, column: str, text: str | None) -> bytes | None:
        if text is None:
            return None
        found = self._sealed.get((column, text))
        if found is None:
            if not isinstance(text, str):
                raise TypeError(f"sealed column {column} takes text, got {type(text).__name__}")
            if len(self._sealed) >= _MEMO:
                self._sealed.clear()
            # The column's name as associated data: a value moved to another column does not open.
            found = self._sealed[(column, text)] = self._siv.encrypt(text.encode(), [column.encode()])
        return found

    def open(self, column: str, sealed: Any) -> str | None:
        if sealed is None:
            return None
        sealed = bytes(sealed)
        found = self._opened.get((column, sealed))
        if found is None:
            if len(self._opened) >= _MEMO:
                self._opened.clear()
            found = self._opened[(column, sealed)] = self._siv.decrypt(sealed, [column.encode()]).decode()
        return found


@dataclass(frozen=True)
class SealPlan:
    """What sealing does to one statement: which parameters to seal, which result names to open."""

    params: tuple[tuple[int, str], ...]  # (placeholder index, column)
    names: frozenset[str]  # sealed columns of the tables the statement names

    @classmethod
    def of(cls, text: str, sealed: Mapping[str, frozenset[str]]) -> SealPlan:
        """The plan of ``text``, given each table's (short name's) sealed columns."""
        names = frozenset().union(*(sealed.get(t, ()) for t in _TABLE_REF.findall(text)))
        if not names:
            return cls((), names)
        params = []
        insert = _INSERT.match(text)
        columns = [c.strip() for c in insert.group(1).split(",")] if insert else []
        for index, placeholder in enumerate(re.finditer(r"\?", text)):
            before = text[:placeholder.start()]
            if index < len(columns):  # a VALUES list: its placeholders are the columns, in order
                column, op = columns[index], "="
            elif (m := _COMPARED.search(before)) is not None:
                column, op = m.group(1), m.group(2)
            elif (m := _IN_LIST.search(before)) is not None:
                column, op = m.group(1), "IN"
            elif (m := _PATTERN.search(before)) is not None:
                column, op = m.group(1), "LIKE"
            else:
                continue
            if column not in names:
                continue
            if op not in ("=", "IN"):
                # A LIKE would match stray ciphertext bytes (SQLite) or fail (PostgreSQL has no
                # lower() of bytea): names sealed at rest are matched opened (projections/search.py).
                raise ValueError(f"sealed column {column} can only be compared for equality, not {op}: {text}")
            params.append((index, column))
        return cls(tuple(params), names)

    def seal(self, sealer: Sealer, params: Any) -> Any:
        if not self.params:
            return params
        out = list(params)
        for index, column in self.params:
            out[index] = sealer.seal(column, out[index])
        return out

    def opener(self, description: Any) -> tuple[tuple[int, str], ...]:
        """The result positions to open, from the cursor's column names."""
        if not self.names or description is None:
            return ()
        return tuple((i, d[0]) for i, d in enumerate(description) if d[0] in self.names)


def open_rows(sealer: Sealer, positions: tuple[tuple[int, str], ...], rows: list[tuple[Any, ...]]) -> list:
    if not positions:
        return rows
    out = []
    for row in rows:
        row = list(row)
        for i, column in positions:
            row[i] = sealer.open(column, row[i])
        out.append(tuple(row))
    return out
