"""Response models of the query routes: the projections' answers, as ``projections.reader`` gives them.

The reader decides what a caller not entitled to protected sources sees (``"protected"``
where a source would be, quotes withheld); the API passes ``include_protected`` for
auditors only. Models allow fields beyond the ones listed (the read side may add some);
every listed field is checked on the way out, so a change of shape fails loudly (500 and
a failing test) rather than reaching clients unannounced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.models import SourceFields
from ledger.value import Qualifier

T = TypeVar("T")

Kind = Literal["exact", "range", "lower_bound", "no_data"]
Date = Annotated[str, Field(json_schema_extra={"format": "date"})]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class StoredCount(Open):
    """A count as recorded; quote and quote_en are null when they came from a protected source."""

    qualifier: Qualifier
    number: int | None
    low: int
    high: int | None
    term: str | None
    quote: str | None
    quote_en: str | None


class SourceCardOut(Open):
    """projections.redaction.SourceCard as an answer shows it: the same fields (a unit test holds
    them to one list), optional because an auditor gets the id alone of a source the views do not know."""

    source_id: UUID
    name: str | None = None
    name_en: str | None = None
    kind: str | None = None
    protected: bool | None = None


SourceRef = Annotated[
    Literal["protected"] | SourceCardOut,
    Field(description='The source, or the string "protected" when you may not know who it is.'),
]


class Sum(Open):
    low: int
    high: int | None = Field(description="Null: unbounded (some figure has no ceiling).")
    kind: Kind
    figures: int = Field(description="How many figures the sum is made of.")
    figure_ids: list[UUID] | None = None


class Group(Sum):
    value: str = Field(description="The dimension's value, e.g. `russian-forces`.")


class FromParts(Open):
    incident_id: UUID
    dimension: str
    low: int
    high: int | None
    figure_ids: list[UUID]


class TallyOut(Open):
    """A metric summed across incidents: lows add to lows, highs to highs."""

    metric: str
    by: str | None
    as_of: datetime | None
    valid_from: Date | None
    valid_to: Date | None
    place: str | None
    sum: Sum
    groups: list[Group] = Field(description="Per value of `by`; empty without `by`.")
    from_parts: list[FromParts] | None = Field(
        description="Incidents with no total, counted from their parts (a lower bound).")


class Moved(Open):
    figure_id: UUID | None = None
    incident_id: UUID | None = None
    version: int
    event: str
    actor: str | None = None


class HistoryGroup(Open):
    value: str
    low: int
    high: int | None
    kind: Kind
    figures: int


class TallyPoint(Open):
    recorded_at: datetime
    low: int
    high: int | None
    kind: Kind
    figures: int
    groups: list[HistoryGroup] | None = None
    moved_by: list[Moved]


class TallyHistory(Open):
    metric: str
    by: str | None
    as_of: datetime | None
    valid_from: Date | None
    valid_to: Date | None
    place: str | None
    points: list[TallyPoint] = Field(description="One per moment the tally changed, oldest first.")


class FigureState(Open):
    figure_id: UUID
    incident_id: UUID
    metric: str
    breakdown: dict[str, str]
    version: int
    value: StoredCount
    status: Literal["active", "retracted"]
    grade: str
    value_source: SourceRef | None = Field(description="Whose claim the value is; null after a correction.")
    recorded_at: datetime
    recorded_to: datetime | None


class CitationEntry(Open):
    """A citation; one of a protected source carries only `source`, `withdrawn` and `cited_at`."""

    source: SourceRef
    withdrawn: bool
    cited_at: datetime
    citation_id: UUID | None = None
    target_kind: Literal["report", "figure"] | None = None
    target_id: UUID | None = None
    url: str | None = None
    quote: str | None = None
    quote_en: str | None = None
    page: str | None = None
    accessed_on: Date | None = None
    sha256: str | None = None
    cited_by: str | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawn_reason: str | None = None


class FigureVersionEntry(Open):
    version: int
    recorded_at: datetime
    recorded_to: datetime | None
    actor: str | None
    event: str = Field(description="stated, claimed, adopted, corrected, superseded, retracted or regraded.")
    reason: str | None
    value: StoredCount
    value_changed: bool
    status: Literal["active", "retracted"]
    grade: str
    value_source: SourceRef | None
    source: SourceRef | None
    report_id: UUID | None
    evidence: list[UUID | Literal["protected"]] | None = Field(
        description='Citation ids backing a correction; "protected" for a protected source\'s citation.')
    replaces: list[SourceRef] | None
    citations: list[CitationEntry]


class FigureHistory(Open):
    figure_id: UUID
    incident_id: UUID
    metric: str
    breakdown: dict[str, str]
    versions: list[FigureVersionEntry]
    next_cursor: str | None = Field(description="Pass it back as `cursor` for the next page; null on the last.")


class SpreadClaim(Open):
    source: SourceRef
    report_id: UUID | None
    value: StoredCount
    qualifier: Qualifier
    low: int
    high: int | None
    superseded: bool
    claimed_at: datetime
    version: int


class Range(Open):
    sources: int
    min_low: int | None
    max_low: int | None
    min_high: int | None
    max_high: int | None = Field(description="Null when some source put no ceiling on it (or none claimed).")


class Spread(Open):
    figure_id: UUID
    as_of: datetime | None
    current: FigureState
    claims: list[SpreadClaim]
    range: Range
    live_range: Range = Field(description="The same, over claims not superseded.")


class CheckTotal(Open):
    figure_id: UUID
    breakdown: dict[str, str]
    low: int
    high: int | None


class CheckPart(Open):
    value: str
    figure_id: UUID
    low: int
    high: int | None


class Bounds(Open):
    low: int
    high: int | None


class BreakdownCheck(Open):
    incident_id: UUID
    metric: str
    dimension: str
    total: CheckTotal
    parts: list[CheckPart]
    parts_low: int
    parts_high: int | None
    status: Literal["complete", "remainder", "parts_exceed_low", "inconsistent"]
    remainder: Bounds | None
    excess: int | None


class IncidentEntry(Open):
    incident_id: UUID
    title: str
    title_en: str | None
    description: str | None
    places: list[str]
    valid_from: Date
    valid_to: Date | None
    version: int
    recorded_at: datetime


class SourceEntry(Open, SourceFields):
    registered_at: datetime


class ReportEntry(Open):
    report_id: UUID
    source: SourceRef
    title: str
    title_en: str | None
    language: str
    published_on: Date | None
    url: str | None
    reference: str | None
    period_from: Date | None
    period_to: Date | None
    places: list[str]
    figure_ids: list[UUID]
    filed_at: datetime


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass it back as `cursor` for the next page; null on the last.")


def page(model: type[Any]) -> type[Page[Any]]:
    return Page[model]  # type: ignore[valid-type]
