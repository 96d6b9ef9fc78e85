"""A metric, dimension or value defined as data is filed and tallied with no code change, and never
mixes into another metric's tally; the part-of check compares it with the metric it is part of."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import open_ledger
from ledger.limits import CODE_PATTERN
from projections.reader import Reader
from tests.integration.projections.helpers import catch_up, fresh_store

_codes = st.from_regex(CODE_PATTERN, fullmatch=True).filter(lambda c: len(c) <= 64)
_values = st.text(st.characters(categories=("L", "N", "Zs", "Pd")), min_size=1, max_size=40).filter(
    lambda v: v.strip() and "," not in v and ";" not in v)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metric=_codes, dimension=_codes, value=_values, part=st.integers(0, 500), whole=st.integers(0, 500))
def test_a_defined_metric_and_dimension_are_filed_and_tallied_without_code_change(metric, dimension, value, part,
                                                                                  whole):
    with fresh_store("sqlite") as store:
        app = open_ledger(store)
        try:
            known = set(app.terms.terms())
            metric = metric if metric not in known else f"{metric}_x"
            dimension = dimension if dimension not in known | {metric} else f"{dimension}_y"
            app.define_term("officer", kind="metric", code=metric, definition="d", label_en=metric,
                            part_of="killed", reason="counted apart")
            app.define_term("officer", kind="dimension", code=dimension, definition="d", label_en=dimension,
                            reason="a new split")
            source = app.register_source("officer", name="Monitor", kind="monitoring_network", language="ar")
            incident = app.record_incident("officer", title="Strike", valid_from="2024-01-01", places=["x"])
            filed = app.file_report("officer", source_id=source["source_id"], title="r", language="ar", figures=[
                {"incident_id": incident["incident_id"], "metric": metric, "value": {"qualifier": "exact",
                                                                                     "number": part}},
                {"incident_id": incident["incident_id"], "metric": metric, "breakdown": {dimension: value},
                 "value": {"qualifier": "exact", "number": part}},
                {"incident_id": incident["incident_id"], "metric": "killed",
                 "value": {"qualifier": "exact", "number": whole}}])
            assert len(filed["figures"]) == 3
            catch_up(store, app)
            with Reader(store, terms=app.terms) as reader:
                tally = reader.tally(metric)
                assert (tally["sum"]["low"], tally["sum"]["figures"]) == (part, 1)
                assert reader.tally("killed")["sum"]["low"] == whole  # never mixed
                groups = reader.tally(metric, by=dimension)["groups"]
                assert [(g["value"], g["low"]) for g in groups] == [(unicodedata.normalize("NFC", value.strip()), part)]
                assert dimension in reader.tally_splits(metric)["splits"]
                (check,) = [c for c in reader.breakdown_checks() if c["check"] == "part_of"]
                assert check["status"] == ("inconsistent" if part > whole else "complete" if part == whole
                                           else "remainder")
                assert check["excess"] == (part - whole if part > whole else None)
        finally:
            app.close()
