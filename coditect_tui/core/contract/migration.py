"""What ``coditect migrate`` and the store's migrator agree on (entry point group
``coditect.migrators``, name ``sql``; found through ``core/factory.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class MigrationStep:
    """One schema revision on the way to the head.

    Attributes:
        revision: the revision id (``"0002"``).
        title: the first line of the revision's description.
    """

    revision: str
    title: str


@dataclass(frozen=True)
class MigrationResult:
    """What a migration run found and did.

    Attributes:
        location: the database, as it may be shown (a path, or a URL without password).
        before: the revision found (None: an empty or missing database).
        after: the revision at the end (``before`` on a dry run).
        head: the newest revision this version knows.
        steps: the revisions applied (on a dry run: that would be applied), in order.
        backup: the copy of a SQLite file taken before its first step, if any.
        sealed: webhook secrets this run sealed with the secrets key (stored in plain
            text by an older version, or sealed with an older key of the key file).
    """

    location: str
    before: str | None
    after: str | None
    head: str
    steps: tuple[MigrationStep, ...]
    backup: str | None = None
    sealed: int = 0


class StoreMigrator(Protocol):
    """Migrates one store database to the head revision, one revision at a time."""

    async def __call__(
        self,
        db: str,
        *,
        dry_run: bool = False,
        on_step: Callable[[MigrationStep], None] | None = None,
    ) -> MigrationResult:
        """Bring ``db`` to the head revision; idempotent (a database at head is left alone).

        Each revision is applied and committed on its own, under the database's migration
        lock, and ``on_step`` is called after each commit; so a run that fails part-way
        leaves the database at the last revision reported. Then, at the head, every
        webhook secret not sealed with the secrets key's sealing key is sealed with it
        (docs/security.md, "Webhooks").

        Args:
            db: a SQLite file path (created when missing), or a ``postgresql://`` URL of
                the schema's owner.
            dry_run: read the revision and list the steps; change nothing, create nothing.
            on_step: called after each applied step (not on a dry run).

        Returns:
            What was found and done.

        Raises:
            BackendUnavailable: unreachable, not a CODITECT store, a schema newer than
                this version knows, or a step failed.
            ConfigError: a PostgreSQL URL without the ``server`` extra installed.
        """
        ...
