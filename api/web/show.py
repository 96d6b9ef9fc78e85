"""The cells the long tables repeat (a count, a moment, a source, bounds, a term's label), as
Python for the templates (``show.count(v)``, ...).

They were Jinja macros: a macro call cost ~10 µs (its arguments, a new frame, the joined
output), a figure page made ~500 of them and a page of checks ~900, and they were most of the
page's rendering (docs/performance.md). The HTML is byte for byte the macros'.
"""

from __future__ import annotations

from typing import Any, Callable

from markupsafe import Markup, escape

from api.web.i18n import Language


def _field(item: Any, name: str) -> Any:
    """``item.name`` as a template reads it: a key or an attribute, "" when it has neither."""
    if isinstance(item, dict):
        return item.get(name, "")
    return getattr(item, name, "")


def _short(text: str) -> str:
    """An id cut to 8 characters, as Jinja's ``truncate(8, True, "")`` did (its leeway of 5 kept up to 13 whole)."""
    return text if len(text) <= 13 else text[:8]


#: How the kinds of a tally read (``show.kind``).
KINDS = {"exact": "exact", "lower_bound": "at least", "range": "range", "no_data": "no data"}
#: The changes a step of a count's history lists (``show.step_changes``): a step under a publication
#: cut can be moved by hundreds of words published the same day (10 MB of page at 1M events); all
#: of them are in the steps' file.
LISTED_CHANGES = 10


class Show:
    """The cells, in the page's language, with its links (keeping "as of" and the cut)."""

    def __init__(self, lang: Language, link: Callable[..., str], labels: dict[str, dict[str, str]],
                 prefix: str) -> None:
        self._ = lang.gettext
        self.n = lang.number
        self.moment = lang.moment
        self.day = lang.day
        self.in_month = lang.month
        self.link = link
        self.metrics, self.dimensions, self.populations = (
            labels["METRICS"], labels["DIMENSIONS"], labels["POPULATIONS"])
        self.prefix = prefix

    def _range(self, low: Any, high: Any) -> str:
        return self._("%(low)s to %(high)s", low=self.n(low), high=self.n(high))

    def verdict(self, c: Any) -> Markup:
        """A check's verdict (a total's parts, or a tally's split: projections/breakdown_checks.py)."""
        _, status = self._, c["status"]
        if status == "complete":
            return escape(_("complete"))
        if status == "remainder":
            r = c["remainder"]
            return Markup(f'<strong class="flag">{escape(_("remainder of %(r)s not broken down", r=self.bounds(r["low"], r["high"], "range")))}</strong>')
        if status == "parts_exceed_low":
            words = _("parts exceed the total's low bound")
            return Markup(f'<strong class="flag">{escape(words)}</strong>')
        return Markup(f'<strong class="flag bad">{escape(_("inconsistent: the parts exceed the total by %(e)s", e=self.n(c["excess"])))}</strong>')

    def count(self, v: Any) -> Markup:
        """A count with its qualifier, in words."""
        q, _, n = _field(v, "qualifier"), self._, self.n
        if q == "exact":
            return escape(n(_field(v, "number")))
        words = {"at_least": "at least %(n)s", "more_than": "more than %(n)s", "at_most": "at most %(n)s",
                 "fewer_than": "fewer than %(n)s"}.get(q)
        if words is not None:
            return escape(_(words, n=n(_field(v, "number"))))
        if q == "range":
            return escape(self._range(_field(v, "low"), _field(v, "high")))
        if q == "vague":
            return Markup(f'<span dir="auto">{escape(_field(v, "term"))}</span>'
                          f' ({escape(self._range(_field(v, "low"), _field(v, "high")))})')
        if q == "approximate":
            return Markup(f'{escape(_("approximate"))} <span dir="auto">{escape(_field(v, "term"))}</span>'
                          f' {escape(n(_field(v, "number")))} ({escape(self._range(_field(v, "low"), _field(v, "high")))})')
        return escape(q)

    def bounds(self, low: Any, high: Any, kind: str) -> Markup:
        """A tally's or a check's low and high, as a range in words."""
        if kind == "no_data":
            return Markup(f'<span class="kind-no_data">{escape(self._("no data"))}</span>')
        if kind == "exact" or low == high:
            return escape(self.n(low))
        if kind == "lower_bound" or high is None:
            return escape(self._("at least %(n)s", n=self.n(low)))
        return escape(self._range(low, high))

    def when(self, t: Any) -> Markup:
        """A recording time, as the language writes it, machine-readable in the tag."""
        return Markup(f'<time datetime="{escape(t)}">{escape(self.moment(t))}</time>')

    def on(self, d: Any) -> Markup:
        """A date (of valid time, or a report's publication), as the language writes it, machine-readable in the tag."""
        return Markup(f'<time datetime="{escape(d)}">{escape(self.day(d))}</time>')

    def month(self, m: str) -> Markup:
        """A month of valid time (YYYY-MM), as the language writes it, machine-readable in the tag."""
        return Markup(f'<time datetime="{escape(m)}">{escape(self.in_month(m))}</time>')

    def source(self, ref: Any) -> Markup:
        """A source as answers name it (projections/redaction.py ``Sources.ref``): a link, "protected source", or —."""
        if ref is None:
            return Markup("—")
        if ref == "protected":
            return Markup(f'<span class="protected">{escape(self._("protected source"))}</span>')
        href = self.link(f"{self.prefix}/sources/{_field(ref, 'source_id')}")
        name_en = _field(ref, "name_en")
        also = f' (<span dir="auto">{escape(name_en)}</span>)' if name_en else ""
        return Markup(f'<a href="{escape(href)}" dir="auto">{escape(_field(ref, "name"))}</a>{also}')

    def report(self, report_id: str | None, published_on: str | None) -> Markup:
        """A report a figure or step was said in, with its publication date; a protected source's has neither."""
        if not report_id and not published_on:
            return Markup("—")
        link = "" if not report_id else (f'<a href="{escape(self.link(f"{self.prefix}/reports/{report_id}"))}"'
                                         f' class="report-link">{escape(self._("report"))}</a>')
        return Markup(link + ("" if not published_on else f" {self.on(published_on)}"))

    def evidence(self, ids: list[str] | None, sep: str = " ") -> Markup:
        """A judgement's evidence: links to its citations (each named by its id's first 8 characters),
        a hidden source's as "protected source"."""
        hidden = f'<span class="protected">{escape(self._("protected source"))}</span>'
        return Markup(escape(sep).join(
            Markup(hidden if e == "protected" else
                   f'<a href="{escape(self.link(f"{self.prefix}/citations/{e}"))}">{escape(_short(str(e)))}</a>')
            for e in ids or []))

    def metric(self, m: str) -> str:
        """A metric's label."""
        return self._(self.metrics.get(m, m))

    def dimension(self, d: str) -> str:
        """A dimension's label, without its explanation in brackets."""
        return self._(self.dimensions.get(d, d).split(" (")[0])

    def breakdown(self, b: dict[str, str] | None) -> Markup:
        """A figure's breakdown, each dimension's label with its value; "total" for none."""
        if not b:
            return escape(self._("total"))
        return Markup(", ".join(f'{escape(self.dimension(k))}: <span dir="auto">{escape(v)}</span>'
                                for k, v in b.items()))

    def kind(self, k: str) -> Markup:
        """A tally's kind, in words, classed by it."""
        return Markup(f'<span class="kind kind-{escape(k)}">{escape(self._(KINDS.get(k, k)))}</span>')

    def step_changes(self, changes: list[dict[str, Any]]) -> Markup:
        """What moved a step of a count's history (its tables over recording and over publication
        time): each change, who made it, whose word it was and, where the step tells it, why and
        on what evidence; at most LISTED_CHANGES of them. A count's page lists 100 steps: as a
        macro this was ~1,000 macro calls a page, half its rendering (docs/performance.md)."""
        _ = self._
        by, said_by, because = escape(_("by")), escape(_("said by")), escape(_("because:"))
        source_is, evidence_is = escape(_("source:")), escape(_("evidence:"))
        out = ['<ul class="changes">\n']
        for c in changes[:LISTED_CHANGES]:
            moved, v = _field(c, "moved"), _field(c, "version")
            event, figure, source = escape(_(_field(moved, "event"))), _field(moved, "figure_id"), _field(moved, "source")
            out.append("      <li>\n")
            out.append(f'<a href="{escape(self.link(f"{self.prefix}/figures/{figure}"))}">{event}</a>' if figure
                       else event)
            out.append(f'        {by} <span dir="auto">{escape(_field(moved, "actor") or "—")}</span>\n')
            if source:
                report_id, published_on = _field(moved, "report_id"), _field(moved, "published_on")
                report = f", {self.report(report_id, published_on)}" if report_id or published_on else ""
                out.append(f'<span class="said-in">{said_by} {self.source(source)}{report}</span>')
            if v:
                out.append(f"          — {self.count(_field(v, 'value'))}\n")
                if _field(v, "reason"):
                    out.append(f'<span class="why">{because} <q dir="auto">{escape(_field(v, "reason"))}</q></span>')
                if _field(v, "source") and not source:
                    out.append(f'<span class="src">{source_is} {self.source(_field(v, "source"))}</span>')
                if _field(v, "evidence"):
                    out.append(f'<span class="evidence">{evidence_is}\n'
                               f'            {self.evidence(_field(v, "evidence"), ", ")}</span>')
            out.append("      </li>\n")
        if len(changes) > LISTED_CHANGES:
            more = _("and %(n)s more changes (every one is in the steps' file)", n=self.n(len(changes) - LISTED_CHANGES))
            out.append(f'<li class="more-changes">{escape(more)}</li>')
        out.append("</ul>")
        return Markup("".join(out))

    def check(self, c: dict[str, Any]) -> Markup:
        """A check of parts against their total (``Reader.breakdown_checks``), as a row of the checks
        table: what is checked, along what, the total, the sum of its parts and the verdict. As Jinja
        this was ~35 us a row, most of a page of checks' rendering (docs/performance.md)."""
        _, total = self._, c["total"]
        population = self.population(c.get("population"))
        if c["check"] == "subset":
            along = f"{escape(_('subset'))}{population}"
        elif c["check"] == "part_of":
            along = f"{escape(self.metric(c['parts'][0]['value']))}{population}"
        else:
            along = f"{escape(self.dimension(c['dimension']))}{population}"
        if total.get("breakdown"):
            along += f" ({escape(_('of'))} {self.breakdown(total['breakdown'])})"
        approximate = f' <span class="approximate">{escape(_("approximate"))}</span>' if total.get("approximate") else ""
        parts_approximate = (f' <span class="approximate">{escape(_("includes approximate counts"))}</span>'
                             if self.approximate(c["parts"]) else "")
        status, verdict = c["status"], self.verdict(c)
        href = escape(self.link(f"{self.prefix}/figures/{total['figure_id']}"))
        return Markup(
            f'  <tr class="check-{escape(status)}">\n'
            f'    <td><a href="{href}">{escape(self.metric(c["metric"]))}</a></td>\n'
            f"    <td>{along}</td>\n"
            f'    <td class="num">{self.bounds(total["low"], total["high"], "range")}{approximate}</td>\n'
            f'    <td class="num">{self.bounds(c["parts_low"], c["parts_high"], "range")}{parts_approximate}</td>\n'
            f"    <td>{verdict}</td>\n"
            "  </tr>")

    @staticmethod
    def approximate(counts: list[dict[str, Any]]) -> bool:
        """Whether any of these counts (a check's parts) is approximate."""
        return any(c["approximate"] for c in counts)

    def population(self, p: str | None) -> Markup:
        """Whom a figure counts, when it is a subset of the whole counted population (docs/model.md)."""
        if not p or p == "counted":
            return Markup("")
        return Markup(f' · <span class="population">{escape(self._(self.populations.get(p, p).split(" (")[0]))}</span>')
