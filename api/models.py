"""Request and response models: the OpenAPI schema of the API, and what it checks first.

Request models forbid unknown fields (an ``actor`` in a body is refused with 422: the actor
is always the owner of the access key). They check shapes and the controlled vocabulary;
the ledger then checks every rule of the model again (bounds, dates, reasons...) and its
messages name the field. Counts are parsed by the ledger's own ``Count.parse`` inside the
model, so a range whose low exceeds its high is refused at the exact body path, and the
parsed Count is what the ledger is handed (it parses no value twice).

Response models are built only from what the ledger returns: a command's result dict (which
a receipt stores, so that a retry answers the same) or a record's current state.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler, RootModel, StrictBool, StrictInt,
    PrivateAttr, StringConstraints, create_model, model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from ledger import checks, limits, terms, vocabulary
from ledger.errors import InvalidInput
from ledger.value import APPROXIMATORS, VAGUE_ALIASES, VAGUE_TERMS, Count, Qualifier

# ---- vocabulary: fixed lists from the ledger's own, terms by their code -------------------

Grade = enum.StrEnum("Grade", {k: k for k in vocabulary.GRADES})  # type: ignore[misc]
SourceKind = enum.StrEnum("SourceKind", {k: k for k in vocabulary.SOURCE_KINDS})  # type: ignore[misc]
#: A term of the vocabulary by its code. Which codes are terms is data (GET /vocabulary), so the
#: schema states only their form; the ledger refuses one it does not hold with a 422 naming it.
Code = Annotated[str, StringConstraints(pattern=limits.CODE_PATTERN, max_length=limits.MAX_CODE)]
Metric = Dimension = Population = Code

class Plain:
    """The API's rule for text, in a request model or a query parameter: some character other than
    white space, and none that the ledger refuses in any text (``ledger.checks.plain``).

    Refused with 422 naming the field; the schema states the rule as a pattern.
    """

    PATTERN = rf"^[^{checks.CONTROLS}]*[^\s{checks.CONTROLS}][^{checks.CONTROLS}]*$"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_plain, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {**handler(schema), "pattern": self.PATTERN}


def _plain(value: str) -> str:
    why = checks.unfit_character(value)
    if why is not None:
        raise ValueError(why)
    if not value.strip():
        raise ValueError("must not be empty: white space alone says nothing")
    return value


def text(max_length: int) -> Any:
    """Free text of at most ``max_length`` characters, by the API's rule for text."""
    return Annotated[str, StringConstraints(min_length=1, max_length=max_length), Plain()]


Text = text(limits.MAX_TEXT)
ShortText = text(limits.MAX_TITLE)
Reason = text(limits.MAX_REASON)
Url = Annotated[str, StringConstraints(min_length=1, max_length=limits.MAX_URL,
                                       pattern=rf"^[Hh][Tt][Tt][Pp][Ss]?://[^\s{checks.CONTROLS}]+$")]
Language = Annotated[str, StringConstraints(pattern=limits.LANGUAGE_PATTERN, max_length=limits.MAX_LANGUAGE)]
IsoDate = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
                    Field(json_schema_extra={"format": "date"})]
#: A breakdown's value: text in any script ("معرة النعمان", "russian-forces"), no comma or semicolon (they
#: separate pairs in queries and exports); NFC-normalised by the ledger.
BreakdownValue = Annotated[str, StringConstraints(min_length=1, max_length=limits.MAX_SLUG, pattern=r"^[^,;]*$"),
                           Plain()]
Number = Annotated[StrictInt, Field(ge=0, le=limits.MAX_COUNT)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]

QUALIFIER_HELP = (
    "How the source qualified the number. `exact`, `at_least`, `more_than`, `at_most`, `fewer_than` take"
    " `number`; `range` takes `low` and `high`; `vague` takes `term`, one of: "
    + ", ".join([*VAGUE_TERMS, *VAGUE_ALIASES]) + "; `approximate` takes `number` and `term`, one of: "
    + ", ".join(APPROXIMATORS) + ". Bounds are derived by the rules in docs/model.md."
)


class LedgerValueError(ValueError):
    """A ledger rule broken inside a nested value; ``field`` extends the error's body path."""

    def __init__(self, error: InvalidInput) -> None:
        super().__init__(error.message)
        self.field = error.field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- requests -----------------------------------------------------------------------------

class CountIn(Strict):
    """What the source said: the qualifier, the number(s) and the words as written."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"qualifier": "at_least", "number": 108, "quote": "killed at least 108 civilians"},
        {"qualifier": "range", "low": 40, "high": 50},
        {"qualifier": "vague", "term": "hundreds", "quote": "مئات"},
        {"qualifier": "approximate", "number": 40, "term": "about", "quote": "نحو 40"},
    ]})

    qualifier: Qualifier = Field(description=QUALIFIER_HELP)
    number: Number | None = None
    low: Number | None = None
    high: Number | None = None
    term: text(100) | None = None
    quote: Text | None = Field(None, description="The source's words, as written (any language).")
    quote_en: Text | None = Field(None, description="An English rendering of the quote.")

    #: The count as the ledger parsed it here, handed on as it is (a value is parsed once).
    _count: Count = PrivateAttr()

    @model_validator(mode="after")
    def _ledger_rules(self) -> CountIn:
        try:
            self._count = Count.parse(self.model_dump(mode="json"))
        except InvalidInput as e:
            raise LedgerValueError(e) from None
        return self

    def as_ledger(self) -> Count:
        return self._count


class SourceIn(Strict):
    name: text(limits.MAX_NAME) = Field(description="The source's name as it writes it (often Arabic).")
    name_en: text(limits.MAX_NAME) | None = None
    kind: SourceKind
    url: Url | None = None
    language: Language = Field(description="BCP 47 tag of the source's language, e.g. `ar`.")
    protected: StrictBool = Field(False, description="Withhold the source's identity from everyone but auditors.")


class ProtectionIn(Strict):
    protected: StrictBool
    reason: Reason


class IncidentIn(Strict):
    title: ShortText
    title_en: ShortText | None = None
    places: list[ShortText] = Field(default_factory=list, max_length=limits.MAX_PLACES)
    valid_from: IsoDate = Field(description="First day of the incident (valid time), YYYY-MM-DD.")
    valid_to: IsoDate | None = Field(None, description="Last day; null when the sources say it continues.")
    description: Text | None = None


class PeriodRevisionIn(Strict):
    valid_from: IsoDate
    valid_to: IsoDate | None = None
    reason: Reason


class FigureStatementIn(Strict):
    incident_id: UUID
    metric: Metric
    breakdown: dict[Dimension, BreakdownValue] = Field(
        default_factory=dict,
        description="Dimension to value, in any script, e.g. `{\"perpetrator\": \"russian-forces\"}` or"
                    " `{\"place\": \"معرة النعمان\"}`; {} for a total. Dimensions are terms (GET /vocabulary).")
    population: Population = Field(
        vocabulary.WHOLE_POPULATION,
        description="Whom the figure counts: `counted` (the whole, the default) or a subset of it such as"
                    " `identified` (\"34,844 killed, of whom 24,686 identified\": two figures).")
    value: CountIn
    adopt: StrictBool = Field(
        False, description="Make this claim the figure's current value (the first statement always is);"
                           " needs a `reason`.")
    reason: Reason | None = Field(None, description="Why this claim is adopted (required with `adopt: true`, and"
                                                    " only then).")
    evidence: list[UUID] = Field(default_factory=list, max_length=limits.MAX_IDS,
                                 description="Ids of citations backing the adoption (not withdrawn; only with"
                                             " `adopt: true`).")


class ReportIn(Strict):
    source_id: UUID
    title: ShortText
    title_en: ShortText | None = None
    language: Language
    published_on: IsoDate | None = None
    url: Url | None = None
    reference: text(limits.MAX_REFERENCE) | None = None
    period_from: IsoDate | None = None
    period_to: IsoDate | None = None
    places: list[ShortText] = Field(default_factory=list, max_length=limits.MAX_PLACES)
    figures: list[FigureStatementIn] = Field(default_factory=list, max_length=limits.MAX_STATEMENTS)

    def as_ledger(self) -> dict[str, Any]:
        fields = self.model_dump(mode="json")
        for statement, given in zip(fields["figures"], self.figures):
            statement["value"] = given.value.as_ledger()
        return fields


class CorrectionIn(Strict):
    value: CountIn
    reason: Reason
    evidence: list[UUID] = Field(default_factory=list, max_length=limits.MAX_IDS,
                                 description="Ids of citations backing the correction (not withdrawn).")


class SupersessionIn(Strict):
    source_id: UUID = Field(description="The source whose claim replaces the others.")
    report_id: UUID = Field(description="The report, from that source, stating the new value.")
    value: CountIn
    reason: Reason
    replaces: list[UUID] | None = Field(
        None, max_length=limits.MAX_IDS, description="Ids of the sources whose claims are replaced; all live claims when omitted.")
    evidence: list[UUID] = Field(default_factory=list, max_length=limits.MAX_IDS,
                                 description="Ids of citations backing the supersession (not withdrawn).")


class RetractionIn(Strict):
    reason: Reason
    evidence: list[UUID] = Field(default_factory=list, max_length=limits.MAX_IDS,
                                 description="Ids of citations backing the retraction (not withdrawn).")


class GradeIn(Strict):
    grade: Grade
    reason: Reason
    evidence: list[UUID] = Field(default_factory=list, max_length=limits.MAX_IDS,
                                 description="Ids of citations backing the grade (not withdrawn).")


class CitationIn(Strict):
    target_id: UUID = Field(description="The report or figure the citation backs.")
    source_id: UUID = Field(description="The source of the cited document.")
    url: Url | None = None
    quote: Text | None = Field(None, description="The passage, as written. A citation needs a URL or a quote.")
    quote_en: Text | None = None
    page: text(limits.MAX_PAGE) | None = None
    accessed_on: IsoDate | None = None
    sha256: Sha256 | None = Field(None, description="SHA-256 of the archived copy of the document.")


class WithdrawalIn(Strict):
    reason: Reason


# ---- command results (built only from the ledger's result dict) -------------------------

class SourceRecorded(BaseModel):
    source_id: UUID
    version: int


class IncidentRecorded(BaseModel):
    incident_id: UUID
    version: int


class FigureVersion(BaseModel):
    figure_id: UUID
    version: int


class ReportFiled(BaseModel):
    report_id: UUID
    figures: list[FigureVersion] = Field(description="Each figure the report stated, at its new version.")


class FigureChanged(FigureVersion):
    pass


class CitationRecorded(BaseModel):
    citation_id: UUID
    target_kind: Literal["report", "figure"]
    version: int


class CitationChanged(BaseModel):
    citation_id: UUID
    version: int


# ---- records ------------------------------------------------------------------------------

#: Every record read by id says it is one (its answer before it existed says otherwise: NotYet).
Recorded = Annotated[Literal["recorded"], Field(description="`recorded`: the record as the ledger held it then.")]

class CountOut(BaseModel):
    qualifier: Qualifier
    number: int | None
    low: int = Field(description="Lower bound the ledger reads into the words.")
    high: int | None = Field(description="Upper bound; null when the source puts no ceiling on it.")
    term: str | None
    quote: str | None = Field(description="The source's words; null when withheld (a protected source's claim).")
    quote_en: str | None
    text: str = Field(description="A short English rendering, e.g. `at least 108`.")


class SourceFields(BaseModel):
    """A source as every answer shows it; the by-id read and the list each add their own times."""

    source_id: UUID
    name: str
    name_en: str | None
    kind: str
    url: str | None
    language: str
    protected: bool
    version: int


class SourceOut(SourceFields):
    created_at: datetime
    modified_at: datetime
    state: Recorded


class IncidentOut(BaseModel):
    incident_id: UUID
    title: str
    title_en: str | None
    places: list[str]
    valid_from: str = Field(json_schema_extra={"format": "date"})
    valid_to: str | None = Field(json_schema_extra={"format": "date"})
    description: str | None
    version: int
    created_at: datetime
    modified_at: datetime
    state: Recorded


class ReportOut(BaseModel):
    report_id: UUID
    source_id: UUID
    title: str
    title_en: str | None
    language: str
    published_on: str | None = Field(json_schema_extra={"format": "date"})
    url: str | None
    reference: str | None
    period_from: str | None = Field(json_schema_extra={"format": "date"})
    period_to: str | None = Field(json_schema_extra={"format": "date"})
    places: list[str]
    figure_ids: list[UUID]
    version: int
    created_at: datetime
    state: Recorded


class ClaimOut(BaseModel):
    source_id: UUID | None = Field(description="Null when the source is protected and you are not an auditor.")
    report_id: UUID | None = Field(description="Null when the source is protected and you are not an auditor.")
    protected: bool = Field(description="The claim's source is protected; withheld parts are null.")
    value: CountOut
    version: int = Field(description="The figure version that recorded this claim.")
    recorded_at: datetime
    superseded: bool


class FigureOut(BaseModel):
    figure_id: UUID
    incident_id: UUID
    metric: str
    breakdown: dict[str, str]
    admin_codes: dict[str, str] = Field(default_factory=dict, description="The OCHA P-code of the breakdown's"
                                        " place, where the vocabulary gives one: place name to P-code.")
    population: str
    value: CountOut = Field(description="The ledger's current value.")
    status: Literal["active", "retracted"]
    grade: str
    claims: list[ClaimOut]
    version: int = Field(description="Send it back in If-Match (the ETag) with a change.")
    created_at: datetime
    modified_at: datetime
    state: Recorded


class CitationOut(BaseModel):
    citation_id: UUID
    target_kind: Literal["report", "figure"]
    target_id: UUID | None = Field(description="Null when the target is a protected source's report and you are"
                                               " not an auditor.")
    source_id: UUID
    url: str | None
    quote: str | None
    quote_en: str | None
    page: str | None
    accessed_on: str | None = Field(json_schema_extra={"format": "date"})
    sha256: str | None
    withdrawn: bool
    withdrawn_by: str | None = Field(description="Who withdrew it (the key's owner); null while it stands.")
    withdrawn_reason: str | None = Field(description="Why it was withdrawn; null while it stands."
                                                     " When: `modified_at`.")
    version: int
    created_at: datetime
    modified_at: datetime
    state: Recorded


def by_id(record: type[BaseModel], ident: str, *, cut: bool = False) -> type[RootModel[Any]]:
    """The answer of a by-id read: ``record``, or, as of a time (or a publication cut, ``cut``)
    before the record existed, its NotYet: the ledger said nothing of it yet. That holds the id,
    the times asked, ``state`` "not_yet_recorded", version 0 (the ETag `"0"`), and every other
    field of the record null."""
    name = record.__name__.removesuffix("Out")
    empty: dict[str, Any] = {f: (None, None) for f in record.model_fields if f not in (ident, "version", "state")}
    times: dict[str, Any] = {"as_of": (datetime | None, Field(description="The recording time asked, if one was."))}
    if cut:
        times["published_by"] = (datetime | None, Field(description="The publication cut-off asked, if one was."))
    nothing = create_model(
        name + "NotYet", __config__=ConfigDict(json_schema_serialization_defaults_required=True),
        __doc__=f"The {name.lower()} as of a time before it existed: nothing yet"
                " (docs/projections.md, \"Reads by id\").",
        **{ident: (UUID, ...)},
        state=(Literal["not_yet_recorded"], Field(description="`not_yet_recorded`: the ledger had not recorded it"
                                                              " yet then (it has since); an unknown id answers 404.")),
        version=(Literal[0], Field(description="0: no version yet; the ETag `\"0\"` gives 304 while it holds.")),
        **times, **empty)
    root = RootModel[Annotated[record | nothing, Field(discriminator="state")]]  # type: ignore[valid-type]
    return type(name + "Answer", (root,), {"__module__": __name__,
                                           "__doc__": f"The {name.lower()}, or nothing yet before it existed."})


FigureAnswer = by_id(FigureOut, "figure_id", cut=True)
SourceAnswer = by_id(SourceOut, "source_id")
IncidentAnswer = by_id(IncidentOut, "incident_id")
ReportAnswer = by_id(ReportOut, "report_id", cut=True)
CitationAnswer = by_id(CitationOut, "citation_id")


class Health(BaseModel):
    status: Literal["ok"]
    worker: str = Field(description="An opaque token naming the server process that answered.")


# ---- the vocabulary (ledger/terms.py) -----------------------------------------------------

TermKind = enum.StrEnum("TermKind", {k: k for k in terms.KINDS})  # type: ignore[misc]
Label = text(limits.MAX_LABEL)
Definition = text(limits.MAX_DEFINITION)
PCode = Annotated[str, StringConstraints(pattern=limits.P_CODE_PATTERN, max_length=14)]
Coordinates = Annotated[list[Annotated[float, Field(ge=-180, le=180)]], Field(
    min_length=2, max_length=2, description="[latitude, longitude] in degrees, WGS84.")]


class TermFields(Strict):
    label_ar: Label | None = None
    part_of: Code | None = Field(None, description="A metric only: the metric this one is part of"
                                                   " (`civilians_killed` is part of `killed`).")
    closed: StrictBool | None = Field(None, description="A dimension only: whether its values must be defined terms.")
    p_code: PCode | None = Field(None, description="A value of `place` only: its OCHA P-code, e.g. `SY070400`.")
    coordinates: Coordinates | None = Field(None, description="A value of `place` only: [latitude, longitude], WGS84.")


class TermIn(TermFields):
    """A new term: a metric, a dimension, a dimension's value or a population."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"kind": "metric", "code": "journalists_killed", "definition": "journalists and media workers killed",
         "label_en": "journalists killed", "label_ar": "الصحفيون القتلى", "part_of": "civilians_killed",
         "reason": "the monitors count them apart"},
        {"kind": "value", "dimension": "place", "code": "معرة النعمان", "definition": "a town in Idlib governorate",
         "label_en": "Maarat al-Numan", "p_code": "SY070400", "coordinates": [35.6433, 36.6717],
         "reason": "SNHR reports name it"}]})

    kind: TermKind
    code: BreakdownValue = Field(description="A metric's, dimension's or population's code (lower case, `_`);"
                                             " a value as written, in any script.")
    dimension: Code | None = Field(None, description="A value only: the dimension it is a value of.")
    definition: Definition
    label_en: Label
    reason: Reason


class TermRevisionIn(TermFields):
    """What changes in a term (its kind and code never do), and why."""

    definition: Definition | None = None
    label_en: Label | None = None
    reason: Reason


class TermChanged(BaseModel):
    term: str
    version: int


class TermVersionOut(BaseModel):
    version: int
    event: str
    actor: str
    at: str
    reason: str
    changes: dict[str, Any]


class TermOut(BaseModel):
    term: str
    kind: str
    code: str
    dimension: str | None = None
    definition: str
    label_en: str
    label_ar: str | None = None
    part_of: str | None = None
    closed: bool | None = None
    p_code: str | None = None
    coordinates: list[float] | None = None
    version: int
    defined_by: str
    defined_at: str | None
    revised_by: str | None = None
    revised_at: str | None = None
    reason: str
    history: list[TermVersionOut] | None = None


class VocabularyOut(BaseModel):
    kinds: dict[str, str] = Field(description="The kinds of term and what each names.")
    terms: list[TermOut]
