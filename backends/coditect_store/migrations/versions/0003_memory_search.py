"""Memory search by stems, with the headings as a field of their own.

SQLite: the FTS5 table ``memory_fts`` is rebuilt with the ``porter`` tokenizer and the
columns (title, headings, body), from the stored titles and bodies, in the migration's
transaction (so either every entry is re-indexed or the store is left as it was).
PostgreSQL: every entry's tsvector is rebuilt from its title, headings and body, as
stems (``coditect_store.memory.tsvector_text``). Both: an index of entries by content
hash (search merges identical content and names the other files).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    # search merges hits with identical content: their other files are found by hash
    op.create_index("ix_memory_sha256", "memory_entries", ["tenant_id", "sha256"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite()
    elif dialect == "postgresql":
        _postgres()


def _sqlite() -> None:
    from sqlalchemy import text

    from coditect_tui.core.memory.ranking import headings
    from coditect_tui.core.memory.stem import FTS5_TOKENIZER

    conn = op.get_bind()
    conn.execute(
        text(
            "CREATE VIRTUAL TABLE memory_fts_0003 USING fts5(title, headings, body, "
            f"tokenize = '{FTS5_TOKENIZER}')"
        )
    )
    last = -1
    while True:
        rows = conn.execute(
            text(
                "SELECT rowid, title, body FROM memory_fts WHERE rowid > :last "
                "ORDER BY rowid LIMIT :n"
            ),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            break
        conn.execute(
            text(
                "INSERT INTO memory_fts_0003(rowid, title, headings, body) "
                "VALUES (:rid, :title, :headings, :body)"
            ),
            [
                {"rid": r[0], "title": r[1], "headings": headings(r[2] or ""), "body": r[2]}
                for r in rows
            ],
        )
        last = rows[-1][0]
    conn.execute(text("DROP TABLE memory_fts"))
    conn.execute(text("ALTER TABLE memory_fts_0003 RENAME TO memory_fts"))


def _postgres() -> None:
    from sqlalchemy import text

    from coditect_store.memory import tsvector_text
    from coditect_tui.core.memory.ranking import headings

    conn = op.get_bind()
    # The owner reads every tenant's rows here: row-level security is lifted for this
    # transaction only (FORCE is restored before it commits).
    for table in ("memory_entries", "memory_fts"):
        conn.execute(text(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"))
    last = ""
    while True:
        rows = conn.execute(
            text(
                "SELECT f.entry_id, e.title, f.body FROM memory_fts f "
                "JOIN memory_entries e ON e.id = f.entry_id "
                "WHERE f.entry_id > :last ORDER BY f.entry_id LIMIT :n"
            ),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            break
        conn.execute(
            text("UPDATE memory_fts SET tsv = CAST(:tsv AS tsvector) WHERE entry_id = :id"),
            [{"id": r[0], "tsv": tsvector_text(r[1], headings(r[2]), r[2])[0]} for r in rows],
        )
        last = rows[-1][0]
    for table in ("memory_entries", "memory_fts"):
        conn.execute(text(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY"))


def downgrade() -> None:
    raise RuntimeError("downgrades are not supported: restore the backup taken before upgrade")
