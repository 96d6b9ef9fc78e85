"""Which columns of the read side's tables are sealed at rest with CIPHER_KEY, for every table.

projections/db.py hands this to the plan of every statement (projections/sealing.py), so a
column listed here is sealed whichever projection's Db reads or writes it. The views'
sealed columns are declared with their columns (``name:sealed``, projections/views_schema.py);
the audit log's, whose table is written out in projections/audit/tables.py, here.
"""

from __future__ import annotations

from projections.views_schema import SEALED as VIEWS

#: The audit log's ``reason``: an officer's free text, which may quote a source or say why
#: one is protected.
AUDIT = {"log": frozenset({"reason"})}

#: Table (short name) -> its sealed columns.
SEALED: dict[str, frozenset[str]] = {**VIEWS, **AUDIT}
