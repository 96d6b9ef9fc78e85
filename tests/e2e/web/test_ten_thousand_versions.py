"""A figure with 10,000 versions (issue 12: "readable to the last"): the API's history pages and
the figure's web page both lead to the last version, and the web page's way back still works.

One store only: the 10,000 corrections take ~30 s, and what is tested is the paging, which both
stores share (tests/e2e/test_queries.py pages a shorter history on both)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.web.test_pages import HTML, sign_in

VERSIONS = 10_000


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_figure_with_ten_thousand_versions_reads_to_its_last_in_the_api_and_on_its_page(api, world):
    for n in range(VERSIONS - api.ledger.figure(world.figure).version):
        api.ledger.correct_figure("officer-1", world.figure, value={"qualifier": "exact", "number": 1000 + n},
                                  reason=f"recount {n}")
    last = api.ledger.figure(world.figure).version
    assert last == VERSIONS
    seen, cursor = [], None
    while True:
        body = api.get(f"/figures/{world.figure}/history?limit=500" + (f"&cursor={cursor}" if cursor else ""),
                       "reader").json()
        seen += [v["version"] for v in body["versions"]]
        if not (cursor := body["next_cursor"]):
            break
    assert seen == list(range(1, last + 1))

    sign_in(api, "reader")
    where, pages, shown = f"/web/figures/{world.figure}", 0, []
    while where:
        answer = api.client.get(where.replace("&amp;", "&"), headers=HTML)
        assert answer.status_code == 200, (pages, answer.status_code, answer.text[:300])
        pages += 1
        table = answer.text.split('id="figure-history"')[1].split("</table>")[0]
        shown = [int(v) for v in re.findall(r"<tr>\s*<td>(\d+)</td>", table)]
        found = re.search(r'href="([^"]+)" id="history-next"', answer.text)
        where = found and found.group(1)
    assert shown[-1] == last and pages > 1
    back = re.search(r'href="([^"]+)" id="history-previous"', answer.text).group(1).replace("&amp;", "&")
    earlier = api.client.get(back, headers=HTML)
    assert earlier.status_code == 200
    table = earlier.text.split('id="figure-history"')[1].split("</table>")[0]
    assert max(int(v) for v in re.findall(r"<tr>\s*<td>(\d+)</td>", table)) == shown[0] - 1
