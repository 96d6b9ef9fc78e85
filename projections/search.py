"""Finding a source by its name, an incident by its title: what the officers' pickers search.

When the views hold text, the words are matched in SQL (``Reader.sources(named=)``,
``Reader.incidents(titled=)``: LIKE over the name columns). With encryption at rest those
columns hold AES-SIV ciphertext (projections/sealing.py): no pattern matches inside it, and
PostgreSQL has no ``lower()`` of bytea at all (the Db's plan refuses such a pattern: a ValueError,
never a stray match or a crash). So there the records are read a page at a
time in id order (the Db opens every sealed value it reads, as for any answer) and matched
in memory, at most SCAN of them; the answer says whether all were read, so a picker can say
that a search stopped short rather than that nothing matched. Either way the match is the
same: the name (or its English form) contains the words, whatever their case.

Visibility is the Reader's: a protected source is only read with ``include_protected``.
In SQL the pattern is never evaluated on a protected name for a reader (a CASE guards it), so
not even the time of an answer depends on one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Records one in-memory search reads at most (ten of the Reader's largest pages).
SCAN = 5000
_PAGE = 500


def sources(reader: Any, words: str | None, *, limit: int, include_protected: bool,
            as_of: Any = None) -> dict[str, Any]:
    """``{"items", "more", "complete"}``: up to ``limit`` sources named so (all, without words)."""
    return _search(reader, reader.sources, "named", ("name", "name_en"), words, limit, include_protected, as_of)


def incidents(reader: Any, words: str | None, *, limit: int, include_protected: bool,
              as_of: Any = None) -> dict[str, Any]:
    """``{"items", "more", "complete"}``: up to ``limit`` incidents titled so (all, without words)."""
    return _search(reader, reader.incidents, "titled", ("title", "title_en"), words, limit, include_protected,
                   as_of)


def sealed(reader: Any) -> bool:
    """Whether the names are sealed at rest (then no SQL pattern can match them)."""
    return getattr(reader.db, "sealer", None) is not None


def _search(reader: Any, read: Callable[..., dict[str, Any]], keyword: str, fields: tuple[str, str],
            words: str | None, limit: int, include_protected: bool, as_of: Any) -> dict[str, Any]:
    wanted = (words or "").strip()
    if not wanted or not sealed(reader):
        listed = read(as_of=as_of, limit=limit, include_protected=include_protected, **{keyword: wanted or None})
        return {"items": listed["items"], "more": listed["next_cursor"] is not None, "complete": True}
    needle = wanted.casefold()
    found: list[dict[str, Any]] = []
    cursor, scanned = None, 0
    while scanned < SCAN:
        listed = read(as_of=as_of, cursor=cursor, limit=min(_PAGE, SCAN - scanned), include_protected=include_protected)
        scanned += len(listed["items"])
        found += [item for item in listed["items"] if any(needle in (item.get(f) or "").casefold() for f in fields)]
        cursor = listed["next_cursor"]
        if cursor is None or len(found) > limit:
            break
    return {"items": found[:limit], "more": len(found) > limit, "complete": cursor is None or len(found) > limit}
