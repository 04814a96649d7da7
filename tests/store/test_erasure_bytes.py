"""Erasure on a SQLite file, down to its bytes: after ``erase_principal`` and once every
connection is closed, the person's name is in no page, free page or WAL frame of the
database (nor in its -wal or -shm), the audit chain verifies, the audit export shows
``erased principal #<id>``, and her key no longer opens anything on the tenant API."""

from __future__ import annotations

import io
from pathlib import Path

import httpx

from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState
from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.audit_export import write_events
from tests.contract.erasure_story import ZELDA, act, make_member
from tests.contract.harness import sqlite_key

_SIDES = ("", "-wal", "-shm")


def _forms(name: str) -> list[bytes]:
    return [name.encode("utf-8"), name.encode("utf-16-le"), name.encode("utf-16-be")]


def _holding(path: Path, name: str) -> list[str]:
    """The files of the database that hold ``name`` (read only once it is closed)."""
    found = []
    for side in _SIDES:
        file = path.with_name(path.name + side)
        if file.exists():
            data = file.read_bytes()
            found += [f"{file.name}: {form!r}" for form in _forms(name) if form in data]
    return found


async def _open(path: Path, principal: str, role: str = "owner") -> SqlStore:
    store: SqlStore = await SqlStore.open_sqlite(
        path, tenant="acme", principal=principal, provision=Provision("Acme", "internal", role)
    )
    return store


async def test_the_name_leaves_every_byte_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    owner = await _open(path, "olivia")
    try:
        key_id = await make_member(owner)
        zelda = await _open(path, ZELDA, "editor")
        try:
            await act(zelda, key_id)
        finally:
            await zelda.close()
    finally:
        await owner.close()
    assert _holding(path, ZELDA)  # the test would see her: she is there before
    token = sqlite_key(path, "acme", ZELDA, "editor")

    owner = await _open(path, "olivia")
    try:
        done = await owner.erase_principal(ZELDA)
        assert done.compacted and done.chained_events == 0
    finally:
        await owner.close()
    assert _holding(path, ZELDA) == []

    owner = await _open(path, "olivia")
    try:
        assert (await owner.verify_audit()).ok
        out = io.StringIO()
        await write_events(owner.export_audit(), out, "csv")
        assert f"erased principal #{done.principal_id}" in out.getvalue()
        assert ZELDA not in out.getvalue()
    finally:
        await owner.close()

    # the key made for her before the erasure (it names her) opens nothing on the API
    state = ServerState(ServerConfig(db=str(path), pool_size=2))
    await state.start()
    try:
        transport = httpx.ASGITransport(app=create_app(state=state))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            refused = await client.get(
                "/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}
            )
        assert refused.status_code == 401
    finally:
        await state.stop()
    assert _holding(path, ZELDA) == []
