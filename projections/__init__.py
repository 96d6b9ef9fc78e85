"""The read side of the incident ledger: views kept from the event log, and the questions they answer.

- ``views_schema.create_tables(store)``: the one explicit step that creates the views (idempotent);
- ``follower.Follower``: keeps a projection up to date, exactly once, on SQLite and PostgreSQL;
- ``reader.Reader``: tallies, breakdown checks, spreads, histories, records, as of any time;
- ``rebuild.rebuild`` / ``views_digest.digest_db``: replay from the log, and a canonical hash to compare.

Projections depend on the ledger's events, never the other way round.
"""

from projections.views_schema import DEFAULT_NAME, create_tables

__all__ = ["DEFAULT_NAME", "create_tables"]
