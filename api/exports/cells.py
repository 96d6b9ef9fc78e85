"""What a spreadsheet would run as a formula is written as text (the OWASP CSV-injection rule)."""

from __future__ import annotations

from typing import Any

#: A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice, Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> Any:
    """The value a spreadsheet shows as typed: a leading quote keeps a text cell from running."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def as_typed(value: Any) -> Any:
    """The inverse of ``safe``, for a cell read back (an import): the leading quote dropped."""
    if isinstance(value, str) and value[:1] == "'" and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
