"""Protected sources: how they appear to someone not entitled to know who they are.

Redaction is decided at read time from the source's *current* flag, so protecting a source
hides it at once in every answer, historical ones included, with no rebuild. What goes:
the source's id, name, URL, kind; the report ids of its claims (a report names its source);
and quoted words (a quote can name its speaker). What stays: the numbers, and the fact that
a protected source said something, shown as the string ``"protected"`` where a source
would be.

A source the views do not know (it should not happen: every claim's source is registered
first) is treated as protected: when in doubt, say nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PROTECTED = "protected"


@dataclass(frozen=True, slots=True)
class SourceCard:
    source_id: str
    name: str
    name_en: str | None
    kind: str
    protected: bool


class Sources:
    """The sources an answer mentions, and how to show each one to this caller."""

    def __init__(self, cards: Iterable[SourceCard], include_protected: bool) -> None:
        self.cards = {c.source_id: c for c in cards}
        self.include_protected = include_protected

    def hidden(self, source_id: str | None) -> bool:
        if source_id is None or self.include_protected:
            return False
        card = self.cards.get(source_id)
        return card is None or card.protected

    def ref(self, source_id: str | None) -> dict[str, Any] | str | None:
        if source_id is None:
            return None
        if self.hidden(source_id):
            return PROTECTED
        card = self.cards.get(source_id)
        if card is None:
            return {"source_id": source_id}
        return {"source_id": card.source_id, "name": card.name, "name_en": card.name_en, "kind": card.kind,
                "protected": card.protected}

    def value(self, value: dict[str, Any], source_id: str | None) -> dict[str, Any]:
        """A count as stated; its quoted words removed when they came from a hidden source."""
        if not self.hidden(source_id):
            return value
        return {**value, "quote": None, "quote_en": None}
