"""The ``ceasefire`` command line: one module per command group."""
