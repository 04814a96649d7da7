"""Alembic migrations of the store (applied on open; see coditect_store.migrate)."""
