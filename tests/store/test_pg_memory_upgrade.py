"""Migration 0003 on PostgreSQL: every tenant's tsvectors are rebuilt as stems (row-level
security lifted for the migration's transaction only, and restored)."""

from __future__ import annotations

import asyncpg
import pytest

from coditect_store import migrate
from coditect_tui.core.models import MemoryEntrySpec
from tests.pg import create_database, drop_database
from tests.store.helpers import open_pg_store

pytestmark = pytest.mark.postgres


async def test_0003_rebuilds_every_tenants_tsvectors_as_stems() -> None:
    db = await create_database()
    try:
        for tenant in ("acme", "globex"):
            store = await open_pg_store(db.app_url, tenant)
            try:
                await store.upsert_memory_entries(
                    [
                        MemoryEntrySpec(
                            path=f"/m/{tenant}/{i}.md",
                            kind="checkpoint",
                            title=f"{tenant} {i}",
                            body=f"# Hooks\n\nthe hooks of {tenant} were installed ({i})",
                        )
                        for i in range(3)
                    ]
                )
            finally:
                await store.close()
        # back to what 0002 wrote: unstemmed lexemes, no weights beyond A/B
        owner = await asyncpg.connect(db.owner_url)
        try:
            async with owner.transaction():
                await owner.execute("ALTER TABLE memory_fts NO FORCE ROW LEVEL SECURITY")
                await owner.execute("UPDATE memory_fts SET tsv = to_tsvector('simple', body)")
                await owner.execute("ALTER TABLE memory_fts FORCE ROW LEVEL SECURITY")
                await owner.execute("DROP INDEX ix_memory_sha256")
                await owner.execute("ALTER TABLE members DROP COLUMN expires_at")  # 0004's
                await owner.execute("DROP TABLE feature_flags")  # 0006's
                await owner.execute("ALTER TABLE tenants DROP COLUMN state")  # 0007
                await owner.execute("DROP TABLE webhook_deliveries, webhook_subscriptions")
                await owner.execute("DROP FUNCTION coditect_webhook_due(text, integer)")  # 0005
                await owner.execute("DROP TABLE invitations")  # 0008's
                await owner.execute("DROP TABLE api_calls")  # 0009's
                await owner.execute("DROP FUNCTION coditect_invitation(text)")
                await owner.execute("DROP TABLE principals")  # 0011's
                await owner.execute("UPDATE alembic_version SET version_num = '0002'")
        finally:
            await owner.close()
        assert await migrate.upgrade_postgres(db.owner_url) == "0002"
        for tenant in ("acme", "globex"):
            store = await open_pg_store(db.app_url, tenant)
            try:
                result = await store.search_memory_result("hook ")
                assert result.total == 3  # "hook" finds "hooks": the stems are back
            finally:
                await store.close()
        forced = await db.fetch(
            "SELECT relname FROM pg_class WHERE relforcerowsecurity "
            "AND relname IN ('memory_entries', 'memory_fts')"
        )
        assert sorted(r[0] for r in forced) == ["memory_entries", "memory_fts"]
    finally:
        await drop_database(db)
