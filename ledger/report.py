"""A report: one document from a source, and the figures it states.

The report is filed once; its figures are claims recorded on the figures themselves (see
figure.py), and the report keeps the list of the figures it stated so that one can always
go from a document to its numbers and back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventsourcing.domain import Aggregate

from ledger import checks, vocabulary
from ledger.errors import InvalidInput
from ledger.event import LedgerCreated
from ledger.figure import adoption
from ledger.limits import MAX_REFERENCE, MAX_TITLE
from ledger.terms import TermCheck
from ledger.value import Count


class Report(Aggregate):
    class Filed(LedgerCreated):
        source_id: str
        title: str
        title_en: str | None
        language: str
        published_on: str | None
        url: str | None
        reference: str | None
        period_from: str | None
        period_to: str | None
        places: list[str]
        figure_ids: list[str]

    def __init__(
        self, *, actor: str, source_id: str, title: str, title_en: str | None, language: str,
        published_on: str | None, url: str | None, reference: str | None,
        period_from: str | None, period_to: str | None, places: list[str], figure_ids: list[str],
    ) -> None:
        self.filed_by = actor
        self.source_id = source_id
        self.title = title
        self.title_en = title_en
        self.language = language
        self.published_on = published_on
        self.url = url
        self.reference = reference
        self.period_from = period_from
        self.period_to = period_to
        self.places = list(places)
        self.figure_ids = list(figure_ids)

    @classmethod
    def file(
        cls, actor: str, *, source_id: str, title: object, language: object,
        figure_ids: list[str], title_en: object = None, published_on: object = None,
        url: object = None, reference: object = None, period_from: object = None,
        period_to: object = None, places: object = None,
    ) -> Report:
        start, end = checks.period(period_from, period_to, "period_from", "period_to", start_required=False)
        return cls._create(
            cls.Filed,
            actor=checks.actor(actor),
            source_id=source_id,
            title=checks.text(title, "title", max_length=MAX_TITLE),
            title_en=checks.text(title_en, "title_en", required=False, max_length=MAX_TITLE),
            language=vocabulary.check_language(language),
            published_on=checks.iso_date(published_on, "published_on"),
            url=checks.url(url),
            reference=checks.text(reference, "reference", required=False, max_length=MAX_REFERENCE),
            period_from=start,
            period_to=end,
            places=checks.text_list(places, "places"),
            figure_ids=list(figure_ids),
        )


def figure_statements(figures: Iterable[dict[str, Any]], terms: TermCheck) -> list[dict[str, Any]]:
    """A report's figure statements checked: ``incident_id``, ``metric``, ``breakdown``, ``population``
    (the whole counted one unless stated; all three against the recorded vocabulary, ``terms``), ``value``, ``adopt``
    (with the ``reason`` and ``evidence`` of the adoption: ledger/figure.py, adoption)."""
    if isinstance(figures, (str, bytes, dict)):
        raise InvalidInput("figures must be a list of figure statements", field="figures")
    statements = []
    for item in figures:
        if not isinstance(item, dict):
            raise InvalidInput("each figure statement must be an object", field="figures")
        unknown = set(item) - {"incident_id", "metric", "breakdown", "population", "value", "adopt", "reason",
                                 "evidence"}
        if unknown:
            raise InvalidInput(f"unknown figure fields: {', '.join(sorted(unknown))}", field="figures")
        incident_id = item.get("incident_id")
        if not isinstance(incident_id, str):
            raise InvalidInput("each figure statement needs the incident_id it is about", field="incident_id")
        try:
            words = {"metric": terms.metric(item.get("metric")), "breakdown": terms.breakdown(item.get("breakdown")),
                     "population": terms.population(item.get("population"))}
        except InvalidInput as e:  # named beside its row, as the API's own checks name it
            raise e.at(f"figures[{len(statements)}].{e.field}") from None
        statements.append({
            "incident_id": str(checks.record_id(incident_id, "incident")),
            **words,
            "value": Count.parse(item.get("value")),
        })
        try:
            adopted, reason, evidence = adoption(item.get("adopt", False), item.get("reason"), item.get("evidence"))
        except InvalidInput as e:  # named as the API's own checks name it, beside its row
            raise e.at(f"figures[{len(statements) - 1}].{e.field}") from None
        statements[-1].update({"adopt": adopted, "reason": reason, "evidence": evidence})
    return statements
