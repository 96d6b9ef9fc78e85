"""The workload: a deterministic stream of ledger operations, skewed over figures.

One generator (fixed seed) yields the operations; two executors carry them out:

* ``CommandExecutor`` through the ``Ledger`` commands, one command at a time (what is timed
  as ingest);
* ``build.BulkExecutor`` by making the same events with the real domain classes and
  inserting them in large batches (how a large log is built fast).

Both keep the ids they were given in the same lists, so operations refer to sources,
incidents, reports, figures and citations by their index and the stream can continue from
a bulk-built log into timed commands.

The mix (per operation): file a report stating 1-4 figures (40%; each statement is a new
figure with p=0.55, else a claim on an existing figure, adopted with p=0.3), correct a
figure (33%), cite a figure or a recent report (25%), record a new incident (2%). Half the
commands carry a request key (so half the saves carry a Receipt as well). Existing figures
are chosen by Zipf(s=ZIPF_S) over their rank in order of creation: the earliest figures
are the hot ones and collect most corrections, claims and citations.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from typing import Any

from bench.config import SEED, ZIPF_S
from ledger.figure import figure_id
from ledger.vocabulary import METRICS

ACTORS = ["officer-amal", "officer-bashir", "officer-carmen", "officer-dmitri", "officer-eun"]
SOURCE_KINDS = ["monitoring_network", "media_office", "official_body", "investigation", "witness"]
PLACES = ["Idlib", "Hama", "Aleppo", "Homs", "Daraa", "Deir ez-Zor", "Raqqa", "Latakia"]
BREAKDOWNS: list[dict[str, str]] = [
    {},
    {"perpetrator": "syrian-regime"},
    {"perpetrator": "russian-forces"},
    {"perpetrator": "armed-opposition"},
    {"victim_group": "children"},
    {"victim_group": "women"},
    {"facility_type": "school"},
    {"facility_type": "medical-facility"},
    {"perpetrator": "syrian-regime", "victim_group": "children"},
    {"perpetrator": "russian-forces", "victim_group": "children"},
    {"place": "idlib"},
    {"place": "hama"},
]
METRIC_NAMES = list(METRICS)
QUOTES_AR = ["قتل ما لا يقل عن", "مقتل أكثر من", "بينهم أطفال ونساء", "حصيلة موثقة لدى الشبكة"]

N_SOURCES = 24
N_INITIAL_INCIDENTS = 8
P_REPORT, P_CORRECT, P_CITE = 0.40, 0.33, 0.25     # the remaining 2%: a new incident
P_NEW_FIGURE = 0.55
P_ADOPT = 0.30
#: An adoption says why (ledger/figure.py, adoption).
ADOPTION_REASON = "the later count of a monitor with named victims"
P_REQUEST_KEY = 0.5
P_CITE_FIGURE = 0.7
P_EVIDENCE = 0.3


class Zipf:
    """Rank sampler for a growing population: P(rank r) ∝ r**-s over the ranks that exist."""

    def __init__(self, s: float = ZIPF_S) -> None:
        self.s = s
        self.cum: list[float] = []

    def sample(self, rng: random.Random, population: int) -> int:
        while len(self.cum) < population:
            r = len(self.cum) + 1
            self.cum.append((self.cum[-1] if self.cum else 0.0) + r ** -self.s)
        u = rng.random() * self.cum[population - 1]
        return bisect.bisect_left(self.cum, u, 0, population)


@dataclass
class Op:
    kind: str                      # source | incident | report | correct | cite
    actor: str
    request_key: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    # report: [(figure index, new?, incident index, metric, breakdown, value, adopt)]
    statements: list[tuple] = field(default_factory=list)
    source: int = -1
    figure: int = -1
    report: int = -1
    evidence: list[int] = field(default_factory=list)

    @property
    def events(self) -> int:
        """Events this operation records (its own, plus a Receipt when it has a request key)."""
        own = 1 + len(self.statements) if self.kind == "report" else 1
        return own + (self.request_key is not None)


class Workload:
    """The operations, in order; the counts the executors will have once they ran them."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.zipf = Zipf()
        self.n_ops = 0
        self.sources = 0
        self.incidents = 0
        self.reports = 0
        self.citations = 0
        self.figure_keys: list[tuple[int, str, int]] = []   # (incident index, metric, breakdown index)
        self._known: set[tuple[int, str, int]] = set()
        self._number = 0

    # -- helpers ---------------------------------------------------------------------
    def _key(self, kind: str) -> str | None:
        return f"bench-{kind}-{self.n_ops}" if self.rng.random() < P_REQUEST_KEY else None

    def _value(self) -> dict[str, Any]:
        self._number += 1
        n = 10 + self._number                      # unique, so a correction always changes the value
        q = self.rng.choice(["exact", "at_least", "at_least", "more_than"])
        quote = f"{self.rng.choice(QUOTES_AR)} {n}" if self.rng.random() < 0.5 else f"killed at least {n} civilians"
        return {"qualifier": q, "number": n, "quote": quote}

    def _hot_figure(self) -> int:
        return self.zipf.sample(self.rng, len(self.figure_keys))

    # -- the stream ------------------------------------------------------------------
    def setup(self) -> list[Op]:
        """Sources and the first incidents: not timed, made before the first measured operation."""
        ops = [self._source() for _ in range(N_SOURCES)]
        ops += [self._incident() for _ in range(N_INITIAL_INCIDENTS)]
        return ops

    def take(self, n_events: int) -> list[Op]:
        """Operations until they record at least n_events events."""
        ops, total = [], 0
        while total < n_events:
            op = self.next()
            ops.append(op)
            total += op.events
        return ops

    def take_ops(self, n_ops: int) -> list[Op]:
        return [self.next() for _ in range(n_ops)]

    def next(self) -> Op:
        u = self.rng.random()
        if not self.figure_keys or u < P_REPORT:
            return self._report()
        if u < P_REPORT + P_CORRECT:
            return self._correct()
        if u < P_REPORT + P_CORRECT + P_CITE:
            return self._cite()
        return self._incident()

    def _source(self) -> Op:
        i = self.sources
        self.n_ops += 1
        self.sources += 1
        return Op("source", "bench-admin", self._key("source"), fields={
            "name": f"مصدر رقم {i}", "name_en": f"Monitoring source {i}",
            "kind": SOURCE_KINDS[i % len(SOURCE_KINDS)], "url": f"https://source-{i}.example.org",
            "language": "ar" if i % 2 else "en", "protected": i % 7 == 0,
        })

    def _incident(self) -> Op:
        i = self.incidents
        self.n_ops += 1
        self.incidents += 1
        place = self.rng.choice(PLACES)
        day = 1 + i % 28
        return Op("incident", self.rng.choice(ACTORS), self._key("incident"), fields={
            "title": f"Shelling and airstrikes on {place} countryside (incident {i})",
            "title_en": None, "places": [place], "valid_from": f"2019-0{1 + i % 9}-{day:02d}",
            "valid_to": None,
            "description": f"Reported escalation of attacks on {place} and surrounding villages, incident {i}.",
        })

    def _report(self) -> Op:
        rng = self.rng
        self.n_ops += 1
        k = rng.choices([1, 2, 3, 4], weights=[30, 35, 20, 15])[0]
        statements, used = [], set()
        for _ in range(k):
            if self.figure_keys and rng.random() >= P_NEW_FIGURE:
                f = self._hot_figure()
                if f in used:
                    continue
                used.add(f)
                inc, metric, b = self.figure_keys[f]
                statements.append((f, False, inc, metric, b, self._value(), rng.random() < P_ADOPT))
                continue
            for _attempt in range(20):
                key = (rng.randrange(self.incidents), rng.choice(METRIC_NAMES), rng.randrange(len(BREAKDOWNS)))
                if key not in self._known:
                    break
            else:
                continue
            self._known.add(key)
            f = len(self.figure_keys)
            self.figure_keys.append(key)
            used.add(f)
            statements.append((f, True, key[0], key[1], key[2], self._value(), False))
        source = rng.randrange(self.sources)
        r = self.reports
        self.reports += 1
        place = rng.choice(PLACES)
        return Op("report", rng.choice(ACTORS), self._key("report"), source=source, statements=statements, fields={
            "title": f"Monthly report on civilian deaths in {place}, no. {r}",
            "title_en": None, "language": rng.choice(["ar", "en"]), "published_on": "2019-05-01",
            "url": f"https://source-{source}.example.org/reports/{r}", "reference": None,
            "period_from": "2019-04-26", "period_to": None, "places": [place],
        })

    def _correct(self) -> Op:
        self.n_ops += 1
        evidence = []
        if self.citations and self.rng.random() < P_EVIDENCE:
            evidence = [self.rng.randrange(max(0, self.citations - 50), self.citations)]
        return Op("correct", self.rng.choice(ACTORS), self._key("correct"), figure=self._hot_figure(),
                  evidence=evidence, fields={
                      "value": self._value(),
                      "reason": "Reconciled with the monitoring network's updated list of named victims.",
                  })

    def _cite(self) -> Op:
        rng = self.rng
        self.n_ops += 1
        self.citations += 1
        source = rng.randrange(self.sources)
        op = Op("cite", rng.choice(ACTORS), self._key("cite"), source=source, fields={
            "url": f"https://archive.example.org/{self.n_ops}",
            "quote": f"{rng.choice(QUOTES_AR)} {self.n_ops}",
            "quote_en": "at least this many civilians were killed",
            "page": str(1 + self.n_ops % 40), "accessed_on": "2019-05-02",
            "sha256": f"{self.n_ops:064x}",
        })
        if rng.random() < P_CITE_FIGURE or not self.reports:
            op.figure = self._hot_figure()
        else:
            op.report = rng.randrange(max(0, self.reports - 100), self.reports)
        return op


@dataclass
class Ids:
    """The ids the executors were given, by index (shared by both executors)."""

    sources: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)

    def figure(self, wl_keys: list[tuple[int, str, int]], f: int) -> str:
        while len(self.figures) <= f:
            inc, metric, b = wl_keys[len(self.figures)]
            self.figures.append(str(figure_id(self.incidents[inc], metric, BREAKDOWNS[b])))
        return self.figures[f]


class CommandExecutor:
    """Carries operations out through the Ledger's commands, as an officer's client would."""

    def __init__(self, ledger, workload: Workload, ids: Ids) -> None:
        self.ledger = ledger
        self.wl = workload
        self.ids = ids

    def run(self, op: Op) -> None:
        lg, ids = self.ledger, self.ids
        if op.kind == "source":
            ids.sources.append(lg.register_source(op.actor, request_key=op.request_key, **op.fields)["source_id"])
        elif op.kind == "incident":
            ids.incidents.append(lg.record_incident(op.actor, request_key=op.request_key, **op.fields)["incident_id"])
        elif op.kind == "report":
            figures = [{"incident_id": ids.incidents[inc], "metric": metric, "breakdown": BREAKDOWNS[b],
                        "value": value, "adopt": adopt, **({"reason": ADOPTION_REASON} if adopt else {})}
                       for (_f, _new, inc, metric, b, value, adopt) in op.statements]
            result = lg.file_report(op.actor, source_id=ids.sources[op.source], figures=figures,
                                    request_key=op.request_key, **op.fields)
            ids.reports.append(result["report_id"])
            for (f, new, *_rest) in op.statements:
                if new:
                    ids.figure(self.wl.figure_keys, f)
        elif op.kind == "correct":
            lg.correct_figure(op.actor, ids.figure(self.wl.figure_keys, op.figure),
                              evidence=[ids.citations[c] for c in op.evidence],
                              request_key=op.request_key, **op.fields)
        elif op.kind == "cite":
            target = ids.figure(self.wl.figure_keys, op.figure) if op.figure >= 0 else ids.reports[op.report]
            result = lg.cite(op.actor, target_id=target, source_id=ids.sources[op.source],
                             request_key=op.request_key, **op.fields)
            ids.citations.append(result["citation_id"])
        else:  # pragma: no cover
            raise ValueError(op.kind)
