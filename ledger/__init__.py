"""The incident ledger: every report, figure, correction and citation as an immutable event."""
