"""What a citation's page names: the figure or report it backs and the source of its document.

Read through the Reader as the caller may see them (the redaction rule is the projections'): a
target the caller may not see is named by its kind alone, a protected source's report as such.
"""

from __future__ import annotations

from typing import Any

from ledger.errors import NotFound


def named(reader: Any, citation: dict[str, Any], *, as_of: Any, sees: bool) -> dict[str, Any]:
    """``{"figure": …, "incident": …, "report": …, "source": …}``, each None where there is nothing to name."""
    found: dict[str, Any] = {"figure": None, "incident": None, "report": None, "source": None}
    target = citation["target_id"]
    try:
        if target and citation["target_kind"] == "figure":
            found["figure"] = reader.figure(str(target), as_of=as_of, include_protected=sees)
            found["incident"] = reader.incident(str(found["figure"]["incident_id"]), as_of=as_of,
                                                include_protected=sees)
        elif target:
            found["report"] = reader.report(str(target), as_of=as_of, include_protected=sees)
    except NotFound:  # a target the caller may not see (or not yet): named by its kind alone
        pass
    try:
        found["source"] = reader.source(str(citation["source_id"]), as_of=as_of, include_protected=sees)
    except NotFound:
        found["source"] = "protected"
    return found
