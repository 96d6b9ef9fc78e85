"""A source: who publishes a claim (a monitoring network, a media office, a witness...).

A protected source's identity must never reach anyone not entitled to it; the flag lives
on the source so that every read model can honour it from the first event on.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from ledger import checks, vocabulary
from ledger.event import LedgerCreated, LedgerEvent
from ledger.limits import MAX_NAME


class Source(Aggregate):
    class Registered(LedgerCreated):
        """Schema v2 added ``language`` (v1 events read as undetermined, 'und')."""

        class_version = 2
        name: str
        name_en: str | None
        kind: str
        url: str | None
        language: str
        protected: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["language"] = "und"

    class ProtectionChanged(LedgerEvent):
        protected: bool
        reason: str

        def apply(self, source: Source) -> None:
            source.protected = self.protected

    def __init__(
        self, *, actor: str, name: str, name_en: str | None, kind: str, url: str | None,
        language: str, protected: bool,
    ) -> None:
        self.registered_by = actor
        self.name = name
        self.name_en = name_en
        self.kind = kind
        self.url = url
        self.language = language
        self.protected = protected

    @classmethod
    def register(
        cls, actor: str, *, name: object, kind: object, language: object, name_en: object = None,
        url: object = None, protected: object = False,
    ) -> Source:
        return cls._create(
            cls.Registered,
            actor=checks.actor(actor),
            name=checks.text(name, "name", max_length=MAX_NAME),
            name_en=checks.text(name_en, "name_en", required=False, max_length=MAX_NAME),
            kind=vocabulary.check_source_kind(kind),
            url=checks.url(url),
            language=vocabulary.check_language(language),
            protected=checks.flag(protected, "protected"),
        )

    def change_protection(self, actor: str, *, protected: object, reason: object) -> None:
        self.trigger_event(
            self.ProtectionChanged,
            actor=checks.actor(actor),
            protected=checks.flag(protected, "protected"),
            reason=checks.reason(reason),
        )
