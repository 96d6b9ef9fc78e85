from tests.e2e.conftest import MARK
import uuid, re
RANDOM = str(uuid.UUID(int=0x5EED))

def test_probe(api, world):
    W = world
    cases = [
        ("POST", "/sources/{p}/protection", {"protected": True, "reason": "probe"}, {"If-Match": '"7"'}),
        ("POST", "/reports", {"source_id": "{p}", "title": "probe", "language": "en"}, {}),
        ("POST", "/citations", {"target_id": "{p}", "source_id": W.public_source, "url": "https://x.org"}, {}),
        ("POST", "/citations", {"target_id": W.figure, "source_id": "{p}", "url": "https://x.org"}, {}),
        ("POST", "/citations/{p}/withdrawals", {"reason": "probe"}, {"If-Match": '"7"'}),
        ("POST", f"/figures/{W.figure}/corrections", {"value": {"qualifier": "exact", "number": 1}, "reason": "probe", "evidence": ["{p}"]}, {"If-Match": '"77"'}),
        ("POST", f"/figures/{W.figure}/supersessions", {"source_id": "{p}", "report_id": W.public_report, "value": {"qualifier": "exact", "number": 1}, "reason": "probe", "replaces": [W.public_source]}, {"If-Match": '"77"'}),
        ("POST", f"/figures/{W.figure}/supersessions", {"source_id": W.public_source, "report_id": "{p}", "value": {"qualifier": "exact", "number": 1}, "reason": "probe", "replaces": [W.public_source]}, {"If-Match": '"77"'}),
        ("POST", f"/figures/{W.figure}/supersessions", {"source_id": W.public_source, "report_id": W.public_report, "value": {"qualifier": "exact", "number": 1}, "reason": "probe", "replaces": ["{p}"]}, {"If-Match": '"77"'}),
    ]
    import json
    for method, path, body, hdr in cases:
        for ident in [*W.protected_ids(), RANDOM]:
            b = json.loads(json.dumps(body).replace("{p}", ident))
            before = api.events()
            r = api.client.request(method, path.replace("{p}", ident), json=b, headers=api.headers("officer", **{k.replace("-", "_"): v for k, v in hdr.items()}))
            t = (r.text + str(dict(r.headers))).replace(ident, "<ID>")
            bad = [m for m in W.protected_markers() if m.lower() in t.lower()]
            print(r.status_code, api.events() - before, path.replace("{p}", "<" + ("R" if ident == RANDOM else str(W.protected_ids().index(ident))) + ">"), json.dumps(b)[:60], t[:300].replace("\n", " "), "LEAK" if bad else "", bad)
    assert 0
