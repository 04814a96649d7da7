"""Webhook secrets sealed at rest, with a key that does not live in the database.

The server keeps each subscription's signing secret to sign with, so it cannot store a
hash of it (as it does for API keys). It stores ``v1:<key id>:<base64url(nonce, then
AES-256-GCM ciphertext and tag)>`` instead, sealed with the first key of the key file;
the tenant id and the subscription id are the associated data, so a sealed secret copied
to another row does not open there.

The key file is ``$CODITECT_SECRETS_KEY_FILE``, else ``<XDG data>/coditect/secrets.key``:
one key per line (base64 of 32 random bytes; ``#`` comments and blank lines ignored).
The first line seals; every line opens what it sealed (a sealed value names its key by
id). Rotating: put a new key on the first line, run ``coditect migrate`` (it re-seals
every secret with the first key), then drop the old line. The file is created 0600 when
a secret is first sealed and none exists (never replaced), and refused while group or
others may read it. A value without the ``v1:`` prefix is a secret stored before
sealing existed; it is used as it is until ``coditect migrate`` seals it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from coditect_store.schema import webhook_subscriptions
from coditect_tui.core.errors import BackendUnavailable
from coditect_tui.core.paths import data_dir, write_private_file

if TYPE_CHECKING:  # cryptography is imported when a key is first read (not with the store)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: names the key file (default: ``<XDG data>/coditect/secrets.key``)
KEY_ENV = "CODITECT_SECRETS_KEY_FILE"
#: what a sealed value starts with
PREFIX = "v1:"
_AAD = b"coditect webhook secret\0"
_NONCE = 12
_HELP = 'docs/security.md, "Webhooks"'


class SecretsKeyError(BackendUnavailable):
    """The key file is missing, unreadable, open to others or malformed, or a sealed
    secret does not open with it (a lost or wrong key). One line, naming the file.

    Attributes:
        reason: the message without the file's name (what a tenant may be shown: the
            server's paths are the operator's business).
    """

    def __init__(self, where: Path | str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.reason = reason


def key_path(environ: Mapping[str, str] | None = None) -> Path:
    """The key file: ``$CODITECT_SECRETS_KEY_FILE``, else ``<XDG data>/coditect/secrets.key``."""
    env = os.environ if environ is None else environ
    given = env.get(KEY_ENV, "").strip()
    return Path(given).expanduser() if given else data_dir() / "secrets.key"


def key_id(raw: bytes) -> str:
    """A key's short public name (8 hex digits of a hash of it), carried by what it seals."""
    return hashlib.sha256(b"coditect secrets key\0" + raw).hexdigest()[:8]


def new_key_line() -> str:
    """A fresh key as the file holds it: base64 of 32 random bytes."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def is_sealed(stored: str) -> bool:
    """Whether ``stored`` is a sealed value (not a secret kept before sealing existed)."""
    return stored.startswith(PREFIX)


def _associated(tenant_id: str, row_id: str) -> bytes:
    return _AAD + tenant_id.encode() + b"\0" + row_id.encode()


@dataclass(frozen=True)
class Keyring:
    """The keys of a key file: the first seals, each opens what it sealed.

    Attributes:
        path: the key file.
        keys: key id -> its cipher, the sealing key first.
    """

    path: Path
    keys: dict[str, AESGCM]

    @property
    def current(self) -> str:
        """The id of the key that seals."""
        return next(iter(self.keys))

    def seal(self, secret: str, tenant_id: str, row_id: str) -> str:
        """Seal ``secret`` for the row ``row_id`` of ``tenant_id``."""
        nonce = secrets.token_bytes(_NONCE)
        box = self.keys[self.current].encrypt(
            nonce, secret.encode(), _associated(tenant_id, row_id)
        )
        return f"{PREFIX}{self.current}:{base64.urlsafe_b64encode(nonce + box).decode()}"

    def is_current(self, stored: str) -> bool:
        """Whether ``stored`` is sealed with the sealing key."""
        return stored.startswith(f"{PREFIX}{self.current}:")

    def open(self, stored: str, tenant_id: str, row_id: str) -> str:
        """The secret sealed in ``stored`` for that row.

        Raises:
            SecretsKeyError: the key that sealed it is not in the file, or it does not
                open (altered, or moved from another row).
        """
        kid, _, body = stored[len(PREFIX) :].partition(":")
        cipher = self.keys.get(kid)
        if cipher is None:
            raise SecretsKeyError(
                self.path,
                f"the webhook secret is sealed with key {kid[:16]}, which this key "
                f"file does not hold (a lost or wrong key: restore it, or remove the "
                f"subscription and add it again; {_HELP})",
            )
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.urlsafe_b64decode(body.encode())
            plain = cipher.decrypt(raw[:_NONCE], raw[_NONCE:], _associated(tenant_id, row_id))
            return plain.decode()
        except (InvalidTag, ValueError, binascii.Error):
            raise SecretsKeyError(
                self.path,
                f"the sealed webhook secret does not open with key {kid[:16]} "
                "(altered in the database, or copied from another subscription)",
            ) from None


#: path -> (the file's identity when read, its keyring): read again when the file changes
_loaded: dict[Path, tuple[tuple[int, int, int], Keyring]] = {}


def load_keyring(path: Path | None = None, *, create: bool = False) -> Keyring:
    """The keys of the key file (read again whenever the file changes).

    Args:
        path: the key file (default: :func:`key_path`).
        create: make the file (0600, one fresh key) when there is none.

    Raises:
        SecretsKeyError: no file (and ``create`` is false), it cannot be read or created,
            group or others may read it, or a line is not a key.
    """
    path = path or key_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        if not create:
            raise SecretsKeyError(
                path,
                "no webhook secrets key file: the stored webhook secrets are "
                f"sealed with it (restore it from a backup, or set {KEY_ENV}; {_HELP})",
            ) from None
        _create(path)
        st = path.stat()
    except OSError as exc:
        raise SecretsKeyError(path, f"cannot read the webhook secrets key: {exc}") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretsKeyError(
            path,
            "the webhook secrets key is accessible by others "
            f"(mode {stat.S_IMODE(st.st_mode):o}); chmod 600 it",
        )
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    cached = _loaded.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeError) as exc:
        raise SecretsKeyError(path, f"cannot read the webhook secrets key: {exc}") from None
    keys: dict[str, AESGCM] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            raw = base64.b64decode(line, validate=True)
        except binascii.Error:
            raw = b""
        if len(raw) != 32:
            raise SecretsKeyError(
                f"{path}:{number}", "not a key (base64 of 32 bytes, as `coditect` writes it)"
            )
        keys.setdefault(key_id(raw), AESGCM(raw))
    if not keys:
        raise SecretsKeyError(path, "the webhook secrets key file holds no key")
    ring = Keyring(path, keys)
    _loaded[path] = (stamp, ring)
    return ring


def _create(path: Path) -> None:
    """Write a new key file (0600) where none is; one made meanwhile is kept."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        write_private_file(tmp, (new_key_line() + "\n").encode())
        with contextlib.suppress(FileExistsError):  # a key made meanwhile is kept
            os.link(tmp, path)  # (unlike a rename, a link never replaces it)
    except OSError as exc:
        raise SecretsKeyError(path, f"cannot create the webhook secrets key: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


S = webhook_subscriptions.c


async def sealing_keyring(conn: AsyncConnection) -> Keyring:
    """The keyring to seal with; the key file is made when there is none, unless a
    stored secret is sealed already (with the key that went missing: a new key would
    not open it, so it is refused as lost).

    Args:
        conn: a connection; the subscriptions it sees are looked at (every tenant's on
            SQLite, its tenant's on PostgreSQL under row-level security).

    Raises:
        SecretsKeyError: the key file is missing while secrets are sealed, or it cannot
            be read or created.
    """
    path = key_path()
    if not os.path.lexists(path):
        query = select(S.id).where(S.secret.startswith(PREFIX)).limit(1)
        if (await conn.execute(query)).first() is not None:
            raise SecretsKeyError(
                path,
                "no webhook secrets key file, yet stored webhook secrets are "
                f"sealed with one; restore it from a backup or set {KEY_ENV} (a new key "
                f"would not open them; {_HELP})",
            )
    return load_keyring(path, create=True)


async def reseal_secrets(conn: AsyncConnection, *, plaintext_only: bool = False) -> int:
    """Seal every stored webhook secret with the sealing key: those kept before sealing
    existed, and (unless ``plaintext_only``) those sealed with another key of the file
    (a rotation). Runs in the caller's write transaction, which must see every tenant's
    subscriptions.

    Returns:
        How many secrets were (re)sealed.

    Raises:
        SecretsKeyError: no key file while secrets are sealed, or a secret sealed with
            a key the file does not hold (nothing is changed then).
    """
    query = select(S.id, S.tenant_id, S.secret)
    if plaintext_only:
        query = query.where(~S.secret.startswith(PREFIX))
    rows = (await conn.execute(query)).all()
    if not rows:
        return 0
    ring = await sealing_keyring(conn)
    changes: list[tuple[str, str]] = []
    unopened: list[str] = []
    for row in rows:
        if ring.is_current(row.secret):
            continue
        try:
            plain = (
                ring.open(row.secret, row.tenant_id, row.id)
                if is_sealed(row.secret)
                else row.secret
            )
        except SecretsKeyError:
            unopened.append(row.id)
            continue
        changes.append((row.id, ring.seal(plain, row.tenant_id, row.id)))
    if unopened:
        raise SecretsKeyError(
            ring.path,
            f"{len(unopened)} webhook secret(s) do not open with this key file "
            f"(subscriptions {', '.join(unopened[:5])}{', ...' if len(unopened) > 5 else ''}): "
            "restore the key that sealed them as a line of the file, or remove those "
            f"subscriptions; nothing was re-sealed ({_HELP})",
        )
    # on SQLite the plain values' bytes would stay in the freed space of their pages
    sqlite = conn.dialect.name == "sqlite" and bool(changes)
    if sqlite:
        was = (await conn.exec_driver_sql("PRAGMA secure_delete")).scalar()
        await conn.exec_driver_sql("PRAGMA secure_delete = ON")
    for row_id, sealed in changes:
        await conn.execute(
            update(webhook_subscriptions).where(S.id == row_id).values(secret=sealed)
        )
    if sqlite:
        await conn.exec_driver_sql(f"PRAGMA secure_delete = {int(bool(was))}")
    return len(changes)


def open_secret(stored: str, tenant_id: str, row_id: str) -> str:
    """The secret a subscription row stores (a value kept before sealing: as it is).

    Raises:
        SecretsKeyError: no key file, or the secret does not open with it.
    """
    if not is_sealed(stored):
        return stored
    return load_keyring().open(stored, tenant_id, row_id)
