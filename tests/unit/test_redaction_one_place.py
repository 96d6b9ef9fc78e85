"""Who may see a source is decided in projections/redaction.py alone: no other module of the
read side or the API filters on the protected flag in SQL of its own."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: A filter on the flag in SQL text (``s.protected = 0``, ``protected=1``, ``protected <> ?``,
#: ``NOT s.protected``, ``protected IN (...)``).
#: (SQL keywords in capitals, as this project writes them; ``SET protected = ?`` writes it.)
FLAG_FILTER = re.compile(r"(?<!SET )\bprotected\s*(=|<>|!=)\s*([01]\b|\?|%s)|\bNOT\s+(\w+\.)?protected\b"
                         r"|\bprotected\s+IN\b")


def test_only_redaction_filters_on_the_protected_flag() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in ("projections", "api", "ledger")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "redaction.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FLAG_FILTER.search(line)
    ]
    assert offenders == []


def test_the_pattern_finds_a_filter_written_elsewhere() -> None:
    assert FLAG_FILTER.search('where.append("s.protected = 0")')
    assert FLAG_FILTER.search("WHERE protected=1")
    assert FLAG_FILTER.search("WHERE NOT s.protected") and FLAG_FILTER.search("protected = ?")
    assert FLAG_FILTER.search("s.protected IN (0, 1)")
    assert not FLAG_FILTER.search("int(bool(e.protected))") and not FLAG_FILTER.search("SET protected = ?")
    assert not FLAG_FILTER.search("required=not body.protected")
