"""The daily report: its data from a ledger checkpoint, rendered as HTML, PDF and JSON."""
