"""A figure's history: each version it has stood at, with the citations live on it meanwhile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from ledger.errors import NotFound
from projections.db import OPEN, Db
from projections.figure_reads import figure_at
from projections.paging import check_limit, decode_cursor, encode_cursor, history_key
from projections.read_arguments import read_time
from projections.read_filters import source_cards
from projections.redaction import PROTECTED
from projections.times import iso
from projections.view_rows import CITATION_COLUMNS, FIGURE_COLUMNS, render_citation


class FigureHistoryReads:
    """Every state a figure has been in, a page at a time, for Reader (which provides ``db``)."""

    db: Db

    def figure_history(
        self, figure_id: str, *, as_of: datetime | None = None, cursor: str | None = None, limit: int = 100,
        citation_index: bool = False, include_protected: bool = False,
    ) -> dict[str, Any]:
        """Every state the figure has been in, oldest first, a page at a time, with the citations live on each.

        ``{"figure_id", "incident_id", "metric", "breakdown",
        "versions": [{"version", "recorded_at", "recorded_to", "actor", "event", "reason", "value",
        "value_changed", "status", "grade", "value_source", "source", "report_id", "evidence",
        "replaces", "citations": [citation...]}],
        "next_cursor": str | None}``.

        ``event`` is stated, claimed, adopted, corrected, superseded, retracted or regraded. A
        version's citations are those live on the figure at any moment while it stood (cited
        before it was replaced, not withdrawn before it was recorded), each with its
        ``cited_at`` and ``withdrawn_at``. ``evidence`` lists a correction's citation ids, a
        hidden source's citation as ``"protected"``.

        ``citation_index=True`` gives each citation once, in a top-level ``"citations"`` list,
        and each version's ``"citations"`` as positions in it: for a figure cited hundreds of
        times over many versions the inline form repeats every citation in every version.
        """
        t = read_time(as_of)
        fid = str(figure_id)
        limit = check_limit(limit)
        after = decode_cursor("figure_history", cursor)
        with self.db.snapshot() as c:
            params: list[Any] = [fid, t]
            keyset = ""
            if after is not None:
                start, version = history_key(after)
                keyset = " AND (fv.recorded_from, fv.version) > (?, ?)"
                params += [start, version]
            rows = self.db.all(c, f"SELECT {FIGURE_COLUMNS} FROM {{figure_versions}} fv WHERE fv.figure_id = ?"
                                  f" AND fv.recorded_from <= ?{keyset} ORDER BY fv.recorded_from, fv.version LIMIT ?",
                               (*params, limit + 1))
            if not rows:
                if after is None:
                    raise NotFound("figure", figure_id)
                # Past the last version: an empty last page; an unknown id is unknown whatever the cursor.
                first_row = figure_at(self.db, c, OPEN - 1, fid)
                if first_row is None:
                    raise NotFound("figure", figure_id)
                return {"figure_id": fid, "incident_id": first_row[13], "metric": first_row[14],
                        "breakdown": orjson.loads(first_row[15]), "versions": [], "next_cursor": None}
            page, more = rows[:limit], len(rows) > limit
            # Only the citations that overlap the page's span of recording time.
            span_from, span_to = page[0][2], min(page[-1][3], t + 1)
            cites = self.db.all(c, f"SELECT {CITATION_COLUMNS} FROM {{citations}} WHERE target_id = ?"
                                   " AND cited_at < ? AND cited_at <= ? AND withdrawn_at > ?"
                                   " ORDER BY cited_at, citation_id", (fid, span_to, t, span_from))
            evidence = sorted({e for r in page if r[10] for e in orjson.loads(r[10])} - {ct[0] for ct in cites})
            if evidence:
                cites_by_id = self.db.all(c, "SELECT citation_id, source_id FROM {citations}"
                                             f" WHERE citation_id IN ({', '.join('?' * len(evidence))})", evidence)
            else:
                cites_by_id = []
            ids = {r[8] for r in page} | {r[17] for r in page} | {r[3] for r in cites} | {x[1] for x in cites_by_id}
            for r in page:
                ids.update(orjson.loads(r[11]) if r[11] else ())
            sources = source_cards(self.db, c, ids, include_protected)
        citations = [render_citation(ct, sources, t) for ct in cites]
        hidden_citations = {ct[0] for ct in cites if sources.hidden(ct[3])} | {
            cid for cid, source_id in cites_by_id if sources.hidden(source_id)}
        versions = []
        for r in page:
            start, end = r[2], min(r[3], t + 1)
            hidden = sources.hidden(r[8])
            versions.append({
                "version": r[1], "recorded_at": iso(r[4]), "recorded_to": iso(r[3]) if r[3] <= t else None,
                "actor": r[5], "event": r[6], "reason": r[7],
                "value": sources.value(orjson.loads(r[16]), r[17]), "value_changed": bool(r[12]),
                "status": r[18], "grade": r[19], "value_source": sources.ref(r[17]),
                "source": sources.ref(r[8]), "report_id": None if hidden else r[9],
                "evidence": [PROTECTED if e in hidden_citations else e for e in orjson.loads(r[10])] if r[10] else None,
                "replaces": [sources.ref(x) for x in orjson.loads(r[11])] if r[11] else None,
                "citations": [n for n, ct in enumerate(cites) if ct[10] < end and min(ct[12], t + 1) > start],
            })
        if not citation_index:
            # The same dict objects, shared: the cost of the inline form is in its size, not in rendering.
            for v in versions:
                v["citations"] = [citations[n] for n in v["citations"]]
        last = page[-1]
        first = page[0]
        out = {"figure_id": fid, "incident_id": first[13], "metric": first[14], "breakdown": orjson.loads(first[15]),
               "versions": versions,
               "next_cursor": encode_cursor("figure_history", f"{last[2]}:{last[1]}") if more else None}
        if citation_index:
            out["citations"] = citations
        return out

