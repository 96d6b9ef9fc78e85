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
    approximate: bool = Field(description="True when some figure in the sum is approximate (\"about 40\"): its"
                                          " bounds are the ledger's reading of the words (docs/model.md).")
    approximate_figures: int = Field(description="How many of those figures are approximate.")
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
    population: str = Field(description="The population the tally counts (docs/model.md): `counted`, the whole,"
                                        " unless another was asked for; never a sum of populations.")
    by: str | None
    as_of: datetime | None
    valid_from: Date | None
    valid_to: Date | None
    place: str | None
    sum: Sum = Field(description="The metric's total, the same with or without `by`: each incident's total figure,"
                                 " or failing one its best-documented parts (listed in `from_parts`).")
    groups: list[Group] = Field(description="Per value of `by`; empty without `by`.")
    groups_sum: Sum | None = Field(
        None, description="With `by`: the groups added up, the part of the total the sources broke down that way"
                          " (below `sum` where a source gave a total and no split). Null without `by`.")
    from_parts: list[FromParts] | None = Field(
        description="Incidents with no total, counted from their parts (a lower bound).")


class MonthSum(Sum):
    month: str = Field(description="The month of valid time, YYYY-MM.")
    valid_from: Date = Field(description="The month's first day: the tally's window is the month.")
    valid_to: Date = Field(description="The month's last day.")
    within_month: Sum = Field(description="The same of the incidents whose period lies in this month alone: what the"
                                          " month holds for certain. The month's own sum also counts an incident of a"
                                          " year in each of its months, so the deaths in the month are at least"
                                          " `within_month.low` and at most `high`.")


class TallyMonthsOut(Open):
    """A metric's tally month by month of valid time, as casualty recorders publish it: each month
    is `GET /tallies/{metric}?valid_from=<its first day>&valid_to=<its last day>`'s sum. An
    incident counts in every month its period overlaps, so the months of a long incident do not
    add up to its total; `within_month` counts only the incidents dated within the month. A month
    with no figure is `no_data`, never zero."""

    metric: str
    population: str
    as_of: datetime | None
    published_by: str | None
    months: list[MonthSum] = Field(description="In order: the months asked for (`months_from`, `months_to`), or"
                                               " else the latest 12 the incidents cover; empty when there is no incident.")


class SourceSum(Sum):
    source: SourceRef
    figure_ids: list[UUID] = Field(description="The figures this source's latest claims are on.")
    superseded: int = Field(description="How many of those claims the ledger has since superseded (still counted:"
                                        " the source said them).")


class TallyBySource(Open):
    """Each source's latest claims on a metric's figures of one breakdown, summed source by source."""

    metric: str
    population: str = Field(description="The population the tally counts (docs/model.md): `counted`, the whole,"
                                        " unless another was asked for; never a sum of populations.")
    breakdown: dict[str, str] = Field(description="The breakdown summed; {} for the incidents' totals.")
    as_of: datetime | None
    valid_from: Date | None
    valid_to: Date | None
    place: str | None
    sources: list[SourceSum] = Field(description="Public sources by name, then protected ones.")


class Moved(Open):
    figure_id: UUID | None = None
    incident_id: UUID | None = None
    version: int
    event: str
    actor: str | None = None
    source: SourceRef | None = Field(None, description="Whose claim moved it; null for a change that was no claim.")
    report_id: UUID | None = Field(None, description="The claim's report; null for a protected source.")
    published_on: Date | None = Field(None, description="The report's publication date; null for a protected source.")


class HistoryGroup(Open):
    value: str
    low: int
    high: int | None
    kind: Kind
    figures: int
    approximate: bool
    approximate_figures: int


class TallyPoint(Open):
    recorded_at: datetime | None = Field(None, description="When the tally moved (recording order, the default).")
    published_at: datetime | None = Field(None, description="With `order=published`: the publication instant at"
                                                            " which the tally moved (docs/model.md, \"Three times\").")
    low: int
    high: int | None
    kind: Kind
    figures: int
    approximate: bool = Field(description="True when some figure in the sum at this point is approximate.")
    approximate_figures: int
    groups: list[HistoryGroup] | None = None
    moved_by: list[Moved]


class TallyHistory(Open):
    metric: str
    population: str = Field(description="The population the tally counts (docs/model.md): `counted`, the whole,"
                                        " unless another was asked for; never a sum of populations.")
    by: str | None
    as_of: datetime | None
    valid_from: Date | None
    valid_to: Date | None
    place: str | None
    published_by: datetime | None = Field(None, description="The publication cut-off, when one was asked.")
    order: str | None = Field(None, description="`published` when the points are in publication order.")
    points: list[TallyPoint] = Field(description="One per moment the tally changed, oldest first.")
    next_cursor: str | None = Field(None, description="Pass it back as `cursor` for the next page; null on the last.")


class FigureState(Open):
    figure_id: UUID
    incident_id: UUID
    metric: str
    breakdown: dict[str, str]
    admin_codes: dict[str, str] = Field(default_factory=dict, description="The OCHA P-code of the breakdown's"
                                        " place, where the vocabulary gives one: place name to P-code.")
    population: str = Field(description="Whom the figure counts: `counted` (the whole) or a subset of it.")
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


class SaidEntry(Open):
    """A source's word in a figure's version: its own value, which the figure's may not be."""

    value: StoredCount = Field(description="The count as the source said it: qualifier, numbers, words.")
    source: SourceRef
    report_id: UUID | None = Field(description="The report it was said in; null for a protected source.")
    published_on: Date | None = Field(description="The report's publication date; null for a protected source.")
    filed_by: str | None = Field(description="Who filed it.")
    adopted: bool = Field(description="Whether it became the figure's value (stated, adopted, superseding).")


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
        description='Citation ids backing the judgement (an adoption, a correction, a supersession, a grade, a'
                    ' retraction); "protected" for a protected source\'s citation.')
    replaces: list[SourceRef] | None
    said: SaidEntry | None = Field(description="What the version's source said in it, as said; null for a version"
                                               " that is no source's word (a correction, a retraction, a regrading).")
    citations: list[int] = Field(description="The citations live on the figure at any moment while this version"
                                             " stood, as positions in the page's `citations` (each given once there).")


RecordState = Annotated[Literal["recorded", "not_yet_recorded"], Field(
    description="`not_yet_recorded`: as of `as_of` the ledger had not recorded this figure yet (it has since); an id"
                " it has never recorded answers 404.")]


class FigureHistory(Open):
    figure_id: UUID
    incident_id: UUID
    metric: str
    breakdown: dict[str, str]
    population: str
    versions: list[FigureVersionEntry]
    citations: list[CitationEntry] = Field(description="Each citation live on one of the page's versions, once, in"
                                                       " `cited_at` order; a version's `citations` are positions in it.")
    next_cursor: str | None = Field(description="Pass it back as `cursor` for the next page; null on the last.")
    state: RecordState


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
    approximate: bool = Field(description="Some claim in the range is approximate (\"about 40\"): its bounds are"
                                          " the ledger's reading of the words.")


class Spread(Open):
    figure_id: UUID
    as_of: datetime | None
    state: RecordState
    current: FigureState | None = Field(description="Null when the figure was not yet recorded at `as_of`.")
    claims: list[SpreadClaim]
    range: Range
    live_range: Range = Field(description="The same, over claims not superseded.")


class CheckTotal(Open):
    figure_id: UUID
    breakdown: dict[str, str]
    population: str
    low: int
    high: int | None
    approximate: bool = Field(description="The value is approximate (\"about 35,173\"): its bounds are the"
                                          " ledger's reading of the words, and so is a remainder or excess found"
                                          " against them.")


class CheckPart(Open):
    value: str
    figure_id: UUID
    low: int
    high: int | None
    approximate: bool = Field(description="The value is approximate, as the total's.")


class Bounds(Open):
    low: int
    high: int | None


class BreakdownCheck(Open):
    incident_id: UUID
    metric: str
    population: str = Field(description="The population checked: the parts' and their total's, or the subset's.")
    check: Literal["parts", "subset", "part_of"] = Field(
        description="`parts`: parts along `dimension` against their total (of the same population); `subset`: a"
                    " subset population (the one part) against the whole population's figure (`total`); `part_of`:"
                    " a metric's figure (the one part, `value` its metric) against the figure of the metric it is"
                    " part of (`metric`, `total`), e.g. civilians killed against everyone killed.")
    dimension: str | None = Field(description="The parts' dimension; null for a subset check.")
    total: CheckTotal
    parts: list[CheckPart]
    parts_low: int
    parts_high: int | None
    status: Literal["complete", "remainder", "parts_exceed_low", "inconsistent"]
    remainder: Bounds | None = Field(description="What the parts leave unallocated: the total less the parts, or"
                                                 " the whole less the subset. Null when inconsistent.")
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


class FigureChange(Open):
    """A figure as it stood after one position of the log; a removal (a retraction) carries no value."""

    position: int = Field(description="The log position (notification id) of the change.")
    change: Literal["changed", "removed"]
    event: str = Field(description="What changed it: stated, adopted, corrected, superseded, retracted, regraded,"
                                   " or protection (its source's protection changed, so how it reads did).")
    figure_id: UUID
    version: int
    incident_id: UUID
    metric: str
    breakdown: dict[str, str]
    population: str
    recorded_at: datetime
    value: StoredCount | None
    value_source: SourceRef | None
    status: Literal["active", "retracted"]
    grade: str


class Changes(BaseModel):
    since: int
    items: list[FigureChange]
    next_since: int = Field(description="Ask from here next (`?since=`): every change up to it has been given.")
    more: bool = Field(description="A further page is there already; otherwise ask again later.")
