"""A report form's figure rows, read into the figure statements ``POST /reports`` takes.

A row's fields are ``figures[i].…`` (the API's own paths: ``figures[i].value.number``); each of its
breakdown pairs is ``figures[i].breakdown[j].dimension`` and ``figures[i].breakdown[j].part``, read
into the statement's ``breakdown`` object ``{dimension: part}``. A row or a pair left blank is left
out (a row's qualifier, a select that always holds a choice, does not make it filled), so the
statements the API numbers ``figures[0]``, ``figures[1]``… need not be the rows the officer typed
them in: ``Rows.form_field`` puts each refusal back on the row, and the pair, it names.

Without JavaScript the form grows by its own submit buttons (``add``: ``row``, or a row's index for
one more pair), which show the form again with everything typed kept and record nothing;
``static/report_form.js`` does the same in the page and removes rows and pairs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from api.problems import ApiProblem
from ledger.value import APPROXIMATORS, VAGUE_ALIASES, VAGUE_TERMS

#: Rows a report form shows at most (a report states at most limits.MAX_STATEMENTS: several forms, or an import),
#: and pairs a row: more than there are dimensions.
MAX_ROWS = 100
MAX_PAIRS = 20
ROW = re.compile(r"figures\[(\d+)\]\.(.+)")
PAIR = re.compile(r"breakdown\[(\d+)\]\.(dimension|part)")
_STATED = re.compile(r"figures\[(\d+)\](.*)")
_BY_DIMENSION = re.compile(r"\.breakdown\.([^.\[]+)")
#: The form's own buttons: they change the form shown, never the body sent.
ACTIONS = ("add",)
#: The words a count's ``term`` takes, offered beside the field (a datalist: any other is the API's to refuse).
WORDS = {"vague": [*VAGUE_TERMS, *VAGUE_ALIASES], "approximate": list(APPROXIMATORS)}


@dataclass
class Row:
    fields: list[tuple[str, str]] = field(default_factory=list)
    pairs: dict[int, dict[str, str]] = field(default_factory=dict)

    def blank(self) -> bool:
        return (all(v.strip() == "" for k, v in self.fields if k != "value.qualifier")
                and all(v == "" for pair in self.pairs.values() for v in pair.values()))


@dataclass
class Rows:
    """A report form read: the report's own fields, its rows, and what the API's paths are on the form."""

    own: list[tuple[str, str]]
    rows: dict[int, Row]
    #: The API's statement number -> the form's row; a row's dimension -> its pair's number.
    stated: dict[int, int] = field(default_factory=dict)
    dimensions: dict[int, dict[str, int]] = field(default_factory=dict)

    def statements(self, body_of: Callable[[list[tuple[str, str]]], dict[str, Any]]) -> list[dict[str, Any]]:
        """Each filled row as a figure statement; a pair missing its half, or a dimension named twice in a
        row, is refused here (a JSON body cannot say either), naming that pair's field."""
        out: list[dict[str, Any]] = []
        errors: list[dict[str, str]] = []
        for i in sorted(self.rows):
            row = self.rows[i]
            if row.blank():
                continue
            statement = body_of(row.fields)
            breakdown: dict[str, str] = {}
            for j in sorted(row.pairs):
                dimension = row.pairs[j].get("dimension", "")
                part = row.pairs[j].get("part", "")
                where = f"figures[{i}].breakdown[{j}]"
                if not dimension and not part:
                    continue
                if not dimension:
                    errors.append({"field": f"{where}.dimension",
                                   "message": f"the part {part!r} needs the dimension it is a part of"})
                elif not part:
                    errors.append({"field": f"{where}.part",
                                   "message": f"a breakdown by {dimension!r} needs its part (e.g. children)"})
                elif dimension in breakdown:
                    errors.append({"field": f"{where}.dimension",
                                   "message": f"this row already breaks down by {dimension!r}: a figure has one"
                                              " part of each dimension"})
                else:
                    breakdown[dimension] = part
                    self.dimensions.setdefault(i, {})[dimension] = j
            statement["breakdown"] = breakdown
            self.stated[len(out)] = i
            out.append(statement)
        if errors:
            raise ApiProblem(422, "; ".join(f"{e['field']}: {e['message']}" for e in errors), type_="invalid-input",
                             title="Invalid input", field=errors[0]["field"], errors=errors)
        return out

    def form_field(self, api_field: str) -> str:
        """The form's field for a path the API named: its row, and the pair of the dimension it names."""
        found = _STATED.fullmatch(api_field)
        if found is None or int(found.group(1)) not in self.stated:
            return api_field
        i, rest = self.stated[int(found.group(1))], found.group(2)
        by = _BY_DIMENSION.fullmatch(rest)
        if by is not None and by.group(1) in self.dimensions.get(i, {}):
            return f"figures[{i}].breakdown[{self.dimensions[i][by.group(1)]}]"
        return f"figures[{i}]{rest}"

    def layout(self, add: str | None = None, at_least: int = 3) -> tuple[int, dict[int, int]]:
        """How many rows to show again, and how many pairs each: as typed, plus the one asked for."""
        count = max(at_least, max(self.rows, default=-1) + 1)
        pairs = {i: min(MAX_PAIRS, max(1, max(row.pairs, default=-1) + 1)) for i, row in self.rows.items()}
        if add == "row":
            count = min(MAX_ROWS, count + 1)
        elif add is not None and add.isascii() and add.isdigit() and len(add) <= 3 and int(add) < count:
            pairs[int(add)] = min(MAX_PAIRS, pairs.get(int(add), 1) + 1)
        return count, pairs


def read(fields: list[tuple[str, str]]) -> Rows:
    own: list[tuple[str, str]] = []
    rows: dict[int, Row] = {}
    for name, value in fields:
        found = ROW.fullmatch(name)
        if found is None:
            if name not in ACTIONS:
                own.append((name, value))
            continue
        if len(found.group(1)) > 3 or int(found.group(1)) >= MAX_ROWS:
            raise ApiProblem(422, f"a report form has at most {MAX_ROWS} rows", type_="invalid-input",
                             title="Invalid input", field="figures")
        row = rows.setdefault(int(found.group(1)), Row())
        pair = PAIR.fullmatch(found.group(2))
        if pair is not None:
            if len(pair.group(1)) > 2 or int(pair.group(1)) >= MAX_PAIRS:
                raise ApiProblem(422, f"a row has at most {MAX_PAIRS} breakdown pairs", type_="invalid-input",
                                 title="Invalid input", field=f"figures[{found.group(1)}].breakdown")
            row.pairs.setdefault(int(pair.group(1)), {})[pair.group(2)] = value.strip()
        else:
            row.fields.append((found.group(2), value))
    return Rows(own, rows)
