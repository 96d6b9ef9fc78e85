"""Records as callers may see them: the one place that withholds protected sources.

A protected source's identity (its id, name, URL) reaches only auditors. For everyone else:

* the source itself, its reports and its citations answer 404, exactly as if they did not
  exist (the same body as for an unknown id);
* a figure's claim from it keeps its numbers but shows ``protected: true`` with the source
  id, the report id and the quoted words withheld (null); the figure's current value
  withholds its quote too when it is that claim's value;
* a public citation of its report withholds the report's id (``target_id`` null);
* an audit leaf of one of its records (``record_hides``) is shown as its hash alone.

Whether a source is protected is read at request time, so a change of protection takes
effect on the next request.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from api.deps import Principal
from api.models import CitationOut, ClaimOut, CountOut, FigureOut, IncidentOut, ReportOut, SourceOut
from ledger.application import Ledger
from ledger.citation import Citation
from ledger.errors import NotFound
from ledger.figure import Figure
from ledger.incident import Incident
from ledger.report import Report
from ledger.source import Source
from ledger.value import Count


class Visibility:
    """What one caller may see; remembers, per request, which sources are protected."""

    def __init__(self, ledger: Ledger, caller: Principal) -> None:
        self.ledger = ledger
        self.caller = caller
        self._protected: dict[str, bool] = {}

    def hides(self, source_id: str) -> bool:
        """True when the caller must not learn anything that identifies this source."""
        if self.caller.sees_protected:
            return False
        if source_id not in self._protected:
            try:
                self._protected[source_id] = self.ledger.source(source_id).protected
            except NotFound:
                # A claim naming a source the ledger cannot load: withhold rather than guess.
                self._protected[source_id] = True
        return self._protected[source_id]

    def hides_report(self, report_id: str) -> bool:
        """True when the report is a protected source's (or cannot be loaded: withhold rather than guess)."""
        if self.caller.sees_protected:
            return False
        try:
            return self.hides(self.ledger.load(Report, report_id).source_id)
        except NotFound:
            return True

    def record_hides(self, originator_id: str) -> bool:
        """True when any record's id, whatever its kind, would tell who a protected source is.

        A protected source's own records, its reports, its citations and any citation of its
        reports are hidden. Figures, incidents and keys are not: a figure is public, and its
        versions (a protected source's claims among them) are shown with the figure anyway.
        """
        if self.caller.sees_protected:
            return False
        try:
            record = self.ledger.load(Aggregate, originator_id)
        except NotFound:
            return True  # not a record the ledger can load: withhold rather than guess
        if isinstance(record, Source):
            return self.hides(str(record.id))
        if isinstance(record, Report):
            return self.hides(record.source_id)
        if isinstance(record, Citation):
            return self.hides(record.source_id) or (record.target_kind == "report"
                                                    and self.hides_report(record.target_id))
        return False

    def check(self, kind: str, source_id: str) -> None:
        """404 for a record that only exists through a protected source, as for an unknown id."""
        if self.hides(source_id):
            raise NotFound(kind, "")


def count_out(value: dict[str, Any], *, withhold_words: bool = False) -> CountOut:
    count = Count.from_dict(value)
    return CountOut(
        qualifier=count.qualifier, number=count.number, low=count.low, high=count.high, term=count.term,
        quote=None if withhold_words else count.quote, quote_en=None if withhold_words else count.quote_en,
        text=count.describe(),
    )


def source_view(source: Source, seen: Visibility) -> SourceOut:
    seen.check("source", str(source.id))
    return SourceOut(
        source_id=source.id, name=source.name, name_en=source.name_en, kind=source.kind, url=source.url,
        language=source.language, protected=source.protected, version=source.version,
        created_at=source.created_on, modified_at=source.modified_on,
    )


def incident_view(incident: Incident) -> IncidentOut:
    return IncidentOut(
        incident_id=incident.id, title=incident.title, title_en=incident.title_en, places=incident.places,
        valid_from=incident.valid_from, valid_to=incident.valid_to, description=incident.description,
        version=incident.version, created_at=incident.created_on, modified_at=incident.modified_on,
    )


def report_view(report: Report, seen: Visibility) -> ReportOut:
    seen.check("report", report.source_id)
    return ReportOut(
        report_id=report.id, source_id=report.source_id, title=report.title, title_en=report.title_en,
        language=report.language, published_on=report.published_on, url=report.url, reference=report.reference,
        period_from=report.period_from, period_to=report.period_to, places=report.places,
        figure_ids=report.figure_ids, version=report.version, created_at=report.created_on,
    )


def citation_view(citation: Citation, seen: Visibility) -> CitationOut:
    seen.check("citation", citation.source_id)
    return CitationOut(
        citation_id=citation.id, target_kind=citation.target_kind,
        target_id=None if citation.target_kind == "report" and seen.hides_report(citation.target_id)
        else citation.target_id,
        source_id=citation.source_id, url=citation.url, quote=citation.quote, quote_en=citation.quote_en,
        page=citation.page, accessed_on=citation.accessed_on, sha256=citation.sha256,
        withdrawn=citation.withdrawn, version=citation.version, created_at=citation.created_on,
        modified_at=citation.modified_on,
    )


def figure_view(figure: Figure, seen: Visibility) -> FigureOut:
    claims: list[ClaimOut] = []
    withheld_values: list[dict[str, Any]] = []
    for source_id, claim in sorted(figure.claims.items(), key=lambda item: item[1]["version"]):
        hidden = seen.hides(source_id)
        if hidden:
            withheld_values.append(claim["value"])
        claims.append(ClaimOut(
            source_id=None if hidden else source_id,
            report_id=None if hidden else claim["report_id"],
            protected=hidden,
            value=count_out(claim["value"], withhold_words=hidden),
            version=claim["version"],
            recorded_at=claim["recorded_at"],
            superseded=claim["superseded"],
        ))
    return FigureOut(
        figure_id=figure.id, incident_id=figure.incident_id, metric=figure.metric, breakdown=figure.breakdown,
        value=count_out(figure.current, withhold_words=figure.current in withheld_values),
        status=figure.status, grade=figure.grade, claims=claims, version=figure.version,
        created_at=figure.created_on, modified_at=figure.modified_on,
    )
