"""The three times, and the publication cut-off: when a source's word counts in ``published_by``.

Valid time (when the harm happened) is the incidents' periods; recording time (when the ledger
learnt it) is ``as_of``; publication time (when the source said it) is each report's
``published_on``. A read cut at (``as_of`` T, ``published_by`` P) folds, in the order the ledger
recorded them, a figure's events recorded by T whose *publication instant* is by P:

- a source's word (a statement, a claim, an adoption, a supersession) is published when its
  report was: the start (00:00 UTC) of its ``published_on`` day; a report with no publication
  date counts from its filing (recording) time;
- corrections, retractions and grades are the ledger's own acts: published when recorded;
- an adoption or a supersession goes with the report of the claim it adopts (the event's own
  report), so a judgement never counts before the word it judges was out.
- for anyone but an auditor, a protected source's word counts from its filing, its report's
  date being withheld (redaction.filing_placed; the reads in read_filters.py fold its figures
  afresh, since the views' columns below place it by the date).

The first word counted is the figure's value, as a first statement is; an act on a figure of
which no word counts yet has nothing to act on and is left out. With P past every publication
the cut is the plain as-of read (docs/model.md, "Three times").

The views keep, per figure version (projections/figure_views.py): ``published_at``, its own
event's publication instant; ``published_from``, the latest instant among the figure's
versions up to it (the version is the fold of a prefix all published by then);
``published_to``, the next version's ``published_from`` (OPEN for the current one); and
``late``, whether it was published before a word already on record for the figure (an archive
entered late). The stored state answering (T, P) is the last version recorded by T whose
``published_from`` is by P (CUT below); it is exact unless a late word after it counts
(LATE below), and only such figures are folded afresh here (``fold``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Iterator, NamedTuple

import orjson

from ledger.errors import InvalidInput
from ledger.limits import LAST_YEAR
from ledger.tally import is_approximate
from projections.times import iso, micros

#: Kinds of figure version that are a source's word (their report dates them).
WORDS = frozenset({"stated", "claimed", "adopted", "superseded"})
#: Kinds that set the figure's value when counted (a claim not adopted does only as the first word).
_SETS_VALUE = frozenset({"stated", "adopted", "corrected", "superseded"})
_DAY = timedelta(days=1)


def check_published_by(value: object) -> int | None:
    """The cut as an instant (microseconds, UTC), or None for no cut.

    A date (YYYY-MM-DD) means by the end of that day; a date and time must carry a zone."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        _within_years(value)
        return micros(datetime(value.year, value.month, value.day, tzinfo=timezone.utc) + _DAY) - 1
    elif isinstance(value, str) and len(value.strip()) == 10:
        try:
            return check_published_by(date.fromisoformat(value.strip()))
        except ValueError:
            raise InvalidInput(f"published_by must be a date (YYYY-MM-DD) or a date and time with a zone,"
                               f" got {value!r}", field="published_by") from None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"published_by must be a date (YYYY-MM-DD) or a date and time with a zone,"
                               f" got {value!r}", field="published_by") from None
    else:
        raise InvalidInput("published_by must be a date (YYYY-MM-DD) or a date and time with a zone",
                           field="published_by")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("published_by must carry a time zone (UTC), e.g. 2019-06-01T00:00:00Z or a date",
                           field="published_by")
    return micros(_within_years(moment))


def _within_years(moment: date) -> date:
    """A cut no read overflows on (its end of day, its instant in any zone, echoed back as ISO 8601)."""
    if moment.year > LAST_YEAR:
        raise InvalidInput(f"published_by must be {LAST_YEAR} or earlier", field="published_by")
    if moment.year < 2:  # year 1 at +14:00 is before the first instant Python holds in UTC
        raise InvalidInput("published_by must be in the year 2 or later", field="published_by")
    return moment


def iso_published_by(cut: int | None) -> str | None:
    """The cut as answers state it (ISO 8601 UTC)."""
    return None if cut is None else iso(cut)


def published_echo(cut: int | None) -> dict[str, Any]:
    """The cut as an answer states it: present only when asked (answers without it are unchanged)."""
    return {} if cut is None else {"published_by": iso_published_by(cut)}


def report_published_at(published_on: str | None, filed_at: int) -> int:
    """When a report was published: the start of its publication day, else its filing time."""
    if not published_on:
        return filed_at
    day = date.fromisoformat(published_on)
    return micros(datetime(day.year, day.month, day.day, tzinfo=timezone.utc))


def word_published_at(kind: str, report: tuple[str | None, int] | None, recorded_at: int) -> int:
    """When a figure event was published: its report's time for a source's word (``report`` is
    its (published_on, filed_at), None when the views hold no such report), else its recording."""
    if kind in WORDS and report is not None:
        return report_published_at(*report)
    return recorded_at


def counts(published_at: int, cut: int | None) -> bool:
    return cut is None or published_at <= cut


#: Versions answering (T, P) from the stored states: recorded by T, published through P, and
#: either still the word at T or followed by a version not all published by P. Parameters: T, P, T, P.
CUT = ("fv.recorded_from <= ? AND fv.published_from <= ? AND (fv.recorded_to > ? OR fv.published_to > ?)")
#: Late words that count at (T, P) past the stored state: their figures are folded afresh.
#: Parameters: T, P, P.
LATE = ("fv.late = 1 AND fv.recorded_from <= ? AND fv.published_at <= ? AND fv.published_from > ?")


def _kinds(kinds: Iterable[str], alias: str = "fv.kind") -> str:
    return f"{alias} IN (" + ", ".join(f"'{k}'" for k in sorted(kinds)) + ")"


_SETS_STATUS = ("corrected", "superseded", "retracted")
#: Of a figure's versions that a cut counts, those ``fold``'s result depends on: the first word
#: (where no stored state starts it), the last that set the value, the status and the grade, and
#: the last of all (the version). Folded alone, in version order, they give what every counted
#: version gives, so a read brings only these out of the store (the hottest figure at 1M events
#: has 21,615 late words: fetching them took ~1 s, sorting them for window functions ~0.5 s).
#: And the last version whether counted or not, so that a figure none of whose versions counts
#: is still met (``fold`` passes over what does not count).
_CHOSEN = (("MAX", None), ("MAX", _SETS_VALUE), ("MAX", _SETS_STATUS), ("MAX", ("regraded",)), ("MIN", WORDS))
#: SQL: over rows ``k`` of a figure's versions (``k_figure``, ``k_from``, ``k_version``, ``k_kind``, and
#: ``k_counted``: 1 where the cut counts it), grouped by figure, one pass, the aggregates naming
#: the chosen versions; and the condition of the join (``d``: those aggregates) that seeks each
#: on the figure's key. A figure's versions start in version order (figure_views._advance holds
#: a start at the one before), so the last (first) of a kind has the latest (earliest) start among them.
DECIDING_KEYS = ", ".join(
    f"{agg}(CASE WHEN k.k_counted = 1{'' if among is None else ' AND ' + _kinds(among, 'k.k_kind')} THEN {column} END)"
    f" AS d_{name}{i}"
    for i, (agg, among) in enumerate(_CHOSEN) for name, column in (("v", "k.k_version"), ("f", "k.k_from"))
) + f", MAX(k.k_version) AS d_v{len(_CHOSEN)}, MAX(k.k_from) AS d_f{len(_CHOSEN)}"
DECIDING_JOIN = (f"fv.recorded_from IN ({', '.join(f'd.d_f{i}' for i in range(len(_CHOSEN) + 1))})"
                 f" AND fv.version IN ({', '.join(f'd.d_v{i}' for i in range(len(_CHOSEN) + 1))})")
#: Of a figure's counted words, those ``latest_claims``' result depends on: each source's last,
#: and every supersession (it marks the claims it replaces): the groups, and the same aggregates.
LATEST_WORDS_GROUPS = "fv.figure_id, fv.source_id, CASE WHEN fv.kind = 'superseded' THEN fv.version END"
LATEST_WORDS_KEYS = "fv.figure_id AS d_figure, MAX(fv.version) AS d_v0, MAX(fv.recorded_from) AS d_f0"
LATEST_WORDS_JOIN = "fv.recorded_from = d.d_f0 AND fv.version = d.d_v0"


class Folded(NamedTuple):
    """A figure's state under a cut, as the tallies and lists need it."""

    qualifier: str
    low: int
    high: int | None
    value: str
    value_source_id: str | None
    status: str
    grade: str
    version: int


def state_of(row: Any) -> Folded:
    """A stored version's state, as ``fold`` carries it on."""
    return Folded(row.qualifier, row.low, row.high, row.value, row.value_source_id, row.status, row.grade, row.version)


def fold(rows: Iterable[Any], cut: int | None, start: Folded | None = None) -> Folded | None:
    """A figure's state under a cut: from ``start`` (a stored state all counted, or None), on
    through its later versions recorded by T (``rows``, in version order), counting only those
    published by ``cut``; None when no word counts. Each row has ``kind``, ``published_at``,
    ``version``, the state after it (``qualifier``, ``low``, ``high``, ``value``,
    ``value_source_id``, ``grade``) and ``said_*``, the word's own value (a claim not adopted
    leaves the state as it was but may be the first word counted)."""
    state: dict[str, Any] | None = None if start is None else start._asdict()
    for r in rows:
        if not counts(r.published_at, cut):
            continue
        if state is None:
            if r.kind not in WORDS:
                continue  # an act with no word to act on yet
            said = (r.qualifier, r.low, r.high, r.value) if r.kind in _SETS_VALUE else (
                r.said_qualifier, r.said_low, r.said_high, r.said_value)
            state = {"qualifier": said[0], "low": said[1], "high": said[2], "value": said[3],
                     "value_source_id": r.source_id, "status": "active", "grade": "unassessed"}
        elif r.kind in _SETS_VALUE:
            state.update(qualifier=r.qualifier, low=r.low, high=r.high, value=r.value,
                         value_source_id=r.value_source_id)
        if r.kind in ("corrected", "superseded"):
            state["status"] = "active"
        elif r.kind == "retracted":
            state["status"] = "retracted"
        elif r.kind == "regraded":
            state["grade"] = r.grade
        state["version"] = r.version
    return None if state is None else Folded(**state)


def states(rows: Iterable[Any], cut: int | None, start: Folded | None = None) -> Iterator[tuple[Any, Folded]]:
    """Each version the cut counts (``rows`` as ``fold`` reads them, in version order) with the
    figure's state under the cut after it: the figure by id as of that version's recording. An
    act on a figure with no word counted yet has no state, and is left out. ``start``: the state
    before ``rows`` (a stored one all counted, as ``fold`` takes it), None for a figure's first versions."""
    state = start
    for r in rows:
        if not counts(r.published_at, cut):
            continue
        folded = fold([r], cut, state)
        if folded is not None:
            yield r, folded
            state = folded


class Claim(NamedTuple):
    """A source's latest claim on a figure under a cut (the shape the by-source tally and the spread read)."""

    source_id: str
    figure_id: str
    report_id: str | None
    value: str
    qualifier: str
    low: int
    high: int | None
    superseded: int
    claimed_at: int
    claim_version: int


def latest_claims(words: Iterable[Any], cut: int | None) -> list[Claim]:
    """Each source's latest claim counted by ``cut``, from a figure's words recorded by T in
    version order (rows with ``figure_id``, ``version``, ``kind``, ``source_id``, ``report_id``,
    ``replaces``, ``published_at``, ``recorded_at`` and the claim as said: ``said_*``). A claim
    is superseded only by a supersession counted by the cut, which goes with its own report."""
    latest: dict[tuple[str, str], Claim] = {}
    for w in words:
        if w.kind not in WORDS or not counts(w.published_at, cut):
            continue
        if w.kind == "superseded":
            for source_id in orjson.loads(w.replaces or "[]"):
                old = latest.get((w.figure_id, source_id))
                if old is not None:
                    latest[(w.figure_id, source_id)] = old._replace(superseded=1)
        latest[(w.figure_id, w.source_id)] = Claim(w.source_id, w.figure_id, w.report_id, w.said_value,
                                                   w.said_qualifier, w.said_low, w.said_high, 0, w.recorded_at,
                                                   w.version)
    return list(latest.values())


def restate(row: Any, folded: Folded) -> Any:
    """A stored row (a named tuple of any shape) with the state the fold found, field by field."""
    fields = set(row._fields)
    changes = {k: v for k, v in folded._asdict().items() if k in fields}
    if "approximate" in fields:
        changes["approximate"] = is_approximate(folded.qualifier)
    return row._replace(**changes)
