"""bench/page_times.py asks for the record pages again as of a time, under a cut and both: never the count's page."""

from bench.page_times import cut_paths


def test_the_cut_pages_are_the_dashboard_records_lists_and_checks_not_the_count_page() -> None:
    paths = ["/web/sign-in", "/", "/web/tallies/civilians_killed", "/web/tallies/civilians_killed?months_from=2019-01",
             "/web/figures/f1", "/web/incidents/i1", "/web/sources/s1", "/web/reports/r1", "/web/citations/c1",
             "/web/incidents", "/web/sources", "/web/checks", "/web/checks?status=flagged", "/web/vocabulary",
             "/web/new/report", "/web/audit", "/docs"]
    chosen = cut_paths(paths, "2026-12-04T01:22:31Z", "2019-05-01")
    pages = ["/", "/web/figures/f1", "/web/incidents/i1", "/web/sources/s1", "/web/reports/r1", "/web/citations/c1",
             "/web/incidents", "/web/sources", "/web/checks"]
    assert chosen == ([f"{p}?as_of=2026-12-04T01%3A22%3A31Z" for p in pages]
                      + [f"{p}?published_by=2019-05-01" for p in pages]
                      + [f"{p}?as_of=2026-12-04T01%3A22%3A31Z&published_by=2019-05-01" for p in pages])
