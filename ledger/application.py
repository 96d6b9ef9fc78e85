"""The ledger's application service: the commands officers give, and reads of single records.

Every command validates everything first, then saves all the events it makes in one
transaction, or nothing. Commands that change a figure take the version the officer saw
(``expected_version``); if someone else changed the figure meanwhile, the command fails
with VersionConflict naming the current version, and nothing is recorded. A command sent
with a request key records at most once, whichever process the retry reaches.

How records are read (this process's cache, snapshots, the audit trail's check) is
ledger/loading.py; how a command's work is saved, at most once and without losing an
update, is ledger/once.py. This module holds what each command does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from ledger import checks, vocabulary
from ledger.access import AccessKey, key_id, new_key
from ledger.citation import Citation
from ledger.errors import InvalidInput, NotFound
from ledger.figure import Figure, figure_id
from ledger.incident import Incident
from ledger.once import ADDITIVE_RETRIES, AtMostOnce
from ledger.report import Report, figure_statements
from ledger.source import Source
from ledger.terms import BUILT_IN_ACTOR, VOCABULARY_ID, TermCheck, Vocabulary, built_in_terms, define_built_ins
from ledger.value import Count


class Ledger(AtMostOnce):
    name = "Ledger"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The words commands (and the read side, api/bootstrap.py) are checked against: the recorded vocabulary.
        self.terms = TermCheck(self._recorded_terms)

    # ---- the vocabulary (ledger/terms.py) ----------------------------------------------

    def _recorded_terms(self) -> dict[str, dict[str, Any]]:
        try:
            return self._get(Vocabulary, VOCABULARY_ID, copy=False).terms
        except NotFound:  # a store older than the vocabulary, before `ledger init` records it
            return built_in_terms()

    def vocabulary(self) -> Vocabulary:
        """The vocabulary as stored now (NotFound before `ledger init` has recorded it)."""
        return self._get(Vocabulary, VOCABULARY_ID, copy=False)

    def _vocabulary_record(self, fresh: bool) -> Vocabulary:
        """The vocabulary to change, opened with its built-ins if it was never recorded."""
        try:
            return self._get(Vocabulary, VOCABULARY_ID, fresh=fresh)
        except NotFound:
            vocabulary_ = Vocabulary.open(BUILT_IN_ACTOR)
            define_built_ins(vocabulary_)
            return vocabulary_

    def record_built_ins(self) -> int:
        """Record the built-in terms the vocabulary lacks (``ledger init``, ``seed``, ``serve``); how many.

        Several processes may do this at once: the store's unique (id, version) lets one save,
        and the others then read the terms defined, so each is recorded exactly once.
        """
        for _ in range(ADDITIVE_RETRIES):
            try:
                vocabulary_ = self._get(Vocabulary, VOCABULARY_ID)
            except NotFound:
                vocabulary_ = Vocabulary.open(BUILT_IN_ACTOR)
            added = define_built_ins(vocabulary_)
            if not added:
                return 0
            try:
                self._save(vocabulary_)
            except IntegrityError:  # another process recorded them first: read what it did
                self._forget([vocabulary_])
                continue
            self.terms.terms(reload=True)
            return added
        raise RuntimeError("could not record the built-in vocabulary: other writers kept changing it")

    def define_term(self, actor: str, *, request_key: str | None = None, **fields: Any) -> dict[str, Any]:
        """Define a term (ledger/terms.py, ``Vocabulary.define``: kind, code, reason, definition, labels...)."""
        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            vocabulary_ = self._vocabulary_record(fresh)
            key = vocabulary_.define(actor, **fields)
            return {"term": key, "version": vocabulary_.terms[key]["version"]}, [vocabulary_]

        result = self._run(actor, request_key, "define_term", fields, work)
        self.terms.terms(reload=True)
        return result

    def revise_term(
        self, actor: str, term: str, *, reason: str, expected_version: int | None = None,
        request_key: str | None = None, **changes: Any,
    ) -> dict[str, Any]:
        """Change what a term says; ``expected_version`` is the term's own version (If-Match)."""
        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            vocabulary_ = self._vocabulary_record(fresh)
            vocabulary_.revise(actor, term, reason=reason, expected_version=checks.version(expected_version),
                               **changes)
            return {"term": term, "version": vocabulary_.terms[term]["version"]}, [vocabulary_]

        # Retried on a race like a command that adds: each attempt checks the term's own version,
        # so a retry never overwrites a revision the officer did not see.
        args = {"term": term, "reason": reason, "expected_version": expected_version, **changes}
        result = self._run(actor, request_key, "revise_term", args, work)
        self.terms.terms(reload=True)
        return result

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
        ``population`` (default the whole counted one: ledger/vocabulary.py), ``value`` (see Count.parse) and optionally ``adopt`` (make this claim the figure's
        current value; the first statement of a figure always is), which needs a ``reason``
        and may cite ``evidence`` (citation ids).
        """
        statements = figure_statements(figures, self.terms)

        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate | Figure.Claimed]]:
            source, ids, report = self._report(actor, source_id, statements, fields)
            changed: list[Aggregate | Figure.Claimed] = []
            versions: list[dict[str, Any]] = []
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
                                          breakdown=s["breakdown"], population=s["population"],
                                          value=s["value"], **claim)
                    changed.append(figure)
                    version = figure.version
                versions.append({"figure_id": str(fid), "version": version})
            return {"report_id": str(report.id), "figures": versions}, [report, *changed]

        # An adoption's reason and evidence, and a population other than the whole, only when given,
        # so a request key sent before they existed still matches.
        args = {"source_id": source_id, "figures": [
            {**{k: v for k, v in s.items() if _fingerprinted(k, v)}, "value": s["value"].as_dict()}
            for s in statements], **fields}
        return self._run(actor, request_key, "file_report", args, work)

    def check_report(
        self, actor: str, *, source_id: str, figures: Iterable[dict[str, Any]] = (),
        creating: Collection[str] = (), **fields: Any,
    ) -> None:
        """Raise what ``file_report`` would refuse these arguments with, recording nothing.

        For callers that must know a batch of reports is good before recording any (imports).
        Whether a later statement may be adopted depends on the figure's state then, which never
        refuses a report: the check is complete. ``creating``: ids of sources and incidents the
        caller will register or record before filing (an import into an empty ledger), taken as
        existing.
        """
        self._report(actor, source_id, figure_statements(figures, self.terms), fields, frozenset(creating))

    def _report(
        self, actor: str, source_id: str, statements: list[dict[str, Any]], fields: dict[str, Any],
        creating: frozenset[str] = frozenset(),
    ) -> tuple[Source | None, list[UUID], Report]:
        source = None if str(source_id) in creating else self._existing(Source, source_id)
        for i, s in enumerate(statements):
            if str(s["incident_id"]) not in creating:
                self._existing(Incident, s["incident_id"])
            self._check_evidence(s["evidence"], f"figures[{i}].evidence")
        ids = [figure_id(s["incident_id"], s["metric"], s["breakdown"], s["population"]) for s in statements]
        if len(set(ids)) != len(ids):
            raise InvalidInput("a report states each figure once; two items share incident, metric, breakdown and"
                               " population",
                               field="figures")
        report = Report.file(actor, source_id=str(source_id if source is None else source.id),
                             figure_ids=[str(i) for i in ids], **fields)
        return source, ids, report

    def correct_figure(
        self, actor: str, figure_id: str, *, value: Any, reason: str, evidence: Sequence[str] = (),
        expected_version: int | None = None, request_key: str | None = None,
    ) -> dict[str, Any]:
        count = Count.parse(value)
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
        count = Count.parse(value)
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
        self, actor: str, figure_id: str, *, reason: str, evidence: Sequence[str] = (),
        expected_version: int | None = None, request_key: str | None = None,
    ) -> dict[str, Any]:
        evidence = checks.text_list(list(evidence), "evidence")

        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            figure = self._expect(self._get(Figure, figure_id, fresh=fresh), expected_version)
            self._check_evidence(evidence)
            figure.retract(actor, reason=reason, evidence=evidence)
            return self._figure_result(figure), [figure]

        args = {"figure_id": figure_id, "reason": reason, "expected_version": expected_version}
        if evidence:  # only when given, so a request key sent before evidence existed still matches
            args["evidence"] = evidence
        return self._run(actor, request_key, "retract_figure", args, work, additive=False)

    def grade_figure(
        self, actor: str, figure_id: str, *, grade: str, reason: str, evidence: Sequence[str] = (),
        expected_version: int | None = None, request_key: str | None = None,
    ) -> dict[str, Any]:
        evidence = checks.text_list(list(evidence), "evidence")

        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            figure = self._expect(self._get(Figure, figure_id, fresh=fresh), expected_version)
            self._check_evidence(evidence)
            figure.regrade(actor, grade=grade, reason=reason, evidence=evidence)
            return self._figure_result(figure), [figure]

        args = {"figure_id": figure_id, "grade": grade, "reason": reason, "expected_version": expected_version}
        if evidence:  # as for a retraction
            args["evidence"] = evidence
        return self._run(actor, request_key, "grade_figure", args, work, additive=False)

    def cite(
        self, actor: str, *, target_id: str, source_id: str, request_key: str | None = None, **fields: Any,
    ) -> dict[str, Any]:
        """Cite a source document for a report or a figure (the target's kind is looked up)."""

        def work(fresh: bool) -> tuple[dict[str, Any], list[Aggregate]]:
            source = self._existing(Source, source_id)
            kind = self._target_kind(target_id)
            citation = Citation.cite(actor, target_kind=kind, target_id=str(checks.record_id(target_id, kind)),
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

    def _check_evidence(self, evidence: Sequence[str], field: str = "evidence") -> None:
        for citation_id in evidence:
            # Not saved by the command, so nothing would catch a stale "not withdrawn": read fresh.
            if self._get(Citation, citation_id, copy=False).withdrawn:
                raise InvalidInput(f"citation {citation_id} was withdrawn and cannot be evidence", field=field)

    @staticmethod
    def _figure_result(figure: Figure) -> dict[str, Any]:
        return {"figure_id": str(figure.id), "version": figure.version}


def _fingerprinted(key: str, value: Any) -> bool:
    """Whether a statement's field goes into its request's fingerprint (fields added since keep old keys valid)."""
    if key in ("reason", "evidence"):
        return bool(value)
    if key == "population":
        return value != vocabulary.WHOLE_POPULATION
    return True
