"""Webhook secrets sealed at rest (``coditect_store.secrets_key``): the database holds no
secret, deliveries still sign, a wrong or missing key is one line on the delivery log
and sends nothing, ``coditect migrate`` seals an older version's plain secrets and
re-seals after a rotation.

Database files are read only after every connection to them is closed (reading a SQLite
file with plain file I/O while it is open would drop that connection's POSIX locks).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from coditect_store.deploy import migrate_postgres
from coditect_store.secrets_key import (
    KEY_ENV,
    SecretsKeyError,
    key_id,
    key_path,
    new_key_line,
    open_secret,
)
from coditect_tui.cli import main
from coditect_tui.core.errors import BackendError
from coditect_tui.core.models import ProjectSpec
from coditect_tui.core.paths import write_private_file
from coditect_tui.core.webhooks import NewWebhook, WebhookSpec
from tests.pg import PgDatabase
from tests.server.conftest import open_db, unique
from tests.server.receiver import Receiver
from tests.server.webhook_rig import deliver_one, make_rig


def _forms(secret: str) -> list[bytes]:
    """The ways a secret could sit in a file: as given, its base64 part, its raw bytes."""
    body = secret.removeprefix("whsec_")
    return [secret.encode(), body.encode(), base64.b64decode(body)]


def _file_bytes(db: Path) -> bytes:
    """The database file and whatever WAL is beside it (every connection closed)."""
    return b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal")) if p.exists())


def _stored(db: Path) -> list[tuple[str, str, str]]:
    """(id, tenant_id, secret) of every subscription row (read after the byte check)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, tenant_id, secret FROM webhook_subscriptions").fetchall()
    conn.close()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def _set_plain(db: Path, secret: str) -> None:
    """Store ``secret`` as an older version did: in plain text."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE webhook_subscriptions SET secret = ?", (secret,))
    conn.close()


async def test_the_sqlite_file_holds_no_secret_and_deliveries_still_sign(
    tmp_path: Path, receiver: Receiver
) -> None:
    rig = await make_rig(tmp_path, receiver, allow=("127.0.0.1/32",))
    try:
        new, delivery = await deliver_one(rig, receiver.url)
        assert delivery.state == "delivered" and receiver.bad_signatures == 0
    finally:
        await rig.client.close()  # stops the state: every connection to the file closed
    db = tmp_path / "server.db"
    content = _file_bytes(db)
    assert all(form not in content for form in _forms(new.secret))
    ((row_id, tenant_id, stored),) = _stored(db)
    key = key_path()
    ring_id = key_id(base64.b64decode(key.read_text().split()[0]))
    assert stored.startswith(f"v1:{ring_id}:") and row_id == new.info.id
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert open_secret(stored, tenant_id, row_id) == new.secret
    # bound to its row: moved to another subscription or tenant it does not open
    with pytest.raises(SecretsKeyError, match="copied from another subscription"):
        open_secret(stored, tenant_id, "another-row")
    with pytest.raises(SecretsKeyError, match="copied from another subscription"):
        open_secret(stored, "another-tenant", row_id)


async def test_a_wrong_or_missing_key_is_one_line_on_the_log_and_sends_nothing(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    rig = await make_rig(tmp_path, receiver, allow=("127.0.0.1/32",))
    worker, client = rig.state.webhooks, rig.client
    receiver.tolerance = 4 * 3600  # the server's clock is moved three hours ahead below
    try:
        new = await client.add_webhook(WebhookSpec(url=receiver.url, events=["projects.*"]))
        receiver.secret = new.secret
        await client.upsert_project(ProjectSpec(name="p1"))
        key = key_path()
        original = key.read_bytes()
        wrong = new_key_line()
        write_private_file(key, (wrong + "\n").encode())
        with caplog.at_level(logging.ERROR, logger="coditect.webhooks"):
            for _ in range(2):
                assert await worker.run_once() == 1
                (delivery,) = await client.list_webhook_deliveries()
                assert (delivery.state, delivery.attempts) == ("pending", 0)
                assert delivery.last_status is None and delivery.last_error is not None
                assert delivery.last_error.startswith("not sent: ")
                assert "sealed with key" in delivery.last_error
                assert "\n" not in delivery.last_error
                rig.clock.advance(timedelta(hours=1))
        assert receiver.requests == 0
        # the server's log says it once per subscription, not once per round
        lines = [r.getMessage() for r in caplog.records if new.info.id in r.getMessage()]
        assert len(lines) == 1 and "does not hold" in lines[0]
        (hook,) = await client.list_webhooks()
        assert hook.enabled and hook.failures == 0  # the server's fault, not the receiver's

        key.unlink()
        assert await worker.run_once() == 1
        (delivery,) = await client.list_webhook_deliveries()
        assert delivery.last_error is not None
        assert "no webhook secrets key file" in delivery.last_error
        # no new key is made while secrets are sealed with the missing one
        with pytest.raises(BackendError, match="sealed with one"):
            await client.add_webhook(WebhookSpec(url=receiver.url))
        assert not key.exists()

        write_private_file(key, original)  # restored from the backup: delivered
        rig.clock.advance(timedelta(hours=1))
        assert await worker.run_once() == 1
        (delivery,) = await client.list_webhook_deliveries()
        assert (delivery.state, delivery.attempts) == ("delivered", 1)
        assert list(receiver.deliveries) == [delivery.id] and receiver.bad_signatures == 0
    finally:
        await client.close()


@pytest.fixture
def keyfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The key file, named by ``$CODITECT_SECRETS_KEY_FILE`` (not there yet)."""
    path = tmp_path / "keys" / "webhook-secrets.key"
    monkeypatch.setenv(KEY_ENV, str(path))
    return path


async def test_serve_stops_before_it_starts_on_a_key_file_not_a_key_or_open_to_others(
    tmp_path: Path, keyfile: Path
) -> None:
    from coditect_server import launch

    db = str(tmp_path / "server.db")
    write_private_file(keyfile, b"not base64 of 32 bytes\n")
    with pytest.raises(SecretsKeyError, match=r"webhook-secrets.key:1: not a key"):
        await launch.check(db)
    write_private_file(keyfile, (new_key_line() + "\n").encode())
    await launch.check(db)
    keyfile.chmod(0o640)
    with pytest.raises(SecretsKeyError, match=r"accessible by others \(mode 640\)"):
        await launch.check(db)


def _migrate(capsys: pytest.CaptureFixture[str], db: Path) -> tuple[int, str, str]:
    code = main(["migrate", "--url", str(db)])
    out, err = capsys.readouterr()
    return code, out, err


async def _subscribe(db: str) -> NewWebhook:
    """A subscription added by the owner of a new tenant of the store ``db``."""
    store = await open_db(db, unique("sealed"), "owner")
    try:
        return await store.add_webhook(WebhookSpec(url="https://hooks.example.com/x"))
    finally:
        await store.close()


def test_migrate_seals_plain_secrets_and_reseals_after_a_rotation(
    tmp_path: Path, keyfile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.db"
    new = asyncio.run(_subscribe(str(db)))
    _set_plain(db, new.secret)  # as an older version stored it
    keyfile.unlink()
    code, out, _ = _migrate(capsys, db)
    assert code == 0 and "sealed 1 webhook secret " in out
    assert all(form not in _file_bytes(db) for form in _forms(new.secret))
    ((row_id, tenant_id, stored),) = _stored(db)
    first = keyfile.read_text().split()[0]
    assert stored.startswith(f"v1:{key_id(base64.b64decode(first))}:")
    assert open_secret(stored, tenant_id, row_id) == new.secret

    # nothing to do: nothing said
    code, out, _ = _migrate(capsys, db)
    assert code == 0 and "sealed" not in out

    # rotation: a new first line, migrate, then the old line goes
    second = new_key_line()
    write_private_file(keyfile, f"{second}\n{first}\n".encode())
    code, out, _ = _migrate(capsys, db)
    assert code == 0 and "sealed 1 webhook secret " in out
    write_private_file(keyfile, f"{second}\n".encode())
    ((row_id, tenant_id, stored),) = _stored(db)
    assert stored.startswith(f"v1:{key_id(base64.b64decode(second))}:")
    assert open_secret(stored, tenant_id, row_id) == new.secret

    # a key file that does not hold the sealing key: one line, nothing changed
    write_private_file(keyfile, f"{new_key_line()}\n".encode())
    code, out, err = _migrate(capsys, db)
    assert code != 0 and "1 webhook secret(s) do not open" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert _stored(db)[0][2] == stored


@pytest.mark.postgres
async def test_the_postgres_row_holds_no_secret_and_migrate_seals_old_rows(
    own_db: PgDatabase,
) -> None:
    new = await _subscribe(own_db.app_url)
    query = "SELECT id, tenant_id, secret FROM webhook_subscriptions"
    ((row_id, tenant_id, stored),) = await own_db.fetch(query)
    assert stored.startswith("v1:")
    assert not any(form in stored.encode() for form in _forms(new.secret))
    assert open_secret(stored, tenant_id, row_id) == new.secret

    # an older version's plain secret: the owner's migration seals it, row-level
    # security forced on again afterwards
    await own_db.fetch("UPDATE webhook_subscriptions SET secret = $1", new.secret)
    result = await migrate_postgres(own_db.owner_url, dry_run=False, on_step=None)
    assert result.sealed == 1 and result.steps == ()
    ((_, _, stored),) = await own_db.fetch(query)
    assert stored.startswith("v1:") and open_secret(stored, tenant_id, row_id) == new.secret
    (forced,) = await own_db.fetch(
        "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'webhook_subscriptions'"
    )
    assert forced[0] is True
