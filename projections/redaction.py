"""Protected sources: how they appear to someone not entitled to know who they are.

Redaction is decided at read time from the source's *current* flag, so protecting a source
hides it at once in every answer, historical ones included, with no rebuild. What goes:
the source's id, name, URL, kind; the report ids of its claims (a report names its source)
and their reports' publication dates (a date can pick the report out);
and quoted words (a quote can name its speaker). What stays: the numbers, and the fact that
a protected source said something, shown as the string ``"protected"`` where a source
would be.

A source the views do not know (it should not happen: every claim's source is registered
first) is treated as protected: when in doubt, say nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from typing import Any

PROTECTED = "protected"

def visible_source(alias: str, include_protected: bool) -> str | None:
    """The SQL condition that a source row (``alias``) may be shown to the caller, or None when
    every source may: the listings filter on it, so a reader's pages never hold a protected one.
    The flag as it is now, whatever the time asked for (see the module's docstring)."""
    return None if include_protected else f"{alias}.protected = 0"


#: The source of a figure version (``fv``), for publication_placed.
PLACED_JOIN = " LEFT JOIN {sources} ps ON ps.source_id = fv.source_id"


def publication_placed(version: str, source: str, include_protected: bool) -> str:
    """The SQL of the instant a figure version is placed at in publication order: its word's
    publication (projections/publication.py), but a hidden source's at its recording, since
    its report's date is withheld and the order would tell it."""
    if include_protected:
        return f"{version}.published_at"
    return (f"CASE WHEN {source}.protected IS NULL OR {source}.protected = 1 THEN {version}.recorded_at"
            f" ELSE {version}.published_at END")


def placed_otherwise(*, metric: bool = False, figure: bool = False, figures: int = 0, incident: bool = False,
                     incidents: int = 0) -> str:
    """The SQL of "``fv``'s figure has a word of a protected source recorded by T whose report
    date is not its filing": a reader's cut places those words otherwise than the views'
    ``published_*`` do (filing_placed), so the reads fold these figures afresh. Parameters: T,
    then the metric (``metric``), the figure id (``figure``), the ``figures`` ids (a report's), the
    incident (``incident``) and the ``incidents`` ids (a page of checks) it is narrowed to, if asked:
    unnarrowed, it reads every protected source's words (1-4 s at 1M events, an incident's 20 ms)."""
    # (source_id, metric, figure_id) reads the protected sources' words of the metric alone; the
    # unary plus keeps SQLite off (metric, recorded_from), which would read every version by T.
    return ("fv.figure_id IN (SELECT h.figure_id FROM {figure_versions} h WHERE h.source_id IN"
            " (SELECT source_id FROM {sources} WHERE protected = 1) AND +h.recorded_from <= ?"
            + (" AND h.metric = ?" if metric else "") + (" AND h.figure_id = ?" if figure else "")
            + (f" AND h.figure_id IN ({', '.join('?' * figures)})" if figures else "")
            + (" AND h.incident_id = ?" if incident else "")
            + (f" AND h.incident_id IN ({', '.join('?' * incidents)})" if incidents else "")
            + " AND h.published_at <> h.recorded_at)")


def filing_placed(rows: Iterable[Any], hidden: Callable[[str | None], bool]) -> list[Any]:
    """Rows (named tuples with ``source_id``, ``published_at``, ``recorded_at``) as a caller who
    may not see ``hidden`` sources places them in publication time: a hidden source's words at
    their filing, as publication_placed does in SQL (their report's date is withheld, and cut
    after cut would bound it)."""
    return [r._replace(published_at=r.recorded_at) if r.source_id is not None and hidden(r.source_id) else r
            for r in rows]


@dataclass(frozen=True, slots=True)
class SourceCard:
    """A source as an answer names it to those who may know it (``Sources.ref``).

    The API's response model of a card (api/query_models.py ``SourceCardOut``) lists these
    fields, all optional but the id: an auditor is shown the id alone of a source the views
    do not know (tests/unit/test_source_card.py holds them to one list).
    """

    source_id: str
    name: str
    name_en: str | None
    kind: str
    protected: bool


class Sources:
    """The sources an answer mentions, and how to show each one to this caller."""

    def __init__(self, cards: Iterable[SourceCard], include_protected: bool) -> None:
        self.cards = {c.source_id: c for c in cards}
        self.include_protected = include_protected

    def hidden(self, source_id: str | None) -> bool:
        if source_id is None or self.include_protected:
            return False
        card = self.cards.get(source_id)
        return card is None or card.protected

    def ref(self, source_id: str | None) -> dict[str, Any] | str | None:
        if source_id is None:
            return None
        if self.hidden(source_id):
            return PROTECTED
        card = self.cards.get(source_id)
        if card is None:
            return {"source_id": source_id}
        return {"source_id": card.source_id, "name": card.name, "name_en": card.name_en, "kind": card.kind,
                "protected": card.protected}

    def citations_withheld(self, cited: Iterable[tuple[str, str | None]]) -> set[str]:
        """Of these citations, ``(citation id, its source's id)``, those shown to this caller only as
        ``"protected"`` (shown_evidence): a hidden source's."""
        return {citation_id for citation_id, source_id in cited if self.hidden(source_id)}

    def value(self, value: dict[str, Any], source_id: str | None) -> dict[str, Any]:
        """A count as stated; its quoted words removed when they came from a hidden source."""
        if not self.hidden(source_id):
            return value
        return {**value, "quote": None, "quote_en": None}

    def claim(self, source_id: str, report_id: str | None, value: dict[str, Any]) -> dict[str, Any]:
        """A source's claim on a figure as a by-id read shows it: the numbers always; who said it
        (source, report) and the quoted words only to those who may see the source."""
        hidden = self.hidden(source_id)
        return {"source_id": None if hidden else source_id, "report_id": None if hidden else report_id,
                "protected": hidden, "value": self.value(value, source_id)}

    def current(self, value: dict[str, Any], source_id: str | None,
                withheld: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
        """A figure's current value: its words withheld when they came from a hidden source, or
        when it is a hidden source's claim as stated (``withheld``: a correction may repeat one)."""
        if any(value == w for w in withheld):
            return {**value, "quote": None, "quote_en": None}
        return self.value(value, source_id)


def shown_evidence(evidence: Iterable[str], withheld: Container[str]) -> list[str]:
    """A judgement's evidence (citation ids: an adoption's, a correction's, a supersession's, a
    grade's, a retraction's) as a caller is shown it: a withheld citation (``Sources.citations_withheld``)
    as ``"protected"``, since its id leads to a protected source's words."""
    return [PROTECTED if e in withheld else e for e in evidence]


def record_hidden(kind: str | None, source_id: str | None, target_source_id: str | None, sources: Sources,
                  *, known: bool) -> bool:
    """Whether a record's id would tell who a protected source is (an audit leaf's, say).

    A protected source's own records, its reports, its citations and any citation of its
    reports are hidden; figures, incidents, keys and receipts are not (a figure is public, and
    its versions, a protected source's claims among them, are shown with the figure anyway).
    ``kind`` is the record's kind if the views hold it as a source, report or citation (None
    otherwise); ``known``: the views were current, so a record they do not hold is of another
    kind. When in doubt, say nothing.
    """
    if sources.include_protected:
        return False
    if kind is None:
        return not known
    if kind == "citation" and target_source_id is not None and sources.hidden(target_source_id):
        return True
    return sources.hidden(source_id)
