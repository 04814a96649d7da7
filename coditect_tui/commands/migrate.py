"""``coditect migrate``: bring a store database to the current schema (deployment jobs)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import AddCommon, CliContext
from coditect_tui.commands.output import add_format_options, print_json

if TYPE_CHECKING:
    from coditect_tui.core.contract.migration import MigrationResult, MigrationStep


def register(sub: Any, add_common: AddCommon) -> None:
    """Add ``migrate`` (``--tenant`` picks a local profile's store; no ``--read-only``)."""
    parser = sub.add_parser(
        "migrate",
        help="migrate a store database to this version's schema",
        description="Apply the store's schema migrations to a SQLite file or a PostgreSQL "
        "database, one revision at a time, printing one line per applied step. Idempotent: "
        "a database at the current revision is left alone. A SQLite file is backed up "
        "before its first step; PostgreSQL needs the schema owner's URL. Without --url: "
        "$CODITECT_DB, else the local store of --tenant (or the default tenant).",
    )
    parser.add_argument(
        "--url",
        metavar="URL",
        help="postgresql://owner@host/db (the schema's owner), or a SQLite file",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="list the steps that would be applied; change and create nothing",
    )
    add_format_options(parser, ("text", "json"))
    add_common(parser, only=("--config", "--tenant"))
    parser.set_defaults(handler=run)


def _database(args: argparse.Namespace, ctx: CliContext) -> tuple[str, bool]:
    """The database to migrate: ``--url``, ``$CODITECT_DB`` or a local profile's file;
    and whether it is a profile's."""
    import os

    from coditect_tui.core.errors import ConfigError
    from coditect_tui.core.settings import LocalBackendConfig

    if args.url and ctx.tenant:
        raise ConfigError("migrate takes --url or --tenant, not both")
    if args.url:
        return str(args.url), False
    if not ctx.tenant and os.environ.get("CODITECT_DB"):
        return os.environ["CODITECT_DB"], False
    profile = ctx.profile()
    if not isinstance(profile.backend, LocalBackendConfig):
        raise ConfigError(
            f"tenant {profile.name!r} is not local: its server's database is migrated "
            "where it runs (coditect migrate --url OWNER_URL)"
        )
    return str(profile.backend.store_path()), True


def _step_line(step: MigrationStep, verb: str) -> str:
    from coditect_tui.core.safe_text import safe_text

    return f"{verb} {step.revision}: {safe_text(step.title)}"


def _summary(result: MigrationResult, dry_run: bool) -> str:
    from coditect_tui.core.safe_text import safe_text

    where = safe_text(result.location)
    if dry_run and result.steps:
        found = f"at {result.before}" if result.before else "empty"
        return f"{where}: {found}; {len(result.steps)} to apply (dry run, nothing changed)"
    if not result.steps:
        return f"{where}: already at {result.after} (current), nothing to apply"
    backup = f"; backup {safe_text(result.backup)}" if result.backup else ""
    return f"{where}: now at {result.after} (was {result.before or 'empty'}){backup}"


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Migrate, printing each applied step as it commits; exit 0 at the current revision."""
    import asyncio
    from dataclasses import asdict

    from coditect_tui.core.errors import ConfigError
    from coditect_tui.core.factory import store_migrator

    db, of_profile = _database(args, ctx)
    # a profile's store follows its read-only setting too (CODITECT_READ_ONLY, the config)
    if not args.dry_run and (ctx.read_only if of_profile else ctx.read_only_flag):
        raise ConfigError("migrate changes the schema: read-only allows only --dry-run")
    text = args.format == "text"

    def on_step(step: MigrationStep) -> None:
        if text:
            print(_step_line(step, "applied"), flush=True)

    migrator = store_migrator()
    result = asyncio.run(migrator(db, dry_run=args.dry_run, on_step=on_step))
    if not text:
        print_json(asdict(result) | {"dry_run": args.dry_run})
        return 0
    if args.dry_run:
        for step in result.steps:
            print(_step_line(step, "would apply"))
    print(_summary(result, args.dry_run))
    if result.sealed:
        from coditect_tui.core.wording import plural

        print(f"sealed {plural(result.sealed, 'webhook secret')} with the secrets key")
    return 0
