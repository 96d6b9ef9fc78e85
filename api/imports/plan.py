"""From a table's rows to the reports an import would file, with every problem named by row and column.

One row states one figure of one report; rows group into reports by source, title and
publication date. Each report is checked by the API's own request model (``ReportIn``: the
same messages as ``POST /reports``) and then by the ledger's own check of that command
(``Ledger.check_report``: unknown sources and incidents, a figure stated twice, the report's
period...). A row at fault is left out of its report and the rest checked again, so every
problem is found, not only the first; a problem with the report itself (its title, its
source) refuses all of its rows.

Nothing here records anything: ``api.imports.record`` files the reports of a plan.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson
from pydantic import ValidationError

from api.imports.columns import (
    CITATION, CORRECTION, FIELD_COLUMN, FIGURE, NEW_INCIDENT, NEW_SOURCE, REPORT, VALUE, Mapping,
)
from api.imports.files import Sheet
from api.models import CitationIn, ReportIn
from api.problems import field_errors, said
from ledger import checks
from ledger.citation import Citation
from ledger.errors import InvalidInput, LedgerError, NotFound
from ledger.figure import figure_id
from ledger.incident import Incident
from ledger.source import Source
from ledger.value import Count, written_number
from ledger.vocabulary import WHOLE_POPULATION

_ITEM = re.compile(r"figures\[(\d+)\]\.?(.*)")
_NEGATIVE = re.compile(r"-[0-9]{1,20}")
_NOBODY = str(UUID(int=0))  # stands for ids a citation's check does not look at
FLAGS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None  # the file's own header (or hashtag) of the column at fault
    message: str        # the API's words


@dataclass
class ReportToFile:
    """A report to file: the ledger's arguments, the rows stating its figures, each row's citation."""

    rows: list[int]
    fields: dict[str, Any]
    citations: list[dict[str, Any] | None]
    key: str = ""


@dataclass
class Correction:
    """A figure's value to correct to, once the file's reports are filed (the figure named by the
    file's ids: ``Plan.created`` maps them when they are of records the import creates)."""

    row: int
    incident_id: str
    metric: str
    breakdown: dict[str, str]
    population: str
    value: dict[str, Any]
    reason: str
    key: str = ""


@dataclass
class Plan:
    reports: list[ReportToFile] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0
    #: The sources and incidents the file names by ids this ledger has not, to be created first:
    #: ``{"source" | "incident": {id in the file: the command's fields}}``.
    creating: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {"source": {}, "incident": {}})
    corrections: list[Correction] = field(default_factory=list)
    #: Rows refused because another row of their report (or the report itself) was at fault.
    with_report: dict[int, int] = field(default_factory=dict)

    @property
    def refused(self) -> set[int]:
        return {p.row for p in self.problems} | set(self.with_report)


@dataclass
class _Row:
    number: int
    figure: dict[str, Any]
    citation: dict[str, Any] | None


def plan(ledger: Any, actor: str, table: Sheet, mapping: Mapping | None = None,
         progress: Callable[[int], None] | None = None) -> Plan:
    mapping = mapping or Mapping()
    out = Plan()
    labels: dict[str, str] = {}
    names: list[str | None] = []
    for i, (header, tag) in enumerate(zip(table.headers, table.tags)):
        label = str(header if header is not None else tag or f"column {i + 1}")
        name = mapping.name(header, tag)
        if mapping.unknown(header, tag):
            out.problems.append(RowProblem(1, label, "this column is not one an import reads; name it in a"
                                        " mapping file, or leave it out"))
        elif name in labels:
            out.problems.append(RowProblem(1, label, f"this column says {name} again (so does {labels[name]})"))
            name = None
        if name is not None:
            labels[name] = label
        names.append(name)
    labels.update({name: name for name in mapping.fixed if name not in labels})

    groups: dict[tuple[Any, ...], list[tuple[int, dict[str, Any]]]] = {}
    creatable = _Creatable(actor, labels)
    corrections: list[tuple[int, dict[str, Any]]] = []
    for number, cells in table.rows:
        values = dict(mapping.fixed)
        for name, cell in zip(names, cells):
            if name is not None and cell is not None:
                values[name] = cell
        out.rows += 1
        creatable.add(number, values)
        if values.get(CORRECTION) is not None:
            corrections.append((number, values))
        else:
            key = tuple(_text(values.get(k)) for k in ("source_id", "report_title", "published_on"))
            groups.setdefault(key, []).append((number, values))
        if progress is not None and out.rows % 1000 == 0:
            progress(1000)
    for rows in groups.values():
        report = _report(ledger, actor, rows, labels, out, creatable)
        if report is not None:
            report.key = request_key(report)
            out.reports.append(report)
    stated = {figure_id(f["incident_id"], f["metric"], f["breakdown"], f.get("population", WHOLE_POPULATION))
              for r in out.reports for f in r.fields["figures"]}
    for number, values in corrections:
        correction = _correction(ledger, number, values, labels, stated, out)
        if correction is not None:
            out.corrections.append(correction)
    out.problems.extend(creatable.problems)
    out.creating = creatable.needed()
    if progress is not None:
        progress(out.rows % 1000)
    out.problems.sort(key=lambda p: p.row)
    return out


def request_key(report: ReportToFile) -> str:
    """The request key of a report's filing: its content, so the same rows file once however often imported."""
    content = orjson.dumps([report.fields, report.citations], option=orjson.OPT_SORT_KEYS)
    return "import:" + hashlib.sha256(content).hexdigest()


def _text(value: Any) -> Any:
    return None if value is None else str(value)


class _Creatable:
    """The sources and incidents a file's rows could create, by the id the rows give them. Only one
    the ledger turns out not to have is checked (as its command checks it, nothing recorded), and
    every row naming it must then say the same of it."""

    KINDS = {"source": ("source_id", NEW_SOURCE), "incident": ("incident_id", NEW_INCIDENT)}
    REQUIRED = {"source": ("name", "kind", "language"), "incident": ("title", "valid_from")}

    def __init__(self, actor: str, labels: dict[str, str]) -> None:
        self.actor, self.labels = actor, labels
        self.given: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        self.checked: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.problems: list[RowProblem] = []
        self.used: dict[str, set[str]] = {"source": set(), "incident": set()}

    def add(self, number: int, values: dict[str, Any]) -> None:
        for kind, (id_column, columns) in self.KINDS.items():
            ident = _text(values.get(id_column))
            given = {f: _text(values[c]) for c, f in columns.items() if values.get(c) is not None}
            if ident is None or not given:
                continue
            if kind == "source" and values.get("language") is not None:
                given.setdefault("language", _text(values["language"]))  # the report's, unless said
            if kind == "incident":
                given["places"] = [p.strip() for p in (given.get("places") or "").split(";") if p.strip()]
            self.given.setdefault((kind, ident), []).append((number, given))

    def can(self, kind: str, ident: Any) -> bool:
        """Whether the rows say enough to create this record (the first time asked: checked, its problems kept)."""
        key = (kind, str(ident))
        if key not in self.checked:
            self.checked[key] = self._check(kind, *key[1:])
        return self.checked[key] is not None

    def _check(self, kind: str, ident: str) -> dict[str, Any] | None:
        rows = self.given.get((kind, ident))
        if not rows:
            return None
        columns = self.KINDS[kind][1]
        by_field = {f: c for c, f in columns.items()}
        (first, fields), ok = rows[0], True
        for number, other in rows[1:]:
            if other != fields:
                self._fault(number, next(iter(columns)), f"the rows naming {kind} {ident} must agree on it;"
                                                         f" row {first} does not")
                ok = False
        try:
            command = Source.register if kind == "source" else Incident.record
            command(self.actor, **{**dict.fromkeys(self.REQUIRED[kind]), **fields})
        except InvalidInput as e:
            self._fault(first, by_field.get(e.field or "", next(iter(columns))), e.message)
            return None
        return fields if ok else None

    def _fault(self, number: int, column: str, message: str) -> None:
        self.problems.append(RowProblem(number, self.labels.get(column, column), message))

    def needed(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Those the plan's reports name and the ledger has not (check_report said so)."""
        return {kind: {i: self.checked[kind, i] for i in sorted(self.used[kind])} for kind in self.KINDS}


def _report(ledger: Any, actor: str, rows: list[tuple[int, dict[str, Any]]], labels: dict[str, str],
            out: Plan, creatable: _Creatable | None = None) -> ReportToFile | None:
    if not rows:
        return None
    creating: set[str] = set()
    first_number, first = rows[0]
    column = lambda name: labels.get(name, name)  # noqa: E731
    fields = {REPORT[k]: _text(first[k]) for k in REPORT if first.get(k) is not None}
    items: list[_Row] = []
    for number, values in rows:
        bad = False
        for name in REPORT:
            if _text(values.get(name)) != _text(first.get(name)):
                out.problems.append(RowProblem(number, column(name), f"the rows of one report (one source, title and"
                                            f" publication date) must agree on {name}; row {first_number} does not"))
                bad = True
        citation, problems = _citation(actor, values, column)
        out.problems.extend(RowProblem(number, c, m) for c, m in problems)
        if not (bad or problems):
            items.append(_Row(number, _figure(values), citation))
    refused_report = False
    while items:
        body = {**fields, "figures": [r.figure for r in items]}
        try:
            model = ReportIn.model_validate(body)
        except ValidationError as error:
            at_fault: set[int] = set()
            for e in field_errors(error.errors()):
                match = _ITEM.fullmatch(e["field"])
                if match is None:
                    out.problems.append(RowProblem(first_number, column(_column(e["field"])), e["message"]))
                    refused_report = True
                else:
                    index = int(match.group(1))
                    at_fault.add(index)
                    out.problems.append(RowProblem(items[index].number, column(_column(match.group(2))), e["message"]))
            if refused_report:
                break
            items = [r for i, r in enumerate(items) if i not in at_fault]
            continue
        arguments = model.as_ledger()
        try:
            ledger.check_report(actor, **arguments, creating=creating)
        except NotFound as e:
            if creatable is not None and creatable.can(e.kind, e.ident) and str(e.ident) not in creating:
                creating.add(str(e.ident))  # to be created from the rows' own columns before filing
                continue
            gone = []
            if e.kind == "incident":
                gone = [r for r, f in zip(items, arguments["figures"]) if f["incident_id"] == str(e.ident)]
                out.problems.extend(RowProblem(r.number, column("incident_id"), "no incident with this id") for r in gone)
            if gone:
                items = [r for r in items if r not in gone]
                continue
            out.problems.append(RowProblem(first_number, column("source_id" if e.kind == "source" else ""),
                                        f"no {e.kind} with this id"))
            refused_report = True
            break
        except InvalidInput as e:
            if e.field == "figures":  # a figure stated twice: every statement after its first is at fault
                seen: set[UUID] = set()
                twice = []
                for r, f in zip(items, arguments["figures"]):
                    fid = figure_id(f["incident_id"], f["metric"], f["breakdown"], f["population"])
                    (twice if fid in seen else []).append(r)
                    seen.add(fid)
                if twice:
                    out.problems.extend(RowProblem(r.number, column("breakdown"), e.message) for r in twice)
                    items = [r for r in items if r not in twice]
                    continue
            # A statement's words are checked against the vocabulary by the ledger, named by their row's path.
            field = _STATEMENT.sub("", e.field or "")
            out.problems.append(RowProblem(first_number, column(FIELD_COLUMN.get(field) or FIELD_COLUMN.get(
                field.split(".")[0], field)), said(e)))
            refused_report = True
            break
        except LedgerError as e:
            out.problems.append(RowProblem(first_number, None, e.message))
            refused_report = True
            break
        if creatable is not None:
            for kind in creatable.KINDS:
                creatable.used[kind] |= {i for i in creating if creatable.can(kind, i)}
        return ReportToFile([r.number for r in items], arguments, [r.citation for r in items])
    if refused_report:
        faulty = {p.row for p in out.problems}
        for r in items:
            if r.number not in faulty:
                out.with_report[r.number] = first_number
    return None


_STATEMENT = re.compile(r"^figures\[\d+\]\.")


def _correction(ledger: Any, number: int, values: dict[str, Any], labels: dict[str, str], stated: set[UUID],
                out: Plan) -> Correction | None:
    """A row correcting a figure: its value and reason checked as ``correct_figure`` checks them, and
    the figure stated by a report of the file or already in this ledger."""
    column = lambda name: labels.get(name, name)  # noqa: E731
    figure = _figure(values)
    problems = []
    value = figure["value"]  # as the source said it: correct_figure reads it as the API's body does
    try:
        Count.parse(value)
    except InvalidInput as e:
        problems.append((column("qualifier"), e.message))
    try:
        reason = checks.reason(_text(values[CORRECTION]))
    except InvalidInput as e:
        problems.append((column(CORRECTION), e.message))
    breakdown_ = figure.get("breakdown", {})
    if not isinstance(breakdown_, dict):
        problems.append((column("breakdown"), "a breakdown is dimension=value;dimension=value, or total"))
    if problems:
        out.problems.extend(RowProblem(number, c, m) for c, m in problems)
        return None
    population = figure.get("population") or WHOLE_POPULATION
    try:
        incident_id = str(UUID(str(figure.get("incident_id"))))
        fid = figure_id(incident_id, str(figure["metric"]), breakdown_, population)
    except (KeyError, TypeError, ValueError):
        out.problems.append(RowProblem(number, column("incident_id"), "a correction names its figure by incident,"
                                    " metric, breakdown and population"))
        return None
    if fid not in stated:
        try:
            ledger.figure(str(fid))
        except NotFound:
            out.problems.append(RowProblem(number, column("incident_id"), "no figure with this incident, metric,"
                                        " breakdown and population, in the ledger or in this file's reports"))
            return None
    correction = Correction(number, incident_id, str(figure["metric"]), breakdown_, population,
                            value, reason)
    content = orjson.dumps([correction.incident_id, correction.metric, breakdown_, population, value, reason],
                           option=orjson.OPT_SORT_KEYS)
    correction.key = "import:correction:" + hashlib.sha256(content).hexdigest()
    return correction


def _column(path: str) -> str:
    path = path.split("[")[0]
    return FIELD_COLUMN.get(path) or FIELD_COLUMN.get(path.split(".")[0]) or path


def _figure(values: dict[str, Any]) -> dict[str, Any]:
    value = {field: _number(values[name]) if field in ("number", "low", "high") else _text(values[name])
             for name, field in VALUE.items() if values.get(name) is not None}
    figure: dict[str, Any] = {"value": Count.statement(value) if "qualifier" in value else value}
    for name, field_ in FIGURE.items():
        if values.get(name) is None:
            continue
        cell = values[name]
        if name == "breakdown":
            figure[field_] = breakdown(cell)
        elif name == "adopt":
            figure[field_] = cell if isinstance(cell, bool) else FLAGS.get(str(cell).strip().lower(), cell)
        else:
            figure[field_] = _text(cell)
    return figure


def breakdown(cell: Any) -> Any:
    """The export's form ``dimension=slug;dimension=slug`` (``total`` for none) as the API's object."""
    text = str(cell).strip()
    if text in ("", "total"):
        return {}
    parts = [p.partition("=") for p in text.split(";") if p.strip()]
    if any(not sep for _, sep, _ in parts):
        return text  # refused by the request model, in its words, at this column
    return {k.strip(): v.strip() for k, _, v in parts}


def _number(cell: Any) -> Any:
    """A cell's whole number, in Latin or Arabic-Indic digits as a form takes it (``written_number``)."""
    if not isinstance(cell, str):
        return cell
    text = cell.strip()
    if _NEGATIVE.fullmatch(text):
        return int(text)  # so that it is refused as a count, not as text
    found = written_number(text)
    return cell if found is None else found


def _citation(actor: str, values: dict[str, Any], column: Callable[[str], str]
              ) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """The citation a row asks for, checked as POST /citations and the cite command check it."""
    given = {field: _text(values[name]) for name, field in CITATION.items() if values.get(name) is not None}
    if not given:
        return None, []
    by_field = {field: name for name, field in CITATION.items()}
    try:
        model = CitationIn.model_validate({"target_id": _NOBODY, "source_id": _NOBODY, **given})
    except ValidationError as error:
        return None, [(column(by_field.get(e["field"], e["field"])), e["message"])
                      for e in field_errors(error.errors())]
    citation = model.model_dump(mode="json", exclude={"target_id", "source_id"})
    try:
        Citation.cite(actor, target_kind="figure", target_id=_NOBODY, source_id=_NOBODY, **citation)
    except InvalidInput as e:
        return None, [(column(by_field.get(e.field or "", "citation_url")), e.message)]
    return citation, []
