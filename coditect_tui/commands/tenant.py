"""``coditect tenant export|verify``: a tenant's data (or one person's) as a signed,
verifiable folder of JSON Lines (core/data_export)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options
from coditect_tui.core.wording import plural

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend

EXIT_TAMPERED = 2


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``tenant`` and its sub-commands."""
    tenant = sub.add_parser(
        "tenant",
        help="export the tenant's data (or one person's) and verify an export",
        description="Data export and subject access of the open tenant "
        "(``tenants`` lists the configured profiles).",
    )
    add_common(tenant)
    actions = tenant.add_subparsers(dest="tenant_command", metavar="ACTION", required=True)

    export = actions.add_parser(
        "export",
        help="write everything of the tenant (or of --person) into a new folder",
        description="Write members, projects, repos, sessions, memory entries, status "
        "snapshots and audit events as JSON Lines, with manifest.json, SHA256SUMS, a "
        "signed checkpoint of the audit chain and a signature of SHA256SUMS, atomically "
        "into DIR (new or empty). Needs audit export rights; a kind the tier or the role "
        "may not read is left out and named, with the reason, in manifest.json. Audited.",
    )
    export.add_argument("dir", metavar="DIR", help="the new (or empty) folder to write")
    export.add_argument(
        "--person",
        metavar="NAME",
        help="only what NAME created, their membership and the audit events they acted "
        "in or that name them (subject access)",
    )
    export.add_argument(
        "--unsigned",
        action="store_true",
        help="write without the audit signing key (no checkpoint, no signature)",
    )
    add_format_options(export, ("text", "json"))
    add_common(export)
    export.set_defaults(handler=run_export)

    verify = actions.add_parser(
        "verify",
        help="check an export's hashes, audit chain and signatures",
        description="Check every file's size and sha256, SHA256SUMS, the audit records' "
        "chain links, the signed checkpoint and the signature of SHA256SUMS (with the "
        "local signing key). Exit 0 when intact, 2 when not.",
    )
    verify.add_argument("dir", metavar="DIR", help="the export folder")
    verify.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="accept an export without signatures (or without a key to check them)",
    )
    add_format_options(verify, ("text", "json"))
    add_common(verify)
    verify.set_defaults(handler=run_verify)


def run_export(args: argparse.Namespace, ctx: CliContext) -> int:
    """Write the export and print what it holds."""
    from coditect_tui.core import checkpoints
    from coditect_tui.core.data_export import check_export_target, write_tenant_export
    from coditect_tui.core.errors import ConfigError
    from coditect_tui.core.safe_text import safe_text

    target = check_export_target(Path(args.dir))
    key = None
    if not args.unsigned:
        key_path = checkpoints.default_key_path()
        if not key_path.exists():
            raise ConfigError(
                "no audit signing key to sign the export with; create one with "
                "`coditect audit checkpoint --new-key`, or pass --unsigned",
                path=str(key_path),
            )
        key = checkpoints.load_key(key_path)

    async def work(backend: Backend) -> Any:
        return await write_tenant_export(backend, target, person=args.person, key=key)

    result = ctx.run(work)
    manifest = result.manifest
    if args.format == "json":
        from coditect_tui.commands.output import print_json

        print_json({"path": str(result.path), "manifest": manifest.model_dump(mode="json")})
        return 0
    counts = ", ".join(f"{kind} {n}" for kind, n in manifest.counts.items())
    whose = f"person {safe_text(args.person)} of " if args.person else ""
    signed = f"signed with key {manifest.signature.key_id}" if manifest.signature else "unsigned"
    left_out = ", ".join(f"{o.kind} ({o.reason})" for o in manifest.omitted)
    print(
        f"tenant export: {whose}tenant {safe_text(manifest.tenant.name)} -> "
        f"{safe_text(result.path)}: {counts}; {signed}"
        + (f"; left out (see manifest.json): {left_out}" if left_out else "")
    )
    return 0


def run_verify(args: argparse.Namespace, ctx: CliContext) -> int:
    """Verify an export; exit 0 intact, 2 not."""
    from coditect_tui.core import checkpoints
    from coditect_tui.core.data_export import verify_tenant_export
    from coditect_tui.core.safe_text import safe_text

    public = None
    if checkpoints.default_key_path().exists():
        public = checkpoints.load_key().public_key()
    check = verify_tenant_export(Path(args.dir), public=public, allow_unsigned=args.allow_unsigned)
    if args.format == "json":
        from coditect_tui.commands.output import print_json

        print_json(
            {
                "ok": check.ok,
                "problems": list(check.problems),
                "signed": check.signed,
                "rows_checked": check.rows_checked,
                "counts": check.manifest.counts if check.manifest else None,
            }
        )
    elif check.ok:
        total = sum(check.manifest.counts.values()) if check.manifest else 0
        how = "signature and checkpoint verified" if check.signed else "unsigned"
        print(
            f"ok: {plural(total, 'record')} intact, {plural(check.rows_checked, 'audit link')} "
            f"re-hashed, {how}"
        )
    else:
        more = len(check.problems) - 1
        tail = f" ({plural(more, 'more problem')}; --json lists all)" if more else ""
        print(f"FAILED: {safe_text(check.problems[0])}{tail}", file=sys.stderr)
    return 0 if check.ok else EXIT_TAMPERED
