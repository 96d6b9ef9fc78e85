"""Replay verification: is the stored history the one the tree, the checkpoints and the views say?

``verify(store)`` works from the event table alone, as an auditor would:

1. **Leaves.** It reads every stored event in notification-id order, numbers them 0, 1, 2,
   ..., decodes each one (for its timestamp) and recomputes its leaf hash, and compares
   position by position with ``audit_leaves`` (notification id, aggregate id and version,
   leaf hash). An altered payload, a deleted row, two rows swapped, a row inserted in the
   middle: each makes some position differ, and the FIRST such position is reported.
2. **Tree.** It rebuilds the whole tree from the recomputed leaves (a Frontier: no stored
   node is read to do it) and compares every perfect node with ``audit_nodes``, which
   proofs are served from.
3. **Checkpoints.** Every stored checkpoint's signature is checked with the ledger's
   verifier key, and its root against the recomputed root at its size. A history rewritten
   *and re-hashed* (leaves and nodes rebuilt to match the edited events) passes 1 and 2 but
   not this: the earlier signed roots no longer match. Then only a range can be named: the
   change lies between the last checkpoint that still matches and the first that does not.
4. **Projections.** Each projection (the views, and the audit projection itself) is
   rebuilt from scratch into a scratch store (a temporary SQLite file, or a temporary
   PostgreSQL schema) up to the live one's position, and the two digests are compared.

Progress goes to stderr (tqdm). The report says how far it got, what differs, and how fast.
"""

from __future__ import annotations

import hashlib
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from ledger.audit.checkpoint import verify_checkpoint
from ledger.audit.hasher import hash_leaf
from ledger.audit.keys import VerifierKey, encode_verifier_key, load_private_key, parse_verifier_key
from ledger.audit.note import NoteError
from ledger.store import Store
from projections.audit.frontier import Frontier
from projections.audit.nodes import StoredNodeReader
from projections.audit.projection import AuditProjection, as_uuid, leaf_hash_of
from projections.audit.scratch import clear_stale, scratch_store
from projections.audit.signing import AuditConfigError
from projections.audit.trail import AuditTrail, b64
from projections.db import Db
from projections.named_rows import shape

PAGE = 2_000
MAX_PROBLEMS = 100
#: A leaf of the stored tree, and the last one.
_StoredLeaf = shape("StoredLeaf", "position, notification_id, originator_id, originator_version, leaf_hash")
_LastLeaf = shape("LastLeaf", "position, notification_id")


@dataclass(frozen=True)
class VerificationProblem:
    position: int | None
    kind: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "kind": self.kind, "detail": self.detail}


@dataclass
class VerificationReport:
    events: int = 0
    tree_size: int = 0
    pending: int = 0
    root: bytes = b""
    first_bad_position: int | None = None
    suspect_range: tuple[int, int] | None = None
    problems: list[VerificationProblem] = field(default_factory=list)
    problem_count: int = 0
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    snapshots: int = 0
    projections: dict[str, dict[str, Any]] = field(default_factory=dict)
    replay_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def events_per_second(self) -> float:
        return self.events / self.replay_seconds if self.replay_seconds else 0.0

    def add(self, position: int | None, kind: str, detail: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(VerificationProblem(position, kind, detail))
        if position is not None and (self.first_bad_position is None or position < self.first_bad_position):
            self.first_bad_position = position

    def kinds(self) -> set[str]:
        return {p.kind for p in self.problems}

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "events": self.events, "tree_size": self.tree_size, "pending": self.pending,
            "root": b64(self.root) if self.root else None, "first_bad_position": self.first_bad_position,
            "suspect_range": list(self.suspect_range) if self.suspect_range else None,
            "problem_count": self.problem_count, "problems": [p.to_dict() for p in self.problems],
            "checkpoints": self.checkpoints, "snapshots": self.snapshots, "projections": self.projections,
            "replay_seconds": round(self.replay_seconds, 3), "seconds": round(self.seconds, 3),
            "replay_events_per_second": round(self.events_per_second),
        }

    def summary(self) -> str:
        lines = [
            f"{'OK' if self.ok else 'FAILED'}: {self.events} events replayed, tree of {self.tree_size} leaves"
            f" (root {b64(self.root) if self.root else '-'}), {len(self.checkpoints)} checkpoints,"
            f" {self.pending} events not yet in the tree, {self.snapshots} snapshots checked against their events",
            f"replay {self.replay_seconds:.2f}s ({self.events_per_second:,.0f} events/s), total {self.seconds:.2f}s",
        ]
        for name, result in self.projections.items():
            lines.append(f"projection {name}: {result.get('status')}"
                         + (f" (digest {result['live']})" if result.get("live") else ""))
        if self.first_bad_position is not None:
            lines.append(f"first bad position: {self.first_bad_position}")
        if self.suspect_range is not None:
            lines.append(f"a changed event lies in positions [{self.suspect_range[0]}, {self.suspect_range[1]})")
        for p in self.problems[:20]:
            lines.append(f"  [{p.kind}] " + (f"position {p.position}: " if p.position is not None else "") + p.detail)
        if self.problem_count > 20:
            lines.append(f"  ... and {self.problem_count - 20} more")
        return "\n".join(lines)


# ---- projections to rebuild and compare -----------------------------------------------------

@dataclass(frozen=True)
class ProjectionSpec:
    name: str
    make: Callable[[], Any]
    digest: Callable[[Db], dict[str, Any]]


def _views() -> Any:
    from projections.views import Views

    return Views()


def _views_digest(db: Db) -> dict[str, Any]:
    from projections.views_digest import digest_db

    return digest_db(db)


def _audit_digest(db: Db) -> dict[str, Any]:
    from projections.audit.tree_digest import audit_digest

    return audit_digest(db)


PROJECTIONS: list[ProjectionSpec] = [
    ProjectionSpec("views", _views, _views_digest),
    ProjectionSpec("audit", AuditProjection, _audit_digest),
]


# ---- the verification ---------------------------------------------------------------------

def verify(
    store: Store, progress: bool = True, *, catch_up: bool = True, projections: bool | Sequence[str] = True,
    ledger: Any, key_file: Any = None, page: int = PAGE, trusted_key: str | None = None,
    held: Sequence[str] = (),
) -> VerificationReport:
    """Verify the whole stored history of ``store``; never raises for what it finds (see the report).

    Raises AuditConfigError only when there is no audit trail to verify (never installed).
    ``trusted_key``: the verifier key the ledger published (``ledger public-key``), which the
    checkpoints must verify with, whatever key the store records. ``held``: signed checkpoint
    notes kept outside the store (a witness's, a mirror's): each must be in the store and give
    the root the log gives now, so deleting or replacing checkpoints before a rewrite is found.
    """
    started = time.perf_counter()
    report = VerificationReport()
    trail = AuditTrail(store, ledger=ledger, key_file=key_file)
    try:
        if not trail.installed():
            raise AuditConfigError("the audit trail is not installed on this store: run the schema step (ledger init)")
        clear_stale(store)
        if catch_up:
            trail.catch_up()
        _replay(trail, report, progress, page, trusted_key, held)
        _check_snapshots(trail, report, progress)
        if projections:
            wanted = None if projections is True else set(projections)
            for spec in PROJECTIONS:
                if wanted is None or spec.name in wanted:
                    report.projections[spec.name] = _compare_projection(store, trail.ledger, spec, report, progress)
    finally:
        trail.close()
    report.seconds = time.perf_counter() - started
    return report


def _replay(trail: AuditTrail, report: VerificationReport, progress: bool, page: int,
            trusted_key: str | None = None, held: Sequence[str] = ()) -> None:
    db = trail.db
    with db.transaction(commit=False) as cursor:
        row = db.one(cursor, f"SELECT {_LastLeaf.columns} FROM {{leaves}} ORDER BY position DESC LIMIT 1",
                     shape=_LastLeaf)
        stored_checkpoints = db.all(cursor, "SELECT size, root, note FROM {checkpoints} ORDER BY size")
    tree_size = 0 if row is None else row.position + 1
    last_id = 0 if row is None else row.notification_id
    report.tree_size = tree_size
    named = _events_no_leaf_covers(trail, report, last_id)

    signed = _check_signatures(trail, stored_checkpoints, report, trusted_key, held)
    pending_sizes = sorted(signed)
    recomputed_roots: dict[int, bytes] = {}
    if 0 in signed:
        recomputed_roots[0] = Frontier().root()

    recorder = trail.ledger.recorder
    mapper = trail.ledger.mapper
    frontier = Frontier()
    leaves = _LeafPages(db, page)
    node_reader = StoredNodeReader(db)
    started = time.perf_counter()
    with tqdm(total=tree_size, unit="event", unit_scale=True, file=sys.stderr, disable=not progress,
              desc="replaying the log") as bar:
        after = 0
        while True:
            batch = recorder.select_notifications(start=after, limit=page, stop=last_id, inclusive_of_start=False)
            if not batch:
                break
            after = batch[-1].id
            for n in batch:
                if (n.id, as_uuid(n.originator_id), n.originator_version) in named:
                    continue
                position = frontier.size
                stored = leaves.get(position)
                leaf_ok = True
                try:
                    leaf_hash = leaf_hash_of(position, n, mapper.to_domain_event(n))
                except Exception as error:  # noqa: BLE001 - an event that no longer decodes is a finding
                    leaf_hash = hash_leaf(b"undecodable\n" + hashlib.sha256(bytes(n.state)).digest())
                    report.add(position, "undecodable",
                               f"notification {n.id} no longer decodes ({type(error).__name__}): its stored state"
                               " was altered, or the cipher key is not the one it was written with")
                    leaf_ok = False
                if stored is None:
                    report.add(position, "extra-event",
                               f"notification {n.id} ({n.topic}) sits where the tree has no leaf: a row was added")
                    leaf_ok = False
                elif leaf_ok:
                    leaf_ok = _compare_leaf(report, position, stored, n, leaf_hash)
                made = frontier.append(leaf_hash)
                if leaf_ok and report.first_bad_position is None:
                    for node in made:
                        stored_hash = node_reader.get(node.level, node.index)
                        if stored_hash != node.hash:
                            report.add(node.index << node.level, "node",
                                       f"stored tree node (level {node.level}, index {node.index}) is "
                                       f"{'missing' if stored_hash is None else 'not the hash of its leaves'}:"
                                       " proofs served from it are wrong")
                            break
                if pending_sizes and frontier.size == pending_sizes[0]:
                    recomputed_roots[pending_sizes.pop(0)] = frontier.root()
            bar.update(len(batch))
    report.replay_seconds = time.perf_counter() - started
    report.events = frontier.size
    report.root = frontier.root()

    if frontier.size < tree_size:
        report.add(frontier.size, "missing-event",
                   f"the tree has {tree_size} leaves, the log only {frontier.size} events up to notification"
                   f" {last_id}: events were deleted")
    report.pending = _count_after(recorder, last_id, page)

    good_below = 0
    for size in sorted(signed):
        entry = next(c for c in report.checkpoints if c["size"] == size)
        recomputed = recomputed_roots.get(size)
        if recomputed is None:
            entry["root_ok"] = False
            report.add(None, "checkpoint", f"checkpoint of size {size} covers more events than the log holds"
                                           f" ({frontier.size}): events in positions [{good_below}, {size})"
                                           " were deleted")
            if report.suspect_range is None:
                report.suspect_range = (good_below, size)
            continue
        entry["root_ok"] = recomputed == signed[size]
        if entry["root_ok"]:
            good_below = size
        else:
            report.add(None, "checkpoint",
                       f"checkpoint of size {size} signed root {b64(signed[size])}, the log now gives"
                       f" {b64(recomputed)}: an event in positions [{good_below}, {size}) was changed since")
            if report.suspect_range is None:
                report.suspect_range = (good_below, size)


def events_table(trail: AuditTrail, snapshots: bool = False) -> tuple[str, str]:
    """The ledger's own events (or snapshots) table, quoted for raw SQL, and its notification-id column."""
    recorder = trail.ledger.snapshots.recorder if snapshots else trail.ledger.recorder
    name = '"' + recorder.events_table_name + '"'
    if trail.db.kind == "sqlite":
        return name, "rowid"
    return '"' + trail.db.schema.replace('"', '""') + '".' + name, "notification_id"


def _events_no_leaf_covers(trail: AuditTrail, report: VerificationReport,
                           last_id: int) -> set[tuple[int, uuid.UUID, int]]:
    """Compare the whole events table with the leaves, not just the ids after the first one.

    The follower reads only ids after its position, so a row written at an id it has passed
    (0 or below, an unused id of one of PostgreSQL's gaps, a copy of a used id once the unique
    index is gone) never becomes a leaf, yet the write side loads it by aggregate id like any
    other. Each such row is named; the positional walk then steps over it.
    """
    db = trail.db
    table, nid = events_table(trail)
    columns = f"e.{nid}, e.originator_id, e.originator_version, e.topic"
    with db.transaction(commit=False) as cursor:
        outside = db.all(cursor, f"SELECT {columns} FROM {table} e WHERE e.{nid} <= ? AND NOT EXISTS"
                                 f" (SELECT 1 FROM {{leaves}} l WHERE l.notification_id = e.{nid}) ORDER BY e.{nid}",
                         (last_id,))
        twins = db.all(cursor, f"SELECT {columns}, l.originator_id AS leaf_originator, l.originator_version AS leaf_version FROM {table} e"
                               f" JOIN {{leaves}} l ON l.notification_id = e.{nid} WHERE e.{nid} IN"
                               f" (SELECT {nid} FROM {table} GROUP BY {nid} HAVING COUNT(*) > 1) ORDER BY e.{nid}")
    named: set[tuple[int, uuid.UUID, int]] = set()
    first = trail.leaf(0)["notification_id"] if report.tree_size else last_id + 1
    for notification_id, originator_id, version, topic in outside:
        named.add((notification_id, as_uuid(originator_id), version))
        where = "below the first leaf" if notification_id < first else "in a gap of the ids the tree followed"
        report.add(None, "not-in-tree",
                   f"notification {notification_id} ({topic}, {as_uuid(originator_id)} v{version}) is no leaf of the"
                   f" tree: a row written {where}, which the write side would load with its aggregate")
    for notification_id, originator_id, version, topic, leaf_originator, leaf_version in twins:
        if (str(as_uuid(originator_id)), version) != (leaf_originator, leaf_version):
            named.add((notification_id, as_uuid(originator_id), version))
            report.add(None, "duplicate-id",
                       f"notification {notification_id} ({topic}, {as_uuid(originator_id)} v{version}) shares its id"
                       f" with the leaf {leaf_originator} v{leaf_version}: a row written under a used id")
    return named


def _check_snapshots(trail: AuditTrail, report: VerificationReport, progress: bool) -> None:
    """Each stored snapshot must be the state its aggregate's events give at the snapshot's version.

    A snapshot is what a cold load starts from instead of the events, so an edited one
    changes what commands decide from without touching a leaf.
    """
    ledger = trail.ledger
    if ledger.snapshots is None:
        return
    table, _ = events_table(trail, snapshots=True)
    try:
        with trail.db.transaction(commit=False) as cursor:
            rows = trail.db.all(cursor, f"SELECT originator_id, originator_version FROM {table}"
                                        " ORDER BY originator_id, originator_version")
    except Exception:  # noqa: BLE001 - a store made before snapshots has no such table: nothing to trust
        return
    by_aggregate: dict[uuid.UUID, list[int]] = {}
    for originator_id, version in rows:
        by_aggregate.setdefault(as_uuid(originator_id), []).append(version)
    report.snapshots = len(rows)
    for uid, versions in tqdm(by_aggregate.items(), unit="aggregate", file=sys.stderr, disable=not progress,
                              desc="checking snapshots"):
        _check_snapshots_of(ledger, uid, versions, report)


def _state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def _check_snapshots_of(ledger: Any, uid: uuid.UUID, versions: list[int], report: VerificationReport) -> None:
    try:
        events = iter(ledger.events.get(uid, lte=versions[-1]))
        aggregate, pending = None, next(events, None)
        for stored in ledger.snapshots.recorder.select_events(uid):
            version = stored.originator_version
            what = f"snapshot of {uid} v{version}"
            try:
                from_snapshot = ledger.mapper.to_domain_event(stored).mutate(None)
            except Exception as error:  # noqa: BLE001 - a snapshot that no longer decodes is a finding
                report.add(None, "snapshot", f"{what} no longer decodes ({type(error).__name__}): its stored"
                                             " state was altered")
                continue
            while pending is not None and pending.originator_version <= version:
                aggregate, pending = pending.mutate(aggregate), next(events, None)
            if aggregate is None or aggregate.version != version:
                report.add(None, "snapshot", f"{what}: the events of {uid} have no version {version} (they reach"
                                             f" {0 if aggregate is None else aggregate.version} there): a snapshot"
                                             " row was written that no event gives")
                continue
            got, want = _state(from_snapshot), _state(aggregate)
            if type(from_snapshot) is not type(aggregate) or got != want:
                fields = sorted(k.lstrip("_") for k in got.keys() | want.keys() if got.get(k) != want.get(k))
                report.add(None, "snapshot", f"{what} differs from what its events give at that version"
                                             f" (in {', '.join(fields) or 'its type'}): the snapshot row was edited")
    except Exception as error:  # noqa: BLE001 - events that no longer replay are named by the walk already
        report.add(None, "snapshot", f"the snapshots of {uid} cannot be checked: its events do not replay"
                                     f" ({type(error).__name__})")


def _verifier_key(trail: AuditTrail, report: VerificationReport, trusted_key: str | None) -> VerifierKey:
    """The key the checkpoints must verify with: the one the caller trusts, else the signing key
    file's when this machine has it, else the one the store records.

    The store's own record cannot be the last word: whoever can rewrite the events can also put
    a key of theirs in its place and re-sign every checkpoint, and the store is then consistent
    with itself. A key from outside the store (published, or the key file) is what tells."""
    identity = trail.identity()
    recorded = identity.verifier_key
    if trusted_key is not None:
        trusted = parse_verifier_key(trusted_key.strip())
        if trusted.encode() != recorded:
            report.add(None, "verifier-key",
                       f"the store records the verifier key {recorded}, not the verifier key you trust,"
                       f" {trusted.encode()}: its checkpoints are checked with the key you trust")
        return trusted
    if identity.path.exists():
        try:
            identity.private_key()
        except AuditConfigError:
            mine = encode_verifier_key(identity.origin, load_private_key(identity.path).public_key())
            report.add(None, "verifier-key",
                       f"the store records the verifier key {recorded}, but the signing key at {identity.path}"
                       f" is {mine}: one of them was replaced (the store's, by whoever rewrote it, or the"
                       f" file); the checkpoints are checked with the key file's. Verify with the key the"
                       f" ledger published (--key) to tell which")
            return parse_verifier_key(mine)
    return identity.verifier()


def _check_signatures(trail: AuditTrail, rows: list[tuple[Any, ...]], report: VerificationReport,
                      trusted_key: str | None = None, held: Sequence[str] = ()) -> dict[int, bytes]:
    """Verify each stored checkpoint's note, and each one held outside the store; return
    size -> signed root of those that verify (a held one's where the store's differs)."""
    signed: dict[int, bytes] = {}
    try:
        identity = trail.identity()
        verifier = _verifier_key(trail, report, trusted_key)
    except (AuditConfigError, ValueError) as error:
        if rows or held:
            report.add(None, "checkpoint", f"cannot check {len(rows) + len(held)} checkpoints: {error}")
        return signed
    _check_stored(rows, report, identity.origin, verifier, signed)
    stored = {size for size, _, _ in rows}
    for note in held:
        try:
            checkpoint = verify_checkpoint(note, verifier, identity.origin)
        except NoteError as error:
            report.add(None, "checkpoint", f"a checkpoint you hold does not verify: {error}")
            continue
        size, root = checkpoint.size, checkpoint.root_hash
        if size not in stored:
            report.add(None, "checkpoint", f"the checkpoint of size {size} you hold is not in the store:"
                                           " it was deleted")
        elif signed.get(size) != root:
            report.add(None, "checkpoint", f"the store's checkpoint of size {size} is not the one you hold"
                                           f" (root {b64(root)}): it was replaced")
        else:
            continue
        entry = next((c for c in report.checkpoints if c["size"] == size), None)
        if entry is None:
            report.checkpoints.append({"size": size, "signature_ok": True, "root_ok": None, "held": True})
        else:
            entry.update(signature_ok=True, held=True)
        signed[size] = root
    return signed


def _check_stored(rows: list[tuple[Any, ...]], report: VerificationReport, origin: str, verifier: VerifierKey,
                  signed: dict[int, bytes]) -> None:
    for size, root, note in rows:
        entry: dict[str, Any] = {"size": size, "signature_ok": False, "root_ok": None}
        report.checkpoints.append(entry)
        try:
            checkpoint = verify_checkpoint(note, verifier, origin)
        except NoteError as error:
            report.add(None, "checkpoint", f"checkpoint of size {size}: {error}")
            continue
        if checkpoint.size != size or checkpoint.root_hash != bytes(root):
            report.add(None, "checkpoint", f"checkpoint row of size {size} does not match its own signed note")
            continue
        entry["signature_ok"] = True
        signed[size] = checkpoint.root_hash


def _compare_leaf(report: VerificationReport, position: int, stored: Any, n: Any, leaf_hash: bytes) -> bool:
    notification_id, originator_id, version = stored.notification_id, stored.originator_id, stored.originator_version
    stored_hash = stored.leaf_hash
    if notification_id != n.id:
        report.add(position, "moved",
                   f"the tree has notification {notification_id} here, the log has notification {n.id}"
                   " (rows deleted, inserted or renumbered)")
        return False
    if originator_id != str(as_uuid(n.originator_id)) or version != n.originator_version:
        report.add(position, "replaced",
                   f"notification {n.id} was {originator_id} v{version}, the log now has"
                   f" {as_uuid(n.originator_id)} v{n.originator_version} there (rows swapped, inserted or rewritten)")
        return False
    if bytes(stored_hash) != leaf_hash:
        report.add(position, "altered",
                   f"notification {n.id} ({n.topic}, {originator_id} v{version}): its content no longer hashes to"
                   " the leaf the tree holds (payload, topic or timestamp altered)")
        return False
    return True


class _LeafPages:
    def __init__(self, db: Db, page: int) -> None:
        self.db = db
        self.page = page
        self._rows: dict[int, Any] = {}
        self._next = 0
        self._done = False

    def get(self, position: int) -> Any:
        """The stored leaf at ``position`` (a _StoredLeaf), or None."""
        while position not in self._rows and not self._done and position >= self._next:
            with self.db.transaction(commit=False) as cursor:
                rows = self.db.all(cursor, f"SELECT {_StoredLeaf.columns} FROM {{leaves}} WHERE position >= ?"
                                           " ORDER BY position LIMIT ?", (self._next, self.page), shape=_StoredLeaf)
            self._rows = {r.position: r for r in rows}
            self._done = len(rows) < self.page
            if rows:
                self._next = rows[-1].position + 1
        return self._rows.get(position)


def _count_after(recorder: Any, last_id: int, page: int) -> int:
    count, after = 0, last_id
    while True:
        batch = recorder.select_notifications(start=after, limit=page, inclusive_of_start=False)
        if not batch:
            return count
        count += len(batch)
        after = batch[-1].id


# ---- projections ----------------------------------------------------------------------------

class _BoundedRecorder:
    """The ledger's recorder, seen only up to notification ``stop`` (a rebuild to a live position)."""

    def __init__(self, recorder: Any, stop: int) -> None:
        self._recorder = recorder
        self._stop = stop

    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *, inclusive_of_start: bool = True) -> Any:
        stop = self._stop if stop is None else min(stop, self._stop)
        if start is not None and (start > stop or (start == stop and not inclusive_of_start)):
            return []
        return self._recorder.select_notifications(start, limit, stop, topics, inclusive_of_start=inclusive_of_start)

    def max_notification_id(self) -> int:
        return min(self._recorder.max_notification_id() or 0, self._stop)


class _BoundedLedger:
    def __init__(self, ledger: Any, stop: int) -> None:
        self.recorder = _BoundedRecorder(ledger.recorder, stop)
        self.mapper = ledger.mapper

    def close(self) -> None:  # the real ledger belongs to the caller
        pass


def _installed(db: Db) -> bool:
    from projections.follower import UPSTREAM

    try:
        with db.transaction(commit=False) as cursor:
            db.one(cursor, "SELECT notification_id FROM {tracking} WHERE application_name = ?", (UPSTREAM,))
        return True
    except Exception:  # noqa: BLE001 - no such table: the projection is not set up on this store
        return False


def _compare_projection(store: Store, ledger: Any, spec: ProjectionSpec, report: VerificationReport,
                        progress: bool) -> dict[str, Any]:
    from projections.follower import Follower, install

    live_db = Db(store, spec.name, pool_size=1)
    try:
        if not _installed(live_db):
            return {"status": "not installed"}
        try:
            with Follower(store, spec.make(), ledger=ledger) as live:
                live.catch_up()
        except Exception as error:  # noqa: BLE001
            report.add(None, "projection", f"{spec.name}: the live projection cannot catch up: {error!r}")
            return {"status": "live catch-up failed", "error": repr(error)}
        live_digest = spec.digest(live_db)
    finally:
        live_db.close()
    position = live_digest["position"] or 0
    result: dict[str, Any] = {"live": live_digest["sha256"], "position": position}
    started = time.perf_counter()
    try:
        with scratch_store(store) as scratch:
            projection = spec.make()
            install(scratch, projection)
            follower = Follower(scratch, projection, ledger=_BoundedLedger(ledger, position))
            try:
                with tqdm(total=position, unit="id", unit_scale=True, file=sys.stderr, disable=not progress,
                          desc=f"rebuilding {spec.name}") as bar:
                    follower.catch_up(on_batch=lambda at, count: bar.update(at - bar.n))
                rebuilt = spec.digest(follower.db)
            finally:
                follower.close()
    except Exception as error:  # noqa: BLE001 - a log that cannot be replayed is a finding, not a crash
        report.add(None, "projection", f"{spec.name}: rebuilding from the log failed: {error!r}")
        result.update(status="rebuild failed", error=repr(error))
        return result
    result.update(rebuilt=rebuilt["sha256"], rebuilt_position=rebuilt["position"],
                  seconds=round(time.perf_counter() - started, 3))
    if rebuilt["sha256"] == live_digest["sha256"]:
        result["status"] = "matches a rebuild from the log"
    else:
        result["status"] = "DIFFERS from a rebuild from the log"
        report.add(None, "projection", f"{spec.name}: live digest {live_digest['sha256']} but a rebuild from the log"
                                       f" gives {rebuilt['sha256']} (at position {position})")
    return result
