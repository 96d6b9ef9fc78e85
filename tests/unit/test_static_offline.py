"""Pages work offline: no script or style sheet the app serves can fetch from another host.

The browser test (tests/e2e/web/test_browser.py) sees the requests a page makes; this reads the
files themselves, so code that runs only on some path (RapiDoc's font loader, say) is caught too."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "api" / "web" / "static"
#: What makes a browser fetch: a CSS url()/@import or a FontFace source with an absolute address,
#: or a host known to serve fonts and scripts. (Links in text, licences and examples are not fetches.)
FETCHING = re.compile(r"url\(\s*['\"]?(https?:)?//|@import\s+['\"]?(https?:)?//|fonts\.(gstatic|googleapis)\.com"
                      r"|cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com")


def served() -> list[Path]:
    return [p for p in STATIC.rglob("*") if p.suffix in {".js", ".css", ".mjs"}]


def test_no_served_file_fetches_from_another_host() -> None:
    files = served()
    assert files, STATIC
    found = {str(p.relative_to(STATIC)): m.group(0) for p in files
             if (m := FETCHING.search(p.read_text(encoding="utf-8", errors="replace")))}
    assert not found, found


def test_the_check_finds_a_font_from_another_host() -> None:
    assert FETCHING.search("new FontFace('x', \"url(https://fonts.gstatic.com/a.woff2)\")")
    assert FETCHING.search("@import '//cdn.jsdelivr.net/x.css'")
    assert not FETCHING.search("see https://github.com/rapi-doc/RapiDoc")
