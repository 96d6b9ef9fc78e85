"""A figure: one count about one incident, for one metric, one breakdown and one population.

Its identity is (incident, metric, breakdown, population), so two reports stating "children killed by
Russian forces" in the same incident land on the same figure, each as the claim of its
source. The population is the whole counted one unless the source counts a subset of it
(those identified, verified, named: ledger/vocabulary.py). The figure keeps every source's latest claim and the ledger's current value,
which moves only by the first statement, an adopted claim, a correction or a supersession,
each recorded with who and why. Every judgement (adopting a claim, correcting, superseding,
retracting, grading) carries a reason and may cite evidence (citation ids). Officers working on different figures never touch the
same aggregate, so they never conflict.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from eventsourcing.domain import Aggregate

from ledger import checks, vocabulary
from ledger.errors import InvalidInput
from ledger.event import LedgerCreated, LedgerEvent
from ledger.value import Count

FIGURE_NAMESPACE = uuid.UUID("6f1c4a52-5b8e-4d39-9a57-3c2f0e7d9b11")

ACTIVE = "active"
RETRACTED = "retracted"


def figure_id(incident_id: str, metric: str, breakdown: dict[str, str],
              population: str = vocabulary.WHOLE_POPULATION) -> uuid.UUID:
    """The figure's id follows from what it counts, so equal statements meet on one figure.

    The whole population's figures keep the ids they had before populations existed.
    """
    what: list[object] = [incident_id, metric, breakdown]
    if population != vocabulary.WHOLE_POPULATION:
        what.append(population)
    key = orjson.dumps(what, option=orjson.OPT_SORT_KEYS)
    return uuid.uuid5(FIGURE_NAMESPACE, key.decode())


def _claim(event: Figure.Stated | Figure.Claimed | Figure.Superseded) -> dict[str, Any]:
    return {
        "report_id": event.report_id,
        "value": event.value,
        "version": event.originator_version,
        "recorded_at": event.timestamp.isoformat(),
        "superseded": False,
    }


def adoption(adopt: object, reason: object = None, evidence: object = None) -> tuple[bool, str | None, list[str]]:
    """Whether a claim is adopted, and the reason and evidence of that judgement.

    Adopting a claim sets another source's word above the figure's current value, so it says
    why; a claim that is not adopted judges nothing and carries neither.
    """
    adopted = checks.flag(adopt, "adopt")
    if adopted:
        return True, checks.reason(reason), checks.text_list(evidence, "evidence")
    if reason is not None or evidence:
        raise InvalidInput("a reason and evidence go with adopt: true; a claim that is not adopted judges nothing",
                           field="reason" if reason is not None else "evidence")
    return False, None, []


def _claim_fields(
    actor: str, source_id: str, report_id: str, value: Count, adopt: object, reason: object, evidence: object,
) -> dict[str, Any]:
    adopted, reason, evidence = adoption(adopt, reason, evidence)
    return {"actor": checks.actor(actor), "source_id": source_id, "report_id": report_id, "value": value.as_dict(),
            "adopted": adopted, "reason": reason, "evidence": evidence}


class Figure(Aggregate):
    #: Snapshots v2 hold the ``population``; a v1 snapshot is of a whole-population figure.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["population"] = vocabulary.WHOLE_POPULATION

    class Stated(LedgerCreated):
        """Schema v2 added the ``population`` counted (v1 statements read as the whole, ``counted``)."""

        class_version = 2
        incident_id: str
        metric: str
        breakdown: dict[str, str]
        population: str
        source_id: str
        report_id: str
        value: dict[str, Any]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["population"] = vocabulary.WHOLE_POPULATION

        def apply(self, figure: Figure) -> None:
            figure.claims[self.source_id] = _claim(self)

    class Claimed(LedgerEvent):
        """Schema v2 added the adoption's ``reason`` and ``evidence`` (v1 claims read as None and [])."""

        class_version = 2
        source_id: str
        report_id: str
        value: dict[str, Any]
        adopted: bool
        reason: str | None
        evidence: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reason"] = None
            state["evidence"] = []

        def apply(self, figure: Figure) -> None:
            figure.claims[self.source_id] = _claim(self)
            if self.adopted:
                figure.current = self.value

    class Corrected(LedgerEvent):
        value: dict[str, Any]
        reason: str
        evidence: list[str]

        def apply(self, figure: Figure) -> None:
            figure.current = self.value
            figure.status = ACTIVE

    class Superseded(LedgerEvent):
        """Schema v2 added ``evidence`` (v1 supersessions read as citing none)."""

        class_version = 2
        source_id: str
        report_id: str
        value: dict[str, Any]
        reason: str
        replaces: list[str]
        evidence: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["evidence"] = []

        def apply(self, figure: Figure) -> None:
            # Replace the claim rather than change it in place: cached figures are shared
            # one level deep (ledger/replay.py, detached).
            for source_id in self.replaces:
                figure.claims[source_id] = {**figure.claims[source_id], "superseded": True}
            figure.claims[self.source_id] = _claim(self)
            figure.current = self.value
            figure.status = ACTIVE

    class Retracted(LedgerEvent):
        """Schema v2 added ``evidence`` (v1 retractions read as citing none)."""

        class_version = 2
        reason: str
        evidence: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["evidence"] = []

        def apply(self, figure: Figure) -> None:
            figure.status = RETRACTED

    class Regraded(LedgerEvent):
        """Schema v2 added ``evidence`` (v1 gradings read as citing none)."""

        class_version = 2
        grade: str
        reason: str
        evidence: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["evidence"] = []

        def apply(self, figure: Figure) -> None:
            figure.grade = self.grade

    def __init__(
        self, *, actor: str, incident_id: str, metric: str, breakdown: dict[str, str],
        population: str, value: dict[str, Any],
    ) -> None:
        self.stated_by = actor
        self.incident_id = incident_id
        self.metric = metric
        self.breakdown = dict(breakdown)
        self.population = population
        self.current: dict[str, Any] = value
        self.status = ACTIVE
        self.grade = "unassessed"
        # Filled by Stated.apply, which (unlike __init__) sees the event's timestamp.
        self.claims: dict[str, dict[str, Any]] = {}

    @property
    def value(self) -> Count:
        return Count.from_dict(self.current)

    @classmethod
    def state(
        cls, actor: str, *, incident_id: str, metric: object, breakdown: object, source_id: str,
        report_id: str, value: Count, population: object = None,
    ) -> Figure:
        # metric, breakdown and population come checked against the recorded vocabulary
        # (ledger/report.py, figure_statements): what the words mean is the vocabulary's record.
        population = vocabulary.WHOLE_POPULATION if population is None else population
        return cls._create(
            cls.Stated,
            id=figure_id(incident_id, metric, breakdown, population),
            actor=checks.actor(actor),
            incident_id=incident_id,
            metric=metric,
            breakdown=breakdown,
            population=population,
            source_id=source_id,
            report_id=report_id,
            value=value.as_dict(),
        )

    def claim(
        self, actor: str, *, source_id: str, report_id: str, value: Count, adopt: bool = False,
        reason: str | None = None, evidence: list[str] | None = None,
    ) -> None:
        self.trigger_event(self.Claimed, **_claim_fields(actor, source_id, report_id, value, adopt, reason, evidence))

    @classmethod
    def claim_at(
        cls, figure: uuid.UUID, version: int, actor: str, *, source_id: str, report_id: str, value: Count,
        adopt: bool = False, reason: str | None = None, evidence: list[str] | None = None,
    ) -> Figure.Claimed:
        """The claim a source makes on a figure known only by its id and current version.

        Nothing in a claim depends on the figure's state but its version, so a report on a
        figure with a long history need not replay that history to add its claim.
        """
        return cls.Claimed(
            originator_id=figure, originator_version=version + 1, timestamp=cls.Claimed.create_timestamp(),
            **_claim_fields(actor, source_id, report_id, value, adopt, reason, evidence),
        )

    def correct(self, actor: str, *, value: Count, reason: object, evidence: list[str]) -> None:
        if value.as_dict() == self.current and self.status == ACTIVE:
            raise InvalidInput(
                f"the figure already reads {value.describe()}; a correction must change the value",
                field="value",
            )
        self.trigger_event(
            self.Corrected, actor=checks.actor(actor), value=value.as_dict(),
            reason=checks.reason(reason), evidence=checks.text_list(evidence, "evidence"),
        )

    def supersede(
        self, actor: str, *, source_id: str, report_id: str, value: Count, reason: object,
        replaces: list[str] | None = None, evidence: object = None,
    ) -> None:
        """A later source or an investigation replaces earlier claims (all others, unless named)."""
        live = [s for s, c in self.claims.items() if not c["superseded"] and s != source_id]
        if replaces is None:
            replaces = live
        unknown = [s for s in replaces if s not in live]
        if unknown:
            raise InvalidInput(
                f"no live claim of source(s) {', '.join(unknown)} on this figure to supersede",
                field="replaces",
            )
        self.trigger_event(
            self.Superseded, actor=checks.actor(actor), source_id=source_id, report_id=report_id,
            value=value.as_dict(), reason=checks.reason(reason), replaces=sorted(replaces),
            evidence=checks.text_list(evidence, "evidence"),
        )

    def retract(self, actor: str, *, reason: object, evidence: object = None) -> None:
        if self.status == RETRACTED:
            raise InvalidInput("the figure is already retracted", field="figure_id")
        self.trigger_event(self.Retracted, actor=checks.actor(actor), reason=checks.reason(reason),
                           evidence=checks.text_list(evidence, "evidence"))

    def regrade(self, actor: str, *, grade: object, reason: object, evidence: object = None) -> None:
        grade = vocabulary.check_grade(grade)
        if grade == self.grade:
            raise InvalidInput(f"the figure is already graded {grade!r}", field="grade")
        self.trigger_event(self.Regraded, actor=checks.actor(actor), grade=grade, reason=checks.reason(reason),
                           evidence=checks.text_list(evidence, "evidence"))
