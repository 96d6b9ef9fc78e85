"""The read side of the incident ledger: views kept from the event log, and the questions they answer.

- ``views.Views``: the views, kept from the log (their tables: ``views_schema``; created by api/bootstrap.py);
- ``follower.Follower``: keeps a projection up to date, exactly once, on SQLite and PostgreSQL;
- ``reader.Reader``: tallies, breakdown checks, spreads, histories, records, as of any time;
- ``rebuild.rebuild`` / ``views_digest.digest_db``: replay from the log, and a canonical hash to compare.

Projections depend on the ledger's events, never the other way round.
"""

from projections.views_schema import DEFAULT_NAME

__all__ = ["DEFAULT_NAME"]
