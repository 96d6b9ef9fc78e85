"""Every form an officer's page shows that records carries a request key of its own (its Idempotency-Key),
so a second click, a reload that sends it again, or a retry after an outage records nothing twice; two
forms, or the same page shown twice, never share one."""

from __future__ import annotations

import re

from tests.e2e.conftest import Api, World
from tests.e2e.web.test_pages import HTML, sign_in

FORM = re.compile(r'<form method="post" action="([^"]+)"(.*?)</form>', re.S)
KEY = re.compile(r'name="request_key" value="([^"]*)"')


def test_every_recording_form_carries_a_request_key_of_its_own(shared: tuple[Api, World]) -> None:
    api, world = shared
    sign_in(api, "officer")
    pages = ["/web/new/source", "/web/new/incident", "/web/new/report", "/web/new/citation",
             f"/web/figures/{world.figure}", f"/web/incidents/{world.incident}", f"/web/sources/{world.spare_source}",
             "/web/sources", f"/web/citations/{world.public_citation}", "/web/vocabulary",
             "/web/vocabulary?term=displaced"]
    keys: dict[str, str] = {}
    forms = 0
    for _ in range(2):  # the same page shown twice gives each form a new key
        for path in pages:
            answer = api.client.get(path, headers=HTML)
            assert answer.status_code == 200, path
            for action, body in FORM.findall(answer.text):
                if action.endswith(("/sign-out", "/imports")):  # records nothing / keyed by the file's content
                    continue
                forms += 1
                found = KEY.findall(body)
                assert len(found) == 1 and found[0], (path, action, found)
                assert found[0] not in keys, (path, action, keys.get(found[0]))
                keys[found[0]] = f"{path} {action}"
    assert forms >= 2 * 14, forms
