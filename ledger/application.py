"""The ledger's application service: the commands officers give, and reads of single records.

Every command validates everything first, then saves all the events it makes in one
transaction, or nothing. Commands that change a figure take the version the officer saw
(``expected_version``); if someone else changed the figure meanwhile, the command fails
with VersionConflict naming the current version, and nothing is recorded. A command sent
with a request key records at most once, whichever process the retry reaches.

Each process keeps a cache of records (ledger/store.py). A command's first attempt trusts
it for what it changes and for what it only needs to exist, so a command on warm records
reads nothing before its one write; the store's unique (id, version) turns a change made on
a stale copy into a lost race, and the command is then done again on fresh reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from ledger import checks
from ledger.access import AccessKey, key_id, new_key
from ledger.citation import Citation
from ledger.coverage_check import CoverageCheck
from ledger.errors import HistoryNotCovered, InvalidInput, LedgerError, NotFound, VersionConflict
from ledger.figure import Figure, adoption, figure_id
from ledger.incident import Incident
from ledger.limits import MAX_REQUEST_KEY
from ledger.receipt import Receipt, fingerprint, receipt_id
from ledger.replay import detached, replay
from ledger.report import Report
from ledger.source import Source
from ledger.value import Count
from ledger import vocabulary

A = TypeVar("A", bound=Aggregate)

#: How often a command whose changes only add (a report's claims, a citation) is retried
#: when it races another writer; commands that change a value never retry silently.
ADDITIVE_RETRIES = 5

KINDS: dict[type[Aggregate], str] = {
    Source: "source", Report: "report", Incident: "incident", Figure: "figure",
    Citation: "citation", AccessKey: "key",
}

#: A command's work: given whether to read the records it changes fresh from the store
#: (True) or to trust this process's cache (False), what it answers and what it saves.
Work = Callable[[bool], tuple[dict[str, Any], Sequence[Aggregate | Aggregate.Event]]]

#: A citation's target is a figure or a report; the topic of its first event says which.
TARGET_KINDS = {get_topic(Figure.Stated): "figure", get_topic(Report.Filed): "report"}

#: Every this many events a figure's state is stored as a snapshot, so that loading a hot
#: figure without the cache (another process, a restart) or at an old version replays at
#: most this many events instead of its whole history.
FIGURE_SNAPSHOT_INTERVAL = 100

log = logging.getLogger(__name__)


def _uuid(ident: object, kind: str) -> UUID:
    if isinstance(ident, UUID):
        return ident
    try:
        return UUID(str(ident))
    except ValueError:
        raise NotFound(kind, ident) from None


class Ledger(Application):
    name = "Ledger"
    snapshotting_intervals = {Figure: FIGURE_SNAPSHOT_INTERVAL}
    snapshotting_projectors = {Figure: replay}
    #: Where a record's stored events are read when the audit trail is to vouch for them
    #: (injected by api.bootstrap.open_ledger). None: the store is taken as it is.
    coverage: CoverageCheck | None = None

    def close(self) -> None:
        if self.coverage is not None:
            self.coverage.close()
        super().close()

    def _stored(self, uid: UUID, **where: Any) -> list[Any]:
        """A record's stored events, decoded; through the audit trail's check when there is one."""
        if self.coverage is not None:
            return self.coverage.events(uid, **where)
        return [self.mapper.to_domain_event(s) for s in self.recorder.select_events(uid, **where)]

    # ---- reads of single records -------------------------------------------------------

    def load(self, cls: type[A], ident: object, version: int | None = None) -> A:
        """The record as stored now (or at ``version``): a private copy, safe to change."""
        return self._get(cls, ident, version=version)

    def _get(
        self, cls: type[A], ident: object, *, version: int | None = None, fresh: bool = True, copy: bool = True,
    ) -> A:
        """Read a record, from this process's cache where it can be trusted.

        ``fresh`` brings a cached record up to date with the store first (one SELECT of the
        events after its version), as every read whose current state decides must. Without
        it the cached record is used as it is: right for what never changes once recorded
        (that an incident, a source or a report exists; a report's source), and for records
        the command then changes, because the save of a change made on a stale copy fails on
        the store's unique (id, version) and ``_run`` then does the work again on fresh reads.
        ``copy=False`` hands out the cached object itself, for callers that only read it:
        cached records are never changed in place (a fresher one replaces them), so that is
        safe from any thread.
        """
        kind = KINDS.get(cls, cls.__name__.lower())
        uid = _uuid(ident, kind)
        cache = self.repository.cache
        if version is not None or cache is None:
            # Rebuilt for this caller alone and never cached: already a private copy.
            aggregate, copy = self._rebuild(cls, uid, version, kind, ident), False
        elif (aggregate := self._peek(uid)) is None:
            aggregate = self._rebuild(cls, uid, None, kind, ident)
            cache.put(uid, aggregate)
        elif fresh and (newer := self._stored(uid, gt=aggregate.version)):
            aggregate = replay(detached(aggregate), newer)
            cache.put(uid, aggregate)
        if not isinstance(aggregate, cls):
            raise NotFound(kind, ident)
        return detached(aggregate) if copy else aggregate

    def _rebuild(self, cls: type[A], uid: UUID, version: int | None, kind: str, ident: object) -> A:
        # The library's Repository asks the snapshot store first for every record; only
        # figures have snapshots, so the others skip that SELECT (half the cost of a miss).
        snapshots = []
        if self.snapshots is not None and cls in self.snapshotting_intervals:
            try:
                snapshots = list(self.snapshots.get(uid, desc=True, limit=1, lte=version))
            except Exception:  # noqa: BLE001
                # A store made before snapshots has no table for them until `ledger init` is
                # run again: replay the whole history rather than fail every load.
                log.warning("could not read snapshots; replaying from the first event", exc_info=True)
        after = snapshots[0].originator_version if snapshots else None
        if after is None or self.coverage is None:
            events = self._stored(uid, gt=after, lte=version)
        else:
            # A snapshot's content is not in the tree, but its version must be: the event there is
            # read too, to be vouched for (a snapshot row made up at a version no event has fails).
            events = self._stored(uid, gt=after - 1, lte=version)
            if not events or events[0].originator_version != after:
                raise HistoryNotCovered(after, None, "a snapshot stands at a version no stored event has")
            events = events[1:]
        aggregate = replay(None, chain(snapshots, events))
        if aggregate is None:
            raise NotFound(kind, ident)
        return aggregate

    def _peek(self, uid: UUID, *, evict: bool = False) -> Aggregate | None:
        """The cached record itself (read it, never change it), or None if this process has none."""
        cache = self.repository.cache
        if cache is None:
            return None
        try:
            return cache.get(uid, evict=evict)
        except KeyError:
            return None

    def _cached(self, cls: type[A], uid: UUID) -> A | None:
        """A private copy of the cached record, or None if this process has none."""
        aggregate = self._peek(uid)
        return detached(aggregate) if isinstance(aggregate, cls) else None

    def _existing(self, cls: type[A], ident: object) -> A:
        """A record whose existence (or what never changes about it) is all a command needs."""
        return self._get(cls, ident, fresh=False, copy=False)

    def source(self, ident: object) -> Source:
        return self.load(Source, ident)

    def figure(self, ident: object, version: int | None = None) -> Figure:
        return self.load(Figure, ident, version)

    # ---- commands ----------------------------------------------------------------------

    def register_source(self, actor: str, *, request_key: str | None = None, **fields: Any) -> dict[str, Any]:
        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            source = Source.register(actor, **fields)
            return {"source_id": str(source.id), "version": source.version}, [source]

        return self._run(actor, request_key, "register_source", fields, work)

    def change_source_protection(
        self, actor: str, source_id: str, *, protected: bool, reason: str,
        expected_version: int | None = None, request_key: str | None = None,
    ) -> dict[str, Any]:
        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            source = self._expect(self._get(Source, source_id, fresh=fresh), expected_version)
            source.change_protection(actor, protected=protected, reason=reason)
            return {"source_id": str(source.id), "version": source.version}, [source]

        args = {"source_id": source_id, "protected": protected, "reason": reason, "expected_version": expected_version}
        return self._run(actor, request_key, "change_source_protection", args, work, additive=False)

    def record_incident(self, actor: str, *, request_key: str | None = None, **fields: Any) -> dict[str, Any]:
        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            incident = Incident.record(actor, **fields)
            return {"incident_id": str(incident.id), "version": incident.version}, [incident]

        return self._run(actor, request_key, "record_incident", fields, work)

    def revise_incident_period(
        self, actor: str, incident_id: str, *, valid_from: str, valid_to: str | None, reason: str,
        expected_version: int | None = None, request_key: str | None = None,
    ) -> dict[str, Any]:
        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            incident = self._expect(self._get(Incident, incident_id, fresh=fresh), expected_version)
            incident.revise_period(actor, valid_from=valid_from, valid_to=valid_to, reason=reason)
            return {"incident_id": str(incident.id), "version": incident.version}, [incident]

        args = {"incident_id": incident_id, "valid_from": valid_from, "valid_to": valid_to, "reason": reason,
                "expected_version": expected_version}
        return self._run(actor, request_key, "revise_incident_period", args, work, additive=False)

    def file_report(
        self, actor: str, *, source_id: str, figures: Iterable[dict[str, Any]] = (),
        request_key: str | None = None, **fields: Any,
    ) -> dict[str, Any]:
        """File a report and record each figure it states as its source's claim.

        ``figures`` items: ``incident_id``, ``metric``, ``breakdown`` (dimension: slug),
        ``value`` (see Count.parse) and optionally ``adopt`` (make this claim the figure's
        current value; the first statement of a figure always is), which needs a ``reason``
        and may cite ``evidence`` (citation ids).
        """
        statements = self._statements(figures)

        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate | Figure.Claimed]]:
            source = self._existing(Source, source_id)
            changed: list[Aggregate | Figure.Claimed] = []
            versions: list[dict[str, Any]] = []
            for i, s in enumerate(statements):
                self._existing(Incident, s["incident_id"])
                self._check_evidence(s["evidence"], f"figures[{i}].evidence")
            ids = [figure_id(s["incident_id"], s["metric"], s["breakdown"]) for s in statements]
            if len(set(ids)) != len(ids):
                raise InvalidInput("a report states each figure once; two items share incident, metric and breakdown",
                                   field="figures")
            report = Report.file(actor, source_id=str(source.id), figure_ids=[str(i) for i in ids], **fields)
            claim = {"source_id": str(source.id), "report_id": str(report.id)}
            for fid, s in zip(ids, statements):
                # A claim needs the figure's version and nothing else: from the cache, or else
                # from its last stored event, never by replaying a long history (which is also
                # how a new figure is found new with one SELECT).
                figure = None if fresh else self._cached(Figure, fid)
                if figure is not None:
                    figure.claim(actor, value=s["value"], adopt=s["adopt"], reason=s["reason"],
                                 evidence=s["evidence"], **claim)
                    changed.append(figure)
                    version = figure.version
                elif last := self._stored(fid, desc=True, limit=1):
                    event = Figure.claim_at(fid, last[0].originator_version, actor, value=s["value"],
                                            adopt=s["adopt"], reason=s["reason"], evidence=s["evidence"], **claim)
                    changed.append(event)
                    version = event.originator_version
                else:
                    figure = Figure.state(actor, incident_id=s["incident_id"], metric=s["metric"],
                                          breakdown=s["breakdown"], value=s["value"], **claim)
                    changed.append(figure)
                    version = figure.version
                versions.append({"figure_id": str(fid), "version": version})
            return {"report_id": str(report.id), "figures": versions}, [report, *changed]

        # An adoption's reason and evidence only when given, so a request key sent before they existed still matches.
        args = {"source_id": source_id, "figures": [
            {**{k: v for k, v in s.items() if v or k not in ("reason", "evidence")}, "value": s["value"].as_dict()}
            for s in statements], **fields}
        return self._run(actor, request_key, "file_report", args, work)

    def correct_figure(
        self, actor: str, figure_id: str, *, value: Any, reason: str, evidence: Sequence[str] = (),
        expected_version: int | None = None, request_key: str | None = None,
    ) -> dict[str, Any]:
        count = value if isinstance(value, Count) else Count.parse(value)
        evidence = checks.text_list(list(evidence), "evidence")

        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            figure = self._expect(self._get(Figure, figure_id, fresh=fresh), expected_version)
            self._check_evidence(evidence)
            figure.correct(actor, value=count, reason=reason, evidence=list(evidence))
            return self._figure_result(figure), [figure]

        args = {"figure_id": figure_id, "value": count.as_dict(), "reason": reason, "evidence": evidence,
                "expected_version": expected_version}
        return self._run(actor, request_key, "correct_figure", args, work, additive=False)

    def supersede_figure(
        self, actor: str, figure_id: str, *, source_id: str, report_id: str, value: Any, reason: str,
        replaces: Sequence[str] | None = None, evidence: Sequence[str] = (), expected_version: int | None = None,
        request_key: str | None = None,
    ) -> dict[str, Any]:
        count = value if isinstance(value, Count) else Count.parse(value)
        evidence = checks.text_list(list(evidence), "evidence")

        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            figure = self._expect(self._get(Figure, figure_id, fresh=fresh), expected_version)
            source = self._existing(Source, source_id)
            report = self._existing(Report, report_id)
            if report.source_id != str(source.id):
                raise InvalidInput(f"report {report_id} is not from source {source_id}", field="report_id")
            self._check_evidence(evidence)
            figure.supersede(actor, source_id=str(source.id), report_id=str(report.id), value=count,
                             reason=reason, replaces=None if replaces is None else list(replaces), evidence=evidence)
            return self._figure_result(figure), [figure]

        args = {"figure_id": figure_id, "source_id": source_id, "report_id": report_id, "value": count.as_dict(),
                "reason": reason, "replaces": replaces, "expected_version": expected_version}
        if evidence:  # only when given, so a request key sent before evidence existed still matches
            args["evidence"] = evidence
        return self._run(actor, request_key, "supersede_figure", args, work, additive=False)

    def retract_figure(
        self, actor: str, figure_id: str, *, reason: str, expected_version: int | None = None,
        request_key: str | None = None,
    ) -> dict[str, Any]:
        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            figure = self._expect(self._get(Figure, figure_id, fresh=fresh), expected_version)
            figure.retract(actor, reason=reason)
            return self._figure_result(figure), [figure]

        args = {"figure_id": figure_id, "reason": reason, "expected_version": expected_version}
        return self._run(actor, request_key, "retract_figure", args, work, additive=False)

    def grade_figure(
        self, actor: str, figure_id: str, *, grade: str, reason: str, expected_version: int | None = None,
        request_key: str | None = None,
    ) -> dict[str, Any]:
        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            figure = self._expect(self._get(Figure, figure_id, fresh=fresh), expected_version)
            figure.regrade(actor, grade=grade, reason=reason)
            return self._figure_result(figure), [figure]

        args = {"figure_id": figure_id, "grade": grade, "reason": reason, "expected_version": expected_version}
        return self._run(actor, request_key, "grade_figure", args, work, additive=False)

    def cite(
        self, actor: str, *, target_id: str, source_id: str, request_key: str | None = None, **fields: Any,
    ) -> dict[str, Any]:
        """Cite a source document for a report or a figure (the target's kind is looked up)."""

        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            source = self._existing(Source, source_id)
            kind = self._target_kind(target_id)
            citation = Citation.cite(actor, target_kind=kind, target_id=str(_uuid(target_id, kind)),
                                     source_id=str(source.id), **fields)
            return {"citation_id": str(citation.id), "target_kind": kind, "version": citation.version}, [citation]

        args = {"target_id": target_id, "source_id": source_id, **fields}
        return self._run(actor, request_key, "cite", args, work)

    def withdraw_citation(
        self, actor: str, citation_id: str, *, reason: str, expected_version: int | None = None,
        request_key: str | None = None,
    ) -> dict[str, Any]:
        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            citation = self._expect(self._get(Citation, citation_id, fresh=fresh), expected_version)
            citation.withdraw(actor, reason=reason)
            return {"citation_id": str(citation.id), "version": citation.version}, [citation]

        args = {"citation_id": citation_id, "reason": reason, "expected_version": expected_version}
        return self._run(actor, request_key, "withdraw_citation", args, work, additive=False)

    def issue_key(self, actor: str, *, owner: str, role: str) -> tuple[str, dict[str, Any]]:
        """Issue an access key; the key itself is returned once and never stored."""
        key = new_key()
        access = AccessKey.issue(actor, owner=owner, role=role, key=key)
        self._save(access)
        return key, {"key_id": str(access.id), "owner": access.owner, "role": access.role}

    def revoke_key(self, actor: str, key_id_: str, *, reason: str) -> dict[str, Any]:
        access = self.load(AccessKey, key_id_)
        access.revoke(actor, reason=reason)
        self._save(access)
        return {"key_id": str(access.id), "version": access.version}

    def authenticate(self, key: str) -> AccessKey | None:
        """The live key a presented secret belongs to, or None: one lookup, no scan."""
        try:
            # Fresh (a revocation from another process must count at once), but not copied.
            access = self._get(AccessKey, key_id(key), copy=False)
        except NotFound:
            return None
        return access if access.matches(key) else None

    # ---- the machinery every command shares --------------------------------------------

    @staticmethod
    def _statements(figures: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        if isinstance(figures, (str, bytes, dict)):
            raise InvalidInput("figures must be a list of figure statements", field="figures")
        statements = []
        for item in figures:
            if not isinstance(item, dict):
                raise InvalidInput("each figure statement must be an object", field="figures")
            unknown = set(item) - {"incident_id", "metric", "breakdown", "value", "adopt", "reason", "evidence"}
            if unknown:
                raise InvalidInput(f"unknown figure fields: {', '.join(sorted(unknown))}", field="figures")
            incident_id = item.get("incident_id")
            if not isinstance(incident_id, str):
                raise InvalidInput("each figure statement needs the incident_id it is about", field="incident_id")
            statements.append({
                "incident_id": str(_uuid(incident_id, "incident")),
                "metric": vocabulary.check_metric(item.get("metric")),
                "breakdown": vocabulary.check_breakdown(item.get("breakdown")),
                "value": Count.parse(item.get("value")),
            })
            try:
                adopted, reason, evidence = adoption(item.get("adopt", False), item.get("reason"),
                                                     item.get("evidence"))
            except InvalidInput as e:  # named as the API's own checks name it, beside its row
                raise InvalidInput(e.message, field=f"figures[{len(statements) - 1}].{e.field}") from None
            statements[-1].update({"adopt": adopted, "reason": reason, "evidence": evidence})
        return statements

    def _check_evidence(self, evidence: Sequence[str], field: str = "evidence") -> None:
        for citation_id in evidence:
            # Not saved by the command, so nothing would catch a stale "not withdrawn": read fresh.
            if self._get(Citation, citation_id, copy=False).withdrawn:
                raise InvalidInput(f"citation {citation_id} was withdrawn and cannot be evidence", field=field)

    def _target_kind(self, target_id: str) -> str:
        # Whether the target is a figure or a report never changes, and the cache or the
        # topic of its first stored event says which, without replaying a hot figure.
        uid = _uuid(target_id, "report or figure")
        if (cached := self._peek(uid)) is not None:
            kind = KINDS.get(type(cached))
            if kind in ("figure", "report"):
                return kind
            raise NotFound("report or figure", target_id)
        first = self._stored(uid, limit=1)
        kind = TARGET_KINDS.get(get_topic(type(first[0]))) if first else None
        if kind is None:
            raise NotFound("report or figure", target_id)
        return kind

    @staticmethod
    def _expect(aggregate: A, expected_version: int | None) -> A:
        expected_version = checks.version(expected_version)
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict(KINDS[type(aggregate)], aggregate.id, expected_version, aggregate.version)
        return aggregate

    @staticmethod
    def _figure_result(figure: Figure) -> dict[str, Any]:
        return {"figure_id": str(figure.id), "version": figure.version}

    def _receipt(self, actor: str, request_key: str) -> Receipt | None:
        # A receipt never changes once recorded: a cached one is the answer. One that is not
        # cached may have been recorded by another process, so the store is asked.
        try:
            return self._existing(Receipt, receipt_id(actor, request_key))
        except NotFound:
            return None

    def _save(self, *changes: Aggregate | Aggregate.Event) -> None:
        """Save aggregates' pending events, and events made without loading their aggregate."""
        # Application.save, less its per-object isinstance checks against the library's
        # runtime Protocols (slow on CPython 3.11).
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        for change in changes:
            if isinstance(change, Aggregate):
                processing.events.extend(change.collect_events())
                processing.aggregates[change.id] = change
            else:
                processing.events.append(change)
        self._notify(self._record(processing))
        self._take_snapshots(processing)
        # The saved copies are now exactly what is stored: cache them, so the next command
        # on the same records neither replays nor fast-forwards them. (The library caches
        # on save only when fast-forwarding is off.) Only ever after the commit, so the
        # cache can lag the store (another process wrote) but never run ahead of it.
        cache = self.repository.cache
        if cache is not None:
            for aggregate in processing.aggregates.values():
                cache.put(aggregate.id, aggregate)
        # A cached copy of a record changed by a lone event is now behind: drop it.
        self._forget([c for c in changes if not isinstance(c, Aggregate)])

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        # The saved figure is in hand at the snapshot's version: snapshot it as it is rather
        # than reading it back from the store, as the library does.
        if self.snapshots is None:
            return
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            # A claim saved on its own (file_report on an uncached figure) has no aggregate in hand.
            cls = Figure if aggregate is None and isinstance(event, Figure.Claimed) else type(aggregate)
            interval = self.snapshotting_intervals.get(cls)
            if interval is None or event.originator_version % interval:
                continue
            # A snapshot only saves work on later loads, and by now the command is committed:
            # failing to store one must not turn a recorded command into an error.
            try:
                if aggregate is not None and aggregate.version == event.originator_version:
                    self.snapshots.put([Aggregate.Snapshot.take(aggregate)])
                else:
                    self.take_snapshot(event.originator_id, event.originator_version, replay)
            except Exception:  # noqa: BLE001
                log.warning("could not store a snapshot of %s", event.originator_id, exc_info=True)

    def _run(
        self, actor: str, request_key: str | None, command: str, arguments: dict[str, Any], work: Work,
        *, additive: bool = True,
    ) -> dict[str, Any]:
        """Run a command's work and save what it made, at most once per request key.

        A race lost on the save is retried only for additive commands; for the others the
        caller learns the current version and decides again, so no change is lost silently.
        """
        actor = checks.actor(actor)
        digest = None
        if request_key is not None:
            request_key = checks.text(request_key, "request_key", max_length=MAX_REQUEST_KEY)
            digest = fingerprint(command, arguments)
            # Before the work, only this process's cache is asked (no read): a request whose
            # receipt is stored but not cached here still records nothing, because its save
            # carries the same receipt (same id, version 1) and so fails on the store's unique
            # (id, version); every failure below then asks the store for the receipt and
            # answers with the first response.
            if isinstance(earlier := self._peek(receipt_id(actor, request_key)), Receipt):
                return earlier.replay(digest)
        # The first attempt trusts the cache for the records it changes (no read at all on a
        # hit). If it is refused, or its save loses on a version, the cache may have been
        # stale (another process wrote): the work is done once more on fresh reads, and only
        # that attempt's outcome counts, exactly as if the cache had not been there.
        fresh = False
        attempts = ADDITIVE_RETRIES if additive else 1
        while True:
            try:
                result, aggregates = work(fresh)
            except LedgerError:
                # The twin of this request may have committed between our receipt check and
                # our work (which then fails on its changes): the first answer is the answer.
                if request_key is not None and (earlier := self._receipt(actor, request_key)) is not None:
                    return earlier.replay(digest)
                if not fresh:
                    fresh = True
                    continue
                raise
            receipt = [] if request_key is None else [Receipt.issue(actor, request_key, command, digest, result)]
            try:
                self._save(*aggregates, *receipt)
            except IntegrityError:
                if request_key is not None and (earlier := self._receipt(actor, request_key)) is not None:
                    return earlier.replay(digest)
                self._forget(aggregates)
                if not fresh:
                    fresh = True
                    continue
                attempts -= 1
                if attempts > 0:
                    continue
                self._raise_conflict(aggregates, arguments.get("expected_version"))
                raise
            return result

    def _forget(self, changes: Sequence[Aggregate | Aggregate.Event]) -> None:
        """Drop the records these changes were made on from the cache."""
        for change in changes:
            self._peek(change.id if isinstance(change, Aggregate) else change.originator_id, evict=True)

    def _raise_conflict(self, changes: Sequence[Aggregate | Aggregate.Event], expected: int | None) -> None:
        # Only the changed record can have moved under us: the others were created here.
        for change in changes:
            if isinstance(change, Figure.Claimed):  # a claim saved without its figure
                cls, uid = Figure, change.originator_id
            else:
                cls, uid = type(change), getattr(change, "id", None)
            if cls not in KINDS:
                continue
            try:
                stored = self._get(cls, uid, copy=False)
            except NotFound:
                continue
            raise VersionConflict(KINDS[cls], uid, expected, stored.version)
