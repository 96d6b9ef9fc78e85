"""A citation: the link from a report or a figure to the document that backs it.

It keeps where the evidence is (URL, page), what it says (the quoted passage, as written,
with an English rendering beside it), when it was consulted, and the SHA-256 of the
archived copy where there is one, so that the evidence itself can be checked later.
A citation is never deleted; it can be withdrawn, with a reason.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from ledger import checks
from ledger.errors import InvalidInput
from ledger.event import LedgerCreated, LedgerEvent
from ledger.limits import MAX_PAGE

TARGET_KINDS = ("report", "figure")


class Citation(Aggregate):
    class Cited(LedgerCreated):
        target_kind: str
        target_id: str
        source_id: str
        url: str | None
        quote: str | None
        quote_en: str | None
        page: str | None
        accessed_on: str | None
        sha256: str | None

    class Withdrawn(LedgerEvent):
        reason: str

        def apply(self, citation: Citation) -> None:
            citation.withdrawn = True

    def __init__(
        self, *, actor: str, target_kind: str, target_id: str, source_id: str, url: str | None,
        quote: str | None, quote_en: str | None, page: str | None, accessed_on: str | None,
        sha256: str | None,
    ) -> None:
        self.cited_by = actor
        self.target_kind = target_kind
        self.target_id = target_id
        self.source_id = source_id
        self.url = url
        self.quote = quote
        self.quote_en = quote_en
        self.page = page
        self.accessed_on = accessed_on
        self.sha256 = sha256
        self.withdrawn = False

    @classmethod
    def cite(
        cls, actor: str, *, target_kind: str, target_id: str, source_id: str, url: object = None,
        quote: object = None, quote_en: object = None, page: object = None,
        accessed_on: object = None, sha256: object = None,
    ) -> Citation:
        url = checks.url(url)
        quote = checks.text(quote, "quote", required=False)
        if url is None and quote is None:
            raise InvalidInput("a citation needs a URL or a quoted passage", field="url")
        return cls._create(
            cls.Cited,
            actor=checks.actor(actor),
            target_kind=target_kind,
            target_id=target_id,
            source_id=source_id,
            url=url,
            quote=quote,
            quote_en=checks.text(quote_en, "quote_en", required=False),
            page=checks.text(page, "page", required=False, max_length=MAX_PAGE),
            accessed_on=checks.iso_date(accessed_on, "accessed_on"),
            sha256=checks.sha256(sha256),
        )

    def withdraw(self, actor: str, *, reason: object) -> None:
        if self.withdrawn:
            raise InvalidInput("the citation is already withdrawn", field="citation_id")
        self.trigger_event(self.Withdrawn, actor=checks.actor(actor), reason=checks.reason(reason))
