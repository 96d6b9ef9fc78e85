"""The pages for reading the ledger: the dashboard, a count's history, and one page per record.

Every page reads through the projections' Reader (the query routes' dependency, which first
brings the views up to the log's head) with ``include_protected`` for auditors only, exactly
as the API's query routes do: the redaction rule is the projections', never this module's.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.deps import Now, log_state
from api.models import Metric, Population
from api.months import monthly_rows
from api.problems import ApiProblem
from api.routers._shared import Reader
from api.routers.queries import report_figures
from api.routers._shared import _reader as queries_reader
from api.web import by_month, citation_names, count_cut
from api.web.sign_in import sign_in_page
from api.web import i18n
from api.web.render import PREFIX, kept_cut, kept_part, page, part, published_of
from api.web.session import Session, current_session
from ledger import checks, limits
from ledger.checks import moment as moment_of
from ledger.errors import NotFound
from ledger.vocabulary import WHOLE_POPULATION
from projections.breakdown_checks import split_check

router = APIRouter(include_in_schema=False, dependencies=[Depends(kept_cut)])


class SignInRequired(Exception):
    """A page that needs a signed-in caller was asked for without one: answered by a redirect."""


async def signed_in(request: Request) -> Session:
    session = await current_session(request)
    if session is None:
        raise SignInRequired()
    return session


Signed = Annotated[Session, Depends(signed_in)]
AsOf = Annotated[str | None, Query(max_length=limits.MAX_MOMENT)]
Lang = Annotated[str | None, Query(max_length=5)]
Cursor = Annotated[str | None, Query(max_length=limits.MAX_CURSOR)]
Month = Annotated[str | None, Query(max_length=7)]
#: Words a page filters or searches by (a picker's, the audit page's actor): text by the API's rule
#: (no control character: PostgreSQL's text holds no NUL), empty for none, as a form sends it.
Words = Annotated[str | None, Query(max_length=limits.MAX_FILTER, pattern=rf"^[^{checks.CONTROLS}]*$")]

#: The population a count's page counts (docs/model.md): the whole counted one by default.
Counted = Annotated[Population | None, Query()]
#: The cursors of the pages before this one (``~`` for the first), "."-joined: the history's cursor
#: only goes forward, so "previous" links carry where they came from, the latest BACK of them.
BACK = 20
Back = Annotated[str | None, Query(max_length=BACK * 80, pattern=r"^[A-Za-z0-9_~.-]*$")]
#: Versions of a figure on one page of its history; the by-version lookups read MAX_LIMIT at a time.
HISTORY_PAGE, LOOKUP = 50, limits.MAX_PAGE_SIZE
#: Claims and citations shown on one page of a figure: a figure cited thousands of times would
#: otherwise weigh megabytes; "more" links page on, the spread's download has every claim.
LISTED_CLAIMS = 50
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
#: How many incidents and sources the dashboard lists (the lists' own pages have the rest).
LISTED = 50
#: A source's reports on one page of it (as an incident's figures); "more" links page on.
LISTED_REPORTS = 100
#: A count's history: how many of its latest points are charted, and listed in the table, each told
#: in full there (who, why, source, evidence: read with the steps); "earlier" links page back.
CHARTED, LISTED_STEPS = 1000, 100
#: How many flagged checks of parts the dashboard shows (the checks page has them all).
FLAGGED = 20


def moment(value: str | None, field: str = "as_of") -> Any:
    """A time a link or a form gives (``field``: as_of, since, until), by the API's rule."""
    return moment_of(value, field) if value else None


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept.split(";")[0] or accept.startswith("text/html")


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, as_of: AsOf = None) -> Any:
    """The dashboard for browsers; any other client keeps the 404 problem it had here."""
    if not wants_html(request):
        raise ApiProblem(404, "there is no such resource")
    session = await current_session(request)
    if session is None:
        return sign_in_page(request, "/")
    reader = await queries_reader(request, await log_state(request))
    return await run_in_threadpool(_dashboard, request, session, reader, moment(as_of))


def _dashboard(request: Request, session: Session, reader: Any, at: Any) -> HTMLResponse:
    sees, cut = session.caller.sees_protected, published_of(request)
    incidents = reader.incidents(as_of=at, limit=LISTED, include_protected=sees)
    counts = reader.record_counts(as_of=at, include_protected=sees)
    tallies = []
    for metric in reader.terms.of_kind("metric"):
        # A metric nothing was recorded of is listed as "no data", never as zero.
        total = reader.tally_splits(metric, as_of=at, include_protected=sees, published_by=cut)  # every split
        # Each split checked against the total by the rule the incidents' checks use: of 108 killed,
        # 12 + 18 by age leave 78 of no stated age. It costs nothing more: the split is read already.
        breakdowns = {dimension: {"groups": split["groups"], "check": split_check(total["sum"], split["groups_sum"])}
                      for dimension, split in total["splits"].items()}
        tallies.append({"metric": metric, "sum": total["sum"], "breakdowns": breakdowns,
                        "splits_kept": total.get("splits_kept", True)})
    # The checks of parts are read incident by incident: on a ledger of more than a page of
    # incidents they cost too much for the first page, and are a link to the checks page instead.
    checks = [] if incidents["next_cursor"] else reader.breakdown_checks(totals_only=True, as_of=at,
                                                                          include_protected=sees, published_by=cut)
    flagged = [c for c in checks if c["status"] != "complete"]
    trail = getattr(request.app.state, "audit", None)
    checkpoint = trail.latest_checkpoint(signed_by=at) if trail is not None else None
    return page(request, "dashboard.html", session, incidents=incidents, counts=counts, tallies=tallies,
                checks=flagged[:FLAGGED], flagged=len(flagged), checked=None if incidents["next_cursor"] else len(checks), checkpoint=None if checkpoint is None else checkpoint.to_dict(),
                applies_cut=True)


@router.get(PREFIX + "/tallies/{metric}", response_class=HTMLResponse)
def tally_history(request: Request, metric: Metric, reader: Reader, session: Signed, now: Now, as_of: AsOf = None,
                  months_from: Month = None, months_to: Month = None, population: Counted = None,
                  order: count_cut.Order = None) -> Any:
    """A count's history: every moment the tally changed, with who moved it, why, from which source;
    and the count month by month of valid time; of one population (default the whole counted one)."""
    sees, at = session.caller.sees_protected, moment(as_of)
    counted = population if population is not None else WHOLE_POPULATION

    def count() -> Any:
        cut = published_of(request)
        monthly = _monthly(reader, metric, at, sees, months_from, months_to, counted, cut)
        # The latest points only: the whole history grows with the log (tally_history_latest).
        charts = count_cut.charts(reader, metric, at, sees, counted, cut, order, CHARTED, LISTED_STEPS)
        return part(request, "count.html", session, metric=metric, population=counted,
                    chosen=None if population is None else counted, **monthly, **charts)

    # Its reads and its table of 100 steps cost ~25 ms at 1M events: the same page at the same head is the same.
    key = ("count", request.url.path, request.url.query, i18n.choose(request).code, sees)
    return page(request, "tally.html", session, metric=metric, count=kept_part(request, now.head, key, count),
                applies_cut=True)


def _monthly(reader: Any, metric: str, at: Any, sees: bool, months_from: str | None,
             months_to: str | None, population: str, published_by: str | None) -> dict[str, Any]:
    """The count by month of valid time: the months asked for, or the incidents' whole span."""
    rows = monthly_rows(reader, metric, at, sees, months_from, months_to, population, published_by)
    return {"monthly": rows, "month_chart": by_month.bars(rows) if rows else None,
            "month_span": {"from": rows[0]["month"] if rows else "", "to": rows[-1]["month"] if rows else ""}}


def versions_of(reader: Any, figure_id: str, wanted: set[int], at: Any, sees: bool,
                published_by: str | None = None) -> dict[int, dict[str, Any]]:
    """The figure's versions numbered ``wanted`` (under the cut, if one), read through its history
    page by page (with the cursor) until all are found: a figure with 10,000 versions has its last ones too."""
    found: dict[int, dict[str, Any]] = {}
    cursor = None
    while True:
        page_ = reader.figure_history(figure_id, as_of=at, cursor=cursor, limit=LOOKUP, include_protected=sees,
                                      published_by=published_by)
        found.update({v["version"]: v for v in page_["versions"] if v["version"] in wanted})
        cursor = page_["next_cursor"]
        if cursor is None or wanted <= found.keys():
            return found


#: Incidents whose checks one page of the checks page shows: at 1M events all 8,329 incidents'
#: checks were 23 MB and 16.7 s of CPU; 50 were ~490 checks, 184 KB and 67 ms (docs/performance.md).
CHECKS_PAGE = 20


@router.get(PREFIX + "/checks", response_class=HTMLResponse)
def checks(request: Request, reader: Reader, session: Signed, metric: Annotated[Metric | None, Query()] = None,
           as_of: AsOf = None, cursor: Cursor = None,
           status: Annotated[str | None, Query(pattern="^(flagged|)$")] = None) -> Any:
    """The checks of parts against their total of a page of incidents, as GET /checks pages them:
    the flagged ones (not complete) first, or (``status=flagged``) only them."""
    found = reader.breakdown_checks_page(metric=metric, as_of=moment(as_of), cursor=cursor, limit=CHECKS_PAGE,
                                         include_protected=session.caller.sees_protected,
                                         published_by=published_of(request))
    shown = sorted((c for c in found["items"] if status != "flagged" or c["status"] != "complete"),
                   key=lambda c: c["status"] == "complete")
    return page(request, "checks.html", session, checks=shown, metric=metric, only=status or None,
                cursor=cursor, next_cursor=found["next_cursor"], checks_page=CHECKS_PAGE, applies_cut=True)


@router.get(PREFIX + "/figures/{figure_id}", response_class=HTMLResponse)
def figure(request: Request, figure_id: UUID, reader: Reader, session: Signed, as_of: AsOf = None,
           cursor: Cursor = None, back: Back = None, claims: Offset = 0, citations: Offset = 0) -> Any:
    return figure_page(request, session, reader, str(figure_id), moment(as_of), cursor, back,
                       shown={"claims": claims, "citations": citations})


def listed_from(items: list[Any], start: int) -> dict[str, Any]:
    """The LISTED_CLAIMS items from ``start`` and where the pages before and after it begin (``None``: none)."""
    return listed(items[start:start + LISTED_CLAIMS], len(items), start)


def listed(rows: list[Any], total: int, start: int) -> dict[str, Any]:
    """``rows``, LISTED_CLAIMS of ``total`` from ``start``, and where the pages before and after begin."""
    end = start + LISTED_CLAIMS
    return {"rows": rows, "total": total, "start": start,
            "previous": max(start - LISTED_CLAIMS, 0) if start else None, "next": end if end < total else None}


def figure_page(request: Request, session: Session, reader: Any, figure_id: str, at: Any, cursor: str | None,
                back: str | None = None, *, status: int = 200, form: dict[str, Any] | None = None,
                shown: dict[str, int] | None = None) -> HTMLResponse:
    """The figure page; the officer forms on it are filled from ``form`` after a refusal."""
    sees, cut = session.caller.sees_protected, published_of(request)
    try:
        current = reader.figure(figure_id, as_of=at, include_protected=sees, published_by=cut)
    except NotFound:
        return not_yet_page(request, session, reader, "figure", figure_id, at, cut)
    spread = reader.spread(figure_id, as_of=at, include_protected=sees, published_by=cut)
    # The grade's why: its latest regrading (the history shown may be a page that lacks it), one
    # seek. Not read for a figure still unassessed, most of them: unassessed needs no reason.
    grading = None if current["grade"] == "unassessed" else reader.latest_grading(
        figure_id, as_of=at, include_protected=sees, published_by=cut)
    history = reader.figure_history(figure_id, as_of=at, cursor=cursor, limit=HISTORY_PAGE, include_protected=sees,
                                    published_by=cut)
    paging = history_links(cursor, back, history["next_cursor"])
    # A conflict box tells the latest change, wherever the page of the history shown is.
    latest = None
    if form and form.get("problem") is not None and form["problem"].status == 412:
        latest = versions_of(reader, figure_id, {current["version"]}, at, sees).get(current["version"])
    # Only the citations listed: the hottest figures are cited thousands of times.
    cited = reader.citations_from(figure_id, start=shown.get("citations", 0) if shown else 0, limit=LISTED_CLAIMS,
                                  as_of=at, include_protected=sees)
    incident = reader.incident(current["incident_id"], as_of=at, include_protected=sees)
    form = form or {}
    # Each form its own request key (Idempotency-Key); a refused form comes back with a new one.
    form_keys = {change: str(uuid4()) for change in ("corrections", "grades", "supersessions", "retractions")}
    if form.get("change"):
        form_keys[form["change"]] = form["request_key"]
    shown = shown or {}
    return page(request, "figure.html", session, status=status, figure=current, spread=spread, history=history,
                grading=grading,
                claims=listed_from(spread["claims"], shown.get("claims", 0)),
                citations=listed(cited["rows"], cited["total"], cited["start"]), incident=incident, form=form, form_keys=form_keys, paging=paging, latest=latest,
                applies_cut=True)


def history_links(cursor: str | None, back: str | None, next_cursor: str | None) -> dict[str, Any]:
    """The next and previous pages of a history as query parameters (``None``: no such page); the
    previous page is known for the latest BACK pages walked, and the first page always is."""
    trail = [c for c in (back or "").split(".") if c]
    here = cursor or "~"
    following = None if next_cursor is None else {"cursor": next_cursor, "back": ".".join([*trail, here][-BACK:])}
    previous = None
    if cursor is not None and trail:
        before = trail[-1]
        previous = {"cursor": None if before == "~" else before, "back": ".".join(trail[:-1]) or None}
    return {"next": following, "previous": previous, "first": cursor is not None}


@router.get(PREFIX + "/incidents", response_class=HTMLResponse)
def incidents(request: Request, reader: Reader, session: Signed, as_of: AsOf = None, cursor: Cursor = None) -> Any:
    return listing(request, session, "incidents.html", reader.incidents, as_of, cursor)


def listing(request: Request, session: Session, template: str, read: Any, as_of: str | None,
            cursor: str | None, *, status: int = 200, form: dict[str, Any] | None = None) -> HTMLResponse:
    """A page of a listing, as the API's list routes read it (with its officer form, if it has one)."""
    listed = read(as_of=moment(as_of), cursor=cursor, limit=LISTED, include_protected=session.caller.sees_protected)
    return page(request, template, session, status=status, listed=listed, form=_change_form(form))


@router.get(PREFIX + "/incidents/{incident_id}", response_class=HTMLResponse)
def incident(request: Request, incident_id: UUID, reader: Reader, session: Signed, as_of: AsOf = None,
             cursor: Cursor = None) -> Any:
    return incident_page(request, session, reader, str(incident_id), moment(as_of), cursor)


def incident_page(request: Request, session: Session, reader: Any, incident_id: str, at: Any, cursor: str | None,
                  *, status: int = 200, form: dict[str, Any] | None = None) -> HTMLResponse:
    """The incident page; its officer form (revising the period) is filled from ``form`` after a refusal."""
    sees, cut = session.caller.sees_protected, published_of(request)
    try:
        record = reader.incident(incident_id, as_of=at, include_protected=sees)
    except NotFound:
        return not_yet_page(request, session, reader, "incident", incident_id, at)
    # The incident is the ledger's record (as_of alone); its figures and checks are as published by the cut.
    figures = reader.figures(incident_id=incident_id, as_of=at, cursor=cursor, limit=100, include_protected=sees,
                             published_by=cut)
    checks = reader.breakdown_checks(incident_id=incident_id, as_of=at, include_protected=sees, published_by=cut)
    return page(request, "incident.html", session, status=status, incident=record, figures=figures, checks=checks,
                form=_change_form(form), applies_cut=True)


def _change_form(form: dict[str, Any] | None) -> dict[str, Any]:
    """A record page's officer form: as refused (the officer's input, the API's words), or blank with a new key."""
    return form or {"values": {}, "errors": {}, "problem": None, "request_key": str(uuid4())}


@router.get(PREFIX + "/sources", response_class=HTMLResponse)
def sources(request: Request, reader: Reader, session: Signed, as_of: AsOf = None, cursor: Cursor = None) -> Any:
    return listing(request, session, "sources.html", reader.sources, as_of, cursor)


@router.get(PREFIX + "/sources/{source_id}", response_class=HTMLResponse)
def source(request: Request, source_id: UUID, reader: Reader, session: Signed, as_of: AsOf = None,
           cursor: Cursor = None) -> Any:
    return source_page(request, session, reader, str(source_id), moment(as_of), cursor=cursor)


def source_page(request: Request, session: Session, reader: Any, source_id: str, at: Any, *, status: int = 200,
                form: dict[str, Any] | None = None, cursor: str | None = None) -> HTMLResponse:
    """The source page; its officer form (protecting the source) is filled from ``form`` after a refusal."""
    sees = session.caller.sees_protected
    try:
        record = reader.source(source_id, as_of=at, include_protected=sees)
    except NotFound:
        return not_yet_page(request, session, reader, "source", source_id, at)
    # Its reports as published by the page's cut (the source itself is the ledger's record: as_of alone).
    reports = reader.reports(source_id=source_id, as_of=at, cursor=cursor, limit=LISTED_REPORTS,
                             include_protected=sees, published_by=published_of(request))
    return page(request, "source.html", session, status=status, source=record, reports=reports,
                form=_change_form(form), applies_cut=True)


@router.get(PREFIX + "/reports/{report_id}", response_class=HTMLResponse)
def report(request: Request, report_id: UUID, reader: Reader, session: Signed, as_of: AsOf = None) -> Any:
    sees, at = session.caller.sees_protected, moment(as_of)
    try:
        record = reader.report(str(report_id), as_of=at, include_protected=sees)
    except NotFound:
        return not_yet_page(request, session, reader, "report", str(report_id), at)
    figures = report_figures(reader, record, at, sees, published_of(request))  # as its download, cut
    citations = reader.citations(str(report_id), as_of=at, include_protected=sees)
    return page(request, "report.html", session, report=record, figures=figures, citations=citations,
                applies_cut=True)


@router.get(PREFIX + "/citations/{citation_id}", response_class=HTMLResponse)
def citation(request: Request, citation_id: UUID, reader: Reader, session: Signed, as_of: AsOf = None) -> Any:
    """As GET /citations/{id} answers it: a protected source's citation is 404 to all but auditors;
    as of a time, withdrawn only if it was by then, nothing yet before it was made."""
    sees, at = session.caller.sees_protected, moment(as_of)
    record = reader.citation_record(str(citation_id), as_of=at, include_protected=sees)
    if record["state"] == "not_yet_recorded":
        return page(request, "not_yet.html", session, kind="citation", record=record)
    return page(request, "citation.html", session, citation=record, request_key=str(uuid4()),
                **citation_names.named(reader, record, as_of=at, sees=sees))


def not_yet_page(request: Request, session: Session, reader: Any, kind: str, record_id: str, at: Any,
                 cut: str | None = None) -> HTMLResponse:
    """A record page as of a time (or under a cut) before the record existed: the ledger's
    "nothing yet" (projections/by_id.py), under the banner, rather than an error. An unknown id,
    or one the caller may not see, is the 404 it was: not_yet decides, as it does for the API."""
    record = reader.not_yet(kind, record_id, as_of=at, published_by=cut,
                            include_protected=session.caller.sees_protected)
    return page(request, "not_yet.html", session, kind=kind, record=record, applies_cut=cut is not None)
