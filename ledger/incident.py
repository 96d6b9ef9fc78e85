"""An incident: what happened, where, and when (valid time).

"When" is a date or a period, kept apart from any report's publication date and from the
time the ledger recorded anything. An open end (``valid_to`` None) means "and continuing,
as far as the sources say".
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from ledger import checks
from ledger.event import LedgerCreated, LedgerEvent
from ledger.limits import MAX_TITLE


class Incident(Aggregate):
    class Recorded(LedgerCreated):
        title: str
        title_en: str | None
        places: list[str]
        valid_from: str
        valid_to: str | None
        description: str | None

    class PeriodRevised(LedgerEvent):
        valid_from: str
        valid_to: str | None
        reason: str

        def apply(self, incident: Incident) -> None:
            incident.valid_from = self.valid_from
            incident.valid_to = self.valid_to

    def __init__(
        self, *, actor: str, title: str, title_en: str | None, places: list[str],
        valid_from: str, valid_to: str | None, description: str | None,
    ) -> None:
        self.recorded_by = actor
        self.title = title
        self.title_en = title_en
        self.places = list(places)
        self.valid_from = valid_from
        self.valid_to = valid_to
        self.description = description

    @classmethod
    def record(
        cls, actor: str, *, title: object, valid_from: object, valid_to: object = None,
        places: object = None, title_en: object = None, description: object = None,
    ) -> Incident:
        start, end = checks.period(valid_from, valid_to, "valid_from", "valid_to", start_required=True)
        return cls._create(
            cls.Recorded,
            actor=checks.actor(actor),
            title=checks.text(title, "title", max_length=MAX_TITLE),
            title_en=checks.text(title_en, "title_en", required=False, max_length=MAX_TITLE),
            places=checks.text_list(places, "places"),
            valid_from=start,
            valid_to=end,
            description=checks.text(description, "description", required=False),
        )

    def revise_period(self, actor: str, *, valid_from: object, valid_to: object, reason: object) -> None:
        start, end = checks.period(valid_from, valid_to, "valid_from", "valid_to", start_required=True)
        self.trigger_event(
            self.PeriodRevised, actor=checks.actor(actor), valid_from=start, valid_to=end,
            reason=checks.reason(reason),
        )
