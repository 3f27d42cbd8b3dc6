"""Databases: read-only connections and schema introspection (SQLite, PostgreSQL)."""
