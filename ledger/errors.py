"""Errors the ledger raises to its callers.

Each carries a message meant for the person who sent the command: it says what is
wrong and, where it helps, what would be right. Nothing is stored when one is raised.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error a command can raise."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(LedgerError):
    """The command's input breaks a rule of the model (a negative count, a missing reason...)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.field = field

    def at(self, field: str) -> InvalidInput:
        """The same refusal named by another field (a statement's, within its report's fields)."""
        moved = type(self).__new__(type(self), *self.args)  # not copy.copy: it calls __init__ with args alone
        moved.__dict__.update(self.__dict__)
        moved.args = self.args
        moved.field, moved.details = field, {**self.details, "field": field}
        return moved


class UnknownTerm(InvalidInput):
    """A word the vocabulary lacks, which an officer may define.

    Where they define it is the entry side's to say (the API names its route): ``saying(where)``
    puts it in the message; ``message`` itself leaves it out."""

    def __init__(self, said: str, *, field: str | None, detail: str = "") -> None:
        self.said, self.detail = said, detail
        super().__init__(self.saying(""), field=field)

    def saying(self, where: str) -> str:
        return f"{self.said}; an officer defines it{' ' + where if where else ''}{self.detail}"


class NotFound(LedgerError):
    """The command names a source, report, incident, figure or citation the ledger does not hold."""

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"unknown {kind}: {ident}", kind=kind, id=str(ident))
        self.kind = kind
        self.ident = str(ident)


class VersionConflict(LedgerError):
    """Someone changed the record since the caller read it: nothing was recorded."""

    def __init__(self, kind: str, ident: object, expected: int | None, current: int) -> None:
        expected_text = "" if expected is None else f" (you sent version {expected})"
        super().__init__(
            f"{kind} {ident} was changed by someone else; its current version is {current}{expected_text}."
            " Reload it, check the change, and send your command again with the current version.",
            kind=kind,
            id=str(ident),
            expected_version=expected,
            current_version=current,
        )
        self.kind = kind
        self.ident = str(ident)
        self.expected = expected
        self.current = current


class RequestKeyReused(LedgerError):
    """A request key came back with a different command: refuse rather than guess which one was meant."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"request key {key!r} was already used for a different command; use a new key for a new command",
            key=key,
        )


class HistoryNotCovered(LedgerError):
    """The store holds an event of this record that the audit trail does not cover: nothing is decided from it.

    Not the caller's fault and not to be retried: someone wrote to the event table behind the
    ledger's back (or the audit tree was damaged). The message names no record, since the
    record may be a protected source's; the operator finds it with ``ledger verify``.
    """

    def __init__(self, version: int, notification_id: int | None, why: str) -> None:
        at = f"version {version}" + ("" if notification_id is None else f", notification {notification_id}")
        super().__init__(
            f"the stored history of this record has an event the audit trail does not cover ({at}: {why});"
            " nothing was done. An operator should run `ledger verify`.",
            version=version, notification_id=notification_id,
        )
        self.version = version
        self.notification_id = notification_id
