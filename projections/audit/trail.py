"""The audit trail of one store: follow the log into the tree, sign checkpoints, serve proofs.

``AuditTrail(store, ledger=...)`` is what the CLI, the API and a background thread hold (wired by
api/bootstrap.py). It owns one
projection database handle (``audit_*`` tables) and, on first need, a follower of the audit
projection. All its methods are safe to call from several threads.

Hashes leave this module as standard padded base64 (as in checkpoints and RFC 9162 test
vectors) in the JSON-ready dicts, and as raw bytes in the dataclasses.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ledger.application import Ledger
from ledger.audit.checkpoint import Checkpoint, parse_note, sign_checkpoint
from ledger.audit.leaf import LeafRecord, format_recorded_at, parse_recorded_at
from ledger.audit.proof import consistency_proof, inclusion_proof
from ledger.audit.tree import root_of_size
from ledger.audit.proof_check import ProofError, verify_consistency
from ledger.failure_lines import failure
from ledger.limits import MAX_PAGE_SIZE
from ledger.store import Store
from projections.audit.nodes import DbNodeStore, ProofRead, nodes_read_by, read_for_proof
from projections.audit.projection import AuditProjection, as_uuid
from projections.audit.tables import NAME
from projections.audit.signing import Identity, key_path, read_meta
from projections.db import Db
from projections.named_rows import shape

log = logging.getLogger(__name__)

MAX_LOG_LIMIT = MAX_PAGE_SIZE
_MAX_INT = 2**63 - 1
MIRROR_PAGE = 1000


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class AuditRequestError(ValueError):
    """A request the trail cannot answer as asked (bad size, index, filter or cursor); ``field`` names it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AuditIntegrityError(RuntimeError):
    """The stored tree no longer extends what was signed: the ledger refuses to sign over it."""


class NotFoundError(LookupError):
    """No such checkpoint (or no checkpoint yet)."""


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    time: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "root": b64(self.root), "time": self.time, "note": self.note}


_Signed = shape("Signed", "size, root, time, note")
_Leaf = shape("Leaf", "position, notification_id, originator_id, originator_version, leaf_hash")
#: An entry of the audit log, as ``log`` lists it.
_Logged = shape("Logged", "position, notification_id, recorded_at, actor, topic, kind, aggregate_id,"
                          " aggregate_version, figure_id, incident_id, reason, evidence")
_Mirrored = shape("Mirrored", "l.position, l.notification_id, g.recorded_at")


def checkpoint_time(when: datetime) -> str:
    """A checkpoint's time as stored and signed: UTC to the second, "Z" (so the text sorts as the time)."""
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _stored(row: Any) -> StoredCheckpoint:
    return StoredCheckpoint(row.size, bytes(row.root), row.time, row.note)


class AuditTrail:
    """One store's audit trail. ``ledger``: the open Ledger it follows (the caller's, who closes it);
    ``key_file``: the signing key (default signing.key_path(store))."""

    def __init__(self, store: Store, *, ledger: Ledger, key_file: Path | str | None = None,
                 batch_size: int = 500, pool_size: int = 2) -> None:
        self.store = store
        self.db = Db(store, NAME, pool_size=pool_size)
        self.key_file = Path(key_file) if key_file is not None else key_path(store)
        self._ledger = ledger
        self._batch_size = batch_size
        self._follower: Any = None
        self._identity: Identity | None = None
        self._lock = threading.Lock()
        self._digests: dict[int, str] = {}

    # ---- plumbing --------------------------------------------------------------------------

    @property
    def ledger(self) -> Ledger:
        return self._ledger

    @property
    def follower(self) -> Any:
        ledger = self.ledger
        with self._lock:
            if self._follower is None:
                from projections.follower import Follower

                self._follower = Follower(self.store, AuditProjection(), ledger=ledger, batch_size=self._batch_size)
            return self._follower

    def identity(self) -> Identity:
        if self._identity is None:
            try:
                with self.db.transaction(commit=False) as cursor:
                    meta = read_meta(self.db, cursor)
            except Exception:  # noqa: BLE001 - no audit_meta table (never installed), or a real failure
                if self.installed():
                    raise
                meta = {}
            self._identity = Identity.from_meta(meta, self.key_file)
        return self._identity

    def close(self) -> None:
        if self._follower is not None:
            self._follower.close()
        self.db.close()

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- following ------------------------------------------------------------------------

    def installed(self) -> bool:
        """Whether the schema step created the audit tables on this store."""
        try:
            with self.db.transaction(commit=False) as cursor:
                self.db.one(cursor, "SELECT MAX(idx) FROM {nodes} WHERE level = 0")
                self.db.one(cursor, "SELECT size FROM {checkpoints} ORDER BY size DESC LIMIT 1")
            return True
        except Exception:  # noqa: BLE001 - no such table
            return False

    def catch_up(self, on_batch: Any = None) -> int:
        """Bring the tree and the audit log up to date with the log; return how many events were added."""
        return self.follower.catch_up(on_batch=on_batch)

    def position(self) -> int:
        """The last notification id in the tree (0 before the first)."""
        return self.follower.position()

    # ---- the tree -------------------------------------------------------------------------

    def size(self) -> int:
        with self.db.transaction(commit=False) as cursor:
            return DbNodeStore(self.db, cursor).size()

    def size_at(self, position: int) -> int:
        """The tree size at log position ``position``: how many leaves its events make (caught
        up first if the tree is behind it), so a ledger position can be checked against a checkpoint."""
        if self.position() < position:
            self.catch_up()
        with self.db.transaction(commit=False) as cursor:
            return self._leaves_up_to(cursor, position)

    def _leaves_up_to(self, cursor: Any, position: int) -> int:
        # Positions are dense in notification-id order: the last leaf at or before it, by its unique index.
        last_leaf = self.db.value(cursor, "SELECT position FROM {leaves} WHERE notification_id <= ?"
                                          " ORDER BY notification_id DESC LIMIT 1", (position,))
        return 0 if last_leaf is None else last_leaf + 1

    def root(self, size: int | None = None) -> tuple[int, bytes]:
        with self.db.transaction(commit=False) as cursor:
            nodes = DbNodeStore(self.db, cursor)
            size = nodes.size() if size is None else size
            self._check_size(nodes, size, "size")
            return size, root_of_size(nodes, size)

    @staticmethod
    def _check_int(size: Any, field: str) -> None:
        if type(size) is not int or not 0 <= size <= _MAX_INT:
            raise AuditRequestError(f"{field} must be a non-negative integer", field)

    def _check_size(self, nodes: DbNodeStore, size: int, field: str) -> None:
        self._check_int(size, field)
        if size > nodes.size():
            raise AuditRequestError(f"{field} {size} is beyond the tree, which has {nodes.size()} leaves", field)

    def _read_for_proof(self, size: int, field: str, keys: set[tuple[int, int]], **wanted: Any) -> ProofRead:
        """One statement; and once more after catching up if ``size`` is beyond the tree (it may just be new)."""
        self._check_int(size, field)
        found = read_for_proof(self.db, keys, **wanted)
        if size > found.stored:
            self.catch_up()
            found = read_for_proof(self.db, keys, **wanted)
        if size > found.stored:
            raise AuditRequestError(f"{field} {size} is beyond the tree, which has {found.stored} leaves", field)
        return found

    def leaf(self, position: int) -> dict[str, Any]:
        if type(position) is not int or not 0 <= position <= _MAX_INT:
            raise AuditRequestError(f"no leaf at position {position}", "index")
        with self.db.transaction(commit=False) as cursor:
            row = self.db.one(cursor, f"SELECT {_Leaf.columns} FROM {{leaves}} WHERE position = ?", (position,),
                              shape=_Leaf)
        if row is None:
            raise AuditRequestError(f"no leaf at position {position}", "index")
        return {**row._asdict(), "leaf_hash": b64(bytes(row.leaf_hash))}

    def inclusion(self, index: int, size: int) -> dict[str, Any]:
        """PATH(index, D[size]) from the stored nodes, with the leaf and the root it leads to: one statement."""
        good_index = type(index) is int and type(size) is int and 0 <= index < size
        keys = nodes_read_by(size, lambda s: inclusion_proof(s, index, size), lambda s: root_of_size(s, size),
                             lambda s: s.get(0, index)) if good_index else set()
        found = self._read_for_proof(size, "size", keys, leaf=index if good_index else -1, checkpoints=(size,))
        if not good_index:
            raise AuditRequestError(f"index {index} is not a leaf of a tree of size {size}", "index")
        nodes, leaf = found.nodes, found.leaf
        return {
            "index": index, "size": size, "leaf_hash": b64(nodes.get(0, index)),
            "proof": [b64(h) for h in inclusion_proof(nodes, index, size)], "root": b64(root_of_size(nodes, size)),
            "leaf": None if leaf is None else leaf._asdict(),
            "checkpoint": found.notes[0],
        }

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        """PROOF(first, D[second]) from the stored nodes, with both roots: one statement."""
        good_first = type(first) is int and type(second) is int and 0 < first <= second
        keys = nodes_read_by(second, lambda s: consistency_proof(s, first, second),
                             lambda s: root_of_size(s, first), lambda s: root_of_size(s, second)) if good_first else set()
        found = self._read_for_proof(second, "second", keys, checkpoints=(first, second) if good_first else ())
        if not good_first:
            raise AuditRequestError(f"first must be in [1, second={second}], got {first}", "first")
        nodes = found.nodes
        return {
            "first": first, "second": second, "proof": [b64(h) for h in consistency_proof(nodes, first, second)],
            "first_root": b64(root_of_size(nodes, first)), "second_root": b64(root_of_size(nodes, second)),
            "first_checkpoint": found.notes[0], "second_checkpoint": found.notes[1],
        }

    # ---- checkpoints ----------------------------------------------------------------------

    def _checkpoint_row(self, cursor: Any, size: int) -> StoredCheckpoint | None:
        row = self.db.one(cursor, f"SELECT {_Signed.columns} FROM {{checkpoints}} WHERE size = ?", (size,),
                          shape=_Signed)
        return None if row is None else _stored(row)

    def checkpoint(self, size: int) -> StoredCheckpoint:
        if type(size) is not int or not 0 <= size <= _MAX_INT:
            raise NotFoundError(f"no checkpoint of size {size}")
        with self.db.transaction(commit=False) as cursor:
            found = self._checkpoint_row(cursor, size)
        if found is None:
            raise NotFoundError(f"no checkpoint of size {size}")
        return found

    def latest_checkpoint(self, *, signed_by: datetime | None = None) -> StoredCheckpoint | None:
        """The largest checkpoint signed, or the largest signed by ``signed_by`` (a page as of T)."""
        found = self.checkpoints(limit=1, newest_first=True, signed_by=signed_by)
        return found[0] if found else None

    def checkpoints(self, *, past: int | None = None, limit: int | None = None,
                    newest_first: bool = False, signed_by: datetime | None = None) -> list[StoredCheckpoint]:
        """Signed checkpoints in size order (largest first with ``newest_first``), those beyond
        size ``past`` in that order only, signed by ``signed_by`` if given, at most ``limit``
        (a page: they grow without end)."""
        where, params = [], []
        if past is not None:
            where.append("size < ?" if newest_first else "size > ?")
            params.append(past)
        if signed_by is not None:  # stored as signed: ISO 8601 to the second, UTC, "Z"
            where.append("time <= ?")
            params.append(checkpoint_time(signed_by))
        if limit is not None:
            params.append(limit)
        with self.db.transaction(commit=False) as cursor:
            rows = self.db.all(cursor, f"SELECT {_Signed.columns} FROM {{checkpoints}}"
                                       f"{' WHERE ' + ' AND '.join(where) if where else ''}"
                                       f" ORDER BY size{' DESC' if newest_first else ''}"
                                       f"{'' if limit is None else ' LIMIT ?'}", params, shape=_Signed)
        return [_stored(r) for r in rows]

    def make_checkpoint(self, *, catch_up: bool = True, now: datetime | None = None) -> StoredCheckpoint | None:
        """Sign the tree as it stands (after catching up); None while the log is empty.

        One checkpoint per size: if this size was signed already (here or by another
        process), that checkpoint is returned and nothing new is signed. Before signing, the
        tree is checked to extend the latest checkpoint (a consistency proof from the stored
        nodes, verified against the signed root): AuditIntegrityError if it does not, since
        the log or the tree was rewritten under the ledger.
        """
        identity = self.identity()
        if catch_up:
            self.catch_up()
        size, root = self.root()
        if size == 0:
            return None
        self._check_extends_latest(size, root)
        try:
            return self.checkpoint(size)
        except NotFoundError:
            pass
        when = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        note = sign_checkpoint(Checkpoint(identity.origin, size, root, when), identity.private_key(), identity.origin)
        with self.db.transaction(commit=True) as cursor:
            self.db.run(cursor, "INSERT INTO {checkpoints} (size, root, time, note) VALUES (?, ?, ?, ?)"
                                " ON CONFLICT (size) DO NOTHING",
                        (size, root, checkpoint_time(when), note))
        return self.checkpoint(size)

    def _check_extends_latest(self, size: int, root: bytes) -> None:
        """Refuse to sign a tree that is not an extension of the last one signed (O(log n))."""
        latest = self.latest_checkpoint()
        if latest is None or latest.size > size:
            return
        signed_root = parse_note(latest.note)[0].root_hash
        try:
            if latest.size == size:
                if signed_root != root:
                    raise ProofError("same size, different root")
            else:
                proof = self.consistency(latest.size, size)["proof"]
                verify_consistency(latest.size, size, [base64.b64decode(h) for h in proof], signed_root, root)
        except ProofError as error:
            raise AuditIntegrityError(
                f"the stored tree of {size} leaves does not extend the checkpoint signed at size {latest.size}"
                f" ({error}): the log or the tree was rewritten. Nothing was signed; run `ledger verify`."
            ) from None

    def public_key(self) -> dict[str, str]:
        identity = self.identity()
        return {"origin": identity.origin, "verifier_key": identity.verifier_key}

    def checkpoint_if_grown(self) -> StoredCheckpoint | None:
        """One tick of the schedule: catch up; sign if the tree grew since the latest checkpoint."""
        self.catch_up()
        latest = self.latest_checkpoint()
        if self.size() > (latest.size if latest else 0):
            return self.make_checkpoint(catch_up=False)
        return None

    def run_forever(self, every: float = 60.0, stop_event: threading.Event | None = None,
                    follow_every: float | None = None) -> None:
        """Checkpoint every ``every`` seconds when the tree grew (for a background thread).

        ``follow_every`` (default: ``every``) is how often the tree catches up in between.
        Errors are logged and retried at the next tick; the thread never dies of one.
        """
        stop_event = stop_event or threading.Event()
        follow_every = min(follow_every or every, every)
        last_sign = 0.0
        while not stop_event.is_set():
            try:
                now = time.monotonic()
                if now - last_sign >= every:
                    last_sign = now
                    self.checkpoint_if_grown()
                else:
                    self.catch_up()
            except Exception as error:  # noqa: BLE001 - a background thread must outlive a bad moment
                log.error("audit trail: checkpoint tick failed (%s); retrying", failure(error))
            stop_event.wait(follow_every)

    def start(self, every: float = 60.0, follow_every: float | None = None) -> Background:
        """Run ``run_forever`` in a daemon thread; stop it with ``.stop()``."""
        stop = threading.Event()
        thread = threading.Thread(target=self.run_forever, kwargs={"every": every, "stop_event": stop,
                                                                   "follow_every": follow_every},
                                  name="audit-checkpointer", daemon=True)
        thread.start()
        return Background(thread, stop)

    # ---- the audit log --------------------------------------------------------------------

    def log(self, *, actor: str | None = None, figure_id: str | None = None, incident_id: str | None = None,
            kind: str | None = None, since: datetime | None = None, until: datetime | None = None,
            cursor: str | None = None, limit: int = 100, newest_first: bool = False) -> dict[str, Any]:
        """Events in log order (the latest first with ``newest_first``), filtered; a page
        ``{"items", "next_cursor"}`` (keyset on position: each filter's index is read either way).

        ``since`` is inclusive, ``until`` exclusive (recording time, timezone-aware).
        """
        if not 1 <= limit <= MAX_LOG_LIMIT:
            raise AuditRequestError(f"limit must be between 1 and {MAX_LOG_LIMIT}", "limit")
        where, params = (["position < ?"], [_MAX_INT]) if newest_first else (["position > ?"], [-1])
        if cursor is not None:
            if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 19 or int(cursor) > _MAX_INT:
                raise AuditRequestError("cursor is not one this log gave out", "cursor")
            params[0] = int(cursor)
        for column, value in (("actor", actor), ("figure_id", figure_id), ("incident_id", incident_id),
                              ("kind", kind)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(str(value))
        for column, op, value in (("since", ">=", since), ("until", "<", until)):
            if value is not None:
                try:
                    params.append(format_recorded_at(value))
                except ValueError:
                    raise AuditRequestError(f"{column} must carry a time zone (e.g. 2019-05-01T10:00:00Z)",
                                            column) from None
                where.append(f"recorded_at {op} ?")
        with self.db.transaction(commit=False) as db_cursor:
            rows = self.db.all(db_cursor, f"SELECT {_Logged.columns} FROM {{log}} WHERE {' AND '.join(where)}"
                                          f" ORDER BY position{' DESC' if newest_first else ''} LIMIT ?",
                               (*params, limit + 1), shape=_Logged)
        more = len(rows) > limit
        rows = rows[:limit]
        items = [{**r._asdict(), "evidence": orjson.loads(r.evidence) if r.evidence else None} for r in rows]
        return {"items": items, "next_cursor": str(rows[-1].position) if more else None}

    def kinds(self) -> list[str]:
        """The kinds of event the log holds, in order: one seek of the kind index each (a skip
        scan), so a log of millions answers as fast as a small one."""
        with self.db.transaction(commit=False) as db_cursor:
            rows = self.db.all(db_cursor, "WITH RECURSIVE k(kind) AS (SELECT MIN(kind) FROM {log} UNION ALL"
                                          " SELECT (SELECT MIN(kind) FROM {log} WHERE kind > k.kind) FROM k"
                                          " WHERE k.kind IS NOT NULL) SELECT kind FROM k WHERE kind IS NOT NULL")
        return [r[0] for r in rows]

    # ---- the mirror -----------------------------------------------------------------------

    def mirror(self, start: int = 0, *, checkpoint: StoredCheckpoint | None = None) -> Iterator[bytes]:
        """The log as NDJSON from ``start``: one LeafRecord per line, then ``{"checkpoint": note}``.

        The lines stop at the size of the latest checkpoint (or the one given), which the
        last line carries, so every line is covered by it. Each line is the event as the
        event table holds it *now*, at the position the tree gave it; an auditor checks them
        against the checkpoint (see projections.audit.mirror.verify_mirror).
        """
        checkpoint = checkpoint or self.latest_checkpoint()
        if checkpoint is None:
            raise NotFoundError("no checkpoint yet: nothing to mirror against")
        if type(start) is not int or not 0 <= start <= checkpoint.size:
            raise AuditRequestError(f"from must be between 0 and {checkpoint.size}", "from")
        return self._mirror_lines(start, checkpoint)

    def _mirror_lines(self, start: int, checkpoint: StoredCheckpoint) -> Iterator[bytes]:
        for record in self._records(start, checkpoint.size):
            yield orjson.dumps(record.to_json()) + b"\n"
        yield orjson.dumps({"checkpoint": checkpoint.note}) + b"\n"

    def _records(self, start: int, stop: int) -> Iterator[LeafRecord]:
        """The leaves [start, stop) as the event table holds their events now, MIRROR_PAGE at a time."""
        recorder = self.ledger.recorder
        position = start
        while position < stop:
            end = min(position + MIRROR_PAGE, stop)
            with self.db.transaction(commit=False) as cursor:
                rows = self.db.all(cursor, f"SELECT {_Mirrored.columns} FROM {{leaves}} l"
                                           " JOIN {log} g ON g.position = l.position"
                                           " WHERE l.position >= ? AND l.position < ? ORDER BY l.position",
                                   (position, end), shape=_Mirrored)
            if len(rows) != end - position:
                raise MirrorSourceError(f"the tree's leaves [{position}, {end}) are incomplete")
            first, last = rows[0].notification_id, rows[-1].notification_id
            events = {n.id: n for n in recorder.select_notifications(start=first, stop=last, limit=last - first + 1)}
            for pos, notification_id, recorded_at in rows:
                n = events.get(notification_id)
                if n is None:
                    raise MirrorSourceError(f"the event at position {pos} (notification {notification_id})"
                                            " is missing from the event table")
                yield LeafRecord(pos, as_uuid(n.originator_id), n.originator_version, n.topic, bytes(n.state),
                                 parse_recorded_at(recorded_at))
            position = end

    def leaf_with_proof(self, index: int) -> dict[str, Any]:
        """One event as stored (the fields its leaf bytes are made of, and those bytes) with its
        inclusion proof in the tree of the latest checkpoint and that checkpoint's signed note: all
        an auditor needs to recompute the leaf hash and the root without asking anything else."""
        checkpoint = self.latest_checkpoint()
        if checkpoint is None:
            raise NotFoundError("no checkpoint has been signed yet: no proof to give")
        if type(index) is not int or not 0 <= index < checkpoint.size:
            raise NotFoundError(f"no event {index} in the latest checkpoint, which covers"
                                f" positions 0 to {checkpoint.size - 1}")
        record = next(self._records(index, index + 1))
        proof = self.inclusion(index, checkpoint.size)
        return {"index": index, "size": checkpoint.size, "record": record.to_json(),
                "leaf_bytes": b64(record.leaf_bytes()), "leaf_hash": proof["leaf_hash"], "proof": proof["proof"],
                "root": proof["root"], "checkpoint": checkpoint.note}

    # ---- attestation ----------------------------------------------------------------------

    def attestation(self, *, position: int | None = None, state_digest: str | None = None,
                    views: str = "views") -> dict[str, Any]:
        """What a published answer of the views came from: log position, tree size, root, checkpoint, digest.

        ``position``: the views' tracking position (a notification id) read in the same
        snapshot as the answer. ``state_digest``: the views' digest at that position, if the
        caller has it. Without a position, both are read now from the live views ``views``.
        Given a position but no digest, the digest is looked up in a small cache, else
        computed now, and left None if the views have moved on since (the tree part is
        exact either way). Digests cost a scan of the views: cached per position.
        """
        if position is None or state_digest is None:
            cached = self._digests.get(position) if position is not None else None
            if cached is not None:
                state_digest = cached
            else:
                from projections.views_digest import digest as views_digest

                d = views_digest(self.store, views)
                now_at = d["position"] or 0
                if len(self._digests) > 64:
                    self._digests.clear()
                self._digests[now_at] = d["sha256"]
                if position is None:
                    position = now_at
                state_digest = d["sha256"] if now_at == position else None
        if self.position() < position:
            self.catch_up()
        with self.db.transaction(commit=False) as cursor:
            tree_size = self._leaves_up_to(cursor, position)
            nodes = DbNodeStore(self.db, cursor)
            if tree_size > nodes.size():
                raise AuditRequestError(f"the tree does not cover position {position} yet", "position")
            root = root_of_size(nodes, tree_size)
            cp = self.db.one(cursor, f"SELECT {_Signed.columns} FROM {{checkpoints}} WHERE size >= ? ORDER BY size"
                                     " LIMIT 1", (tree_size,), shape=_Signed)
        return {
            "position": position, "tree_size": tree_size, "root": b64(root),
            "checkpoint": None if cp is None else cp.note, "checkpoint_size": None if cp is None else cp.size,
            "state_digest": state_digest,
        }


class MirrorSourceError(RuntimeError):
    """The event table no longer holds what the tree says it held (run verify)."""


@dataclass
class Background:
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)
