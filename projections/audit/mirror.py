"""Verifying a mirror of the log offline: public key + checkpoint + NDJSON, nothing else.

A mirror (``AuditTrail.mirror``, ``GET /audit/mirror``, ``ledger mirror``) is one JSON object
per line: ``LeafRecord.to_json()`` for each event, positions consecutive, then a final
``{"checkpoint": "<signed note>"}`` covering every line before it.

``verify_mirror`` recomputes every leaf hash from the line's fields (ledger.audit.leaf), the
tree from those leaves alone (Frontier), and checks:

1. every line parses strictly, positions follow on without gap or repeat;
2. the final checkpoint is signed by the trusted key, for the expected origin, and its
   root equals the recomputed root at its size, which must be the number of lines;
3. the auditor's own trusted checkpoint (``checkpoint``: e.g. the last one they kept), if
   given, is signed by the key and its root equals the recomputed root at *its* size, so
   the mirror extends what they saw before (an offline consistency check);
4. with ``state`` (a Frontier saved by an earlier run) a mirror may start where that run
   stopped: the new lines extend the old tree, and the auditor never re-downloads.

Depends on ledger.audit and the Frontier only: no database, no server, no cipher key.
A changed, dropped, added or reordered line changes the root, so it is rejected; which line
it was cannot be told from a root alone (keep an earlier mirror to diff against).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ledger.audit.checkpoint import Checkpoint, verify_checkpoint
from ledger.audit.keys import VerifierKey, parse_verifier_key
from ledger.audit.leaf import LeafRecord
from ledger.audit.note import NoteError
from projections.audit.frontier import Frontier


class MirrorError(ValueError):
    """The mirror does not check out; ``line`` is the 1-based line at fault, when there is one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


@dataclass
class MirrorReport:
    start: int
    size: int
    root: bytes
    checkpoint: Checkpoint
    trusted_checked: Checkpoint | None
    state: Frontier
    lines: int
    roots_checked: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        import base64

        return {
            "ok": True, "start": self.start, "size": self.size, "root": base64.b64encode(self.root).decode("ascii"),
            "origin": self.checkpoint.origin, "checkpoint_size": self.checkpoint.size,
            "trusted_checkpoint_size": None if self.trusted_checked is None else self.trusted_checked.size,
            "lines": self.lines,
        }


def _key(verifier_key: str | VerifierKey) -> VerifierKey:
    if isinstance(verifier_key, VerifierKey):
        return verifier_key
    try:
        return parse_verifier_key(verifier_key.strip())
    except ValueError as error:
        raise MirrorError(f"verifier key: {error}") from None


def _checkpoint(note: str, key: VerifierKey, origin: str | None, what: str, line: int | None = None) -> Checkpoint:
    try:
        return verify_checkpoint(note, key, origin)
    except NoteError as error:
        raise MirrorError(f"{what}: {error}", line) from None


def _same(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def verify_mirror(
    lines: Iterable[bytes | str], verifier_key: str | VerifierKey, checkpoint: str | None = None, *,
    origin: str | None = None, state: Frontier | None = None,
) -> MirrorReport:
    """Check a mirror against the key (and a trusted checkpoint); raise MirrorError at the first fault."""
    key = _key(verifier_key)
    trusted = _checkpoint(checkpoint, key, origin, "trusted checkpoint") if checkpoint is not None else None
    frontier = state.copy() if state is not None else Frontier()
    start = frontier.size
    trusted_checked: Checkpoint | None = None
    roots_checked: list[int] = []

    def check_trusted() -> None:
        nonlocal trusted_checked
        if trusted is not None and trusted_checked is None and frontier.size == trusted.size:
            if not _same(frontier.root(), trusted.root_hash):
                raise MirrorError(
                    f"the mirrored log's root at size {trusted.size} is not the trusted checkpoint's:"
                    f" an event at a position below {trusted.size} differs from what was signed then"
                    + (f" (or the saved state from size {start} was not of this log)" if start else ""))
            trusted_checked = trusted
            roots_checked.append(trusted.size)

    if trusted is not None and trusted.size < start:
        raise MirrorError(f"the trusted checkpoint (size {trusted.size}) is older than the saved state"
                          f" (size {start}): verify it against that state's checkpoint instead")
    check_trusted()
    final: Checkpoint | None = None
    count = 0
    for number, raw in enumerate(lines, start=1):
        if final is not None:
            raise MirrorError("text after the checkpoint line", number)
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise MirrorError(f"not JSON: {error}", number) from None
        if not isinstance(obj, dict):
            raise MirrorError("not a JSON object", number)
        if "checkpoint" in obj:
            if set(obj) != {"checkpoint"} or not isinstance(obj["checkpoint"], str):
                raise MirrorError('the checkpoint line must be {"checkpoint": "<signed note>"}', number)
            final = _checkpoint(obj["checkpoint"], key, origin or key.name, "mirror checkpoint", number)
            if final.size != frontier.size:
                raise MirrorError(f"the checkpoint is for size {final.size}, but the mirror ends at"
                                  f" size {frontier.size}", number)
            if not _same(frontier.root(), final.root_hash):
                raise MirrorError(
                    f"the root of the mirrored log at size {final.size} is not the one the checkpoint signed:"
                    f" a line in positions [{start}, {final.size}) was altered, dropped, added or reordered", number)
            roots_checked.append(final.size)
            continue
        try:
            record = LeafRecord.from_json(obj)
        except (ValueError, TypeError, KeyError) as error:
            raise MirrorError(f"not a leaf record: {error}", number) from None
        if record.position != frontier.size:
            hint = ""
            if count == 0 and record.position > frontier.size:
                hint = (f": a mirror from position {record.position} needs the state saved when the log"
                        f" was verified up to {record.position}")
            raise MirrorError(f"position {record.position} where position {frontier.size} was due{hint}", number)
        frontier.append(record.leaf_hash())
        count += 1
        check_trusted()
    if final is None:
        raise MirrorError("the mirror has no checkpoint line at its end (cut short?)")
    if trusted is not None and trusted_checked is None:
        raise MirrorError(f"the mirror ends at size {frontier.size}, before the trusted checkpoint's size"
                          f" {trusted.size}: it cannot show that log extends the one you trust")
    return MirrorReport(start, frontier.size, frontier.root(), final, trusted_checked, frontier, count, roots_checked)
