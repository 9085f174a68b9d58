"""Persistence: the schema, SQLite and PostgreSQL dialects, one module per area, migrations."""
