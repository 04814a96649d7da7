"""Memory index in static-rank order (SQLite): each FTS5 row re-keyed by its entry.

An entry's FTS5 rowid was its ``memory_entries`` rowid; it becomes
``coditect_store.memory.fts_rowid``: the kind's tier, then the day of the entry's time,
then that rowid in the low bits. FTS5 reads a match in rowid order for free, so a search
can score the first matches by static rank instead of every match. The table is rebuilt
in the migration's transaction (every entry re-indexed, or the store left as it was); an
index row without its entry is dropped. PostgreSQL: nothing to do.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite()


def _sqlite() -> None:
    from sqlalchemy import bindparam, text

    from coditect_store.memory import fts_rowid
    from coditect_store.schema import parse_ts
    from coditect_tui.core.memory.stem import FTS5_TOKENIZER

    conn = op.get_bind()
    conn.execute(
        text(
            "CREATE VIRTUAL TABLE memory_fts_0009 USING fts5(title, headings, body, "
            f"tokenize = '{FTS5_TOKENIZER}')"
        )
    )
    # the new keys first (no text read): the rows are then copied in new-key order, as
    # FTS5 writes its pending terms out as a segment whenever a rowid goes backwards
    keys = sorted(
        (fts_rowid(kind, parse_ts(ts) if ts else None, old), old)
        for old, kind, ts in conn.execute(
            text(
                "SELECT f.rowid, e.kind, e.timestamp FROM memory_fts f "
                "JOIN memory_entries e ON e.rowid = f.rowid"
            )
        )
    )
    read = text(
        "SELECT rowid, title, headings, body FROM memory_fts WHERE rowid IN :olds"
    ).bindparams(bindparam("olds", expanding=True))
    for start in range(0, len(keys), _BATCH):
        batch = keys[start : start + _BATCH]
        rows = {r[0]: r for r in conn.execute(read, {"olds": [old for _, old in batch]})}
        conn.execute(
            text(
                "INSERT INTO memory_fts_0009(rowid, title, headings, body) "
                "VALUES (:rid, :title, :headings, :body)"
            ),
            [
                {"rid": new, "title": rows[old][1], "headings": rows[old][2], "body": rows[old][3]}
                for new, old in batch
            ],
        )
    conn.execute(text("DROP TABLE memory_fts"))
    conn.execute(text("ALTER TABLE memory_fts_0009 RENAME TO memory_fts"))


def downgrade() -> None:
    raise RuntimeError("downgrades are not supported: restore the backup taken before upgrade")
