"""``coditect audit verify|checkpoint|export``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options
from coditect_tui.core.errors import ConfigError, InvalidInput
from coditect_tui.core.wording import plural

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import VerifyReport

EXIT_TAMPERED = 2


def parse_when(value: str) -> datetime:
    """An ISO date or date-time; without a zone it is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO date or date-time (e.g. 2026-11-26 or 2026-11-26T08:00:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``audit`` and its sub-commands."""
    audit = sub.add_parser(
        "audit",
        help="verify, checkpoint or export the audit log",
        description="The tenant's tamper-evident audit log.",
    )
    add_common(audit)
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    verify = actions.add_parser(
        "verify",
        help="re-hash the chain and report the first broken link",
        description="Re-hash the whole chain. Exit 0 when intact, 2 when tampered.",
    )
    verify.add_argument(
        "--checkpoint", metavar="FILE", help="a signed checkpoint the chain must still match"
    )
    add_format_options(verify, ("text", "json"))
    add_common(verify)
    verify.set_defaults(handler=run_verify)

    checkpoint = actions.add_parser(
        "checkpoint",
        help="write an Ed25519-signed checkpoint of the chain head",
        description="Sign (tenant, seq, hash) of the newest link with the key in the config "
        "dir and write it outside the database.",
    )
    checkpoint.add_argument(
        "--out",
        metavar="FILE",
        help="where to write it (default: <data dir>/checkpoints/<tenant>-<seq>.json)",
    )
    checkpoint.add_argument(
        "--new-key",
        action="store_true",
        help="create the signing key (only when there is none: checkpoints signed with "
        "an earlier key verify only with that key)",
    )
    add_format_options(checkpoint, ("text", "json"))
    add_common(checkpoint)
    checkpoint.set_defaults(handler=run_checkpoint)

    export = actions.add_parser(
        "export",
        help="export events as CSV, JSON Lines or an evidence pack",
        description="Export matching events, oldest first, to stdout, a file (--output) or "
        "an evidence pack (--pack DIR: the files, a manifest.json and "
        "SHA256SUMS, written atomically into a new directory).",
    )
    add_format_options(
        export,
        ("jsonl", "csv", "markdown"),
        several=True,
        note="jsonl (default) or csv; with --pack DIR csv (default), jsonl, markdown, or "
        "several comma-separated",
    )
    export.add_argument("--output", "-o", metavar="FILE", help="file to write (default: stdout)")
    export.add_argument(
        "--pack", metavar="DIR", help="write an evidence pack into the new directory DIR"
    )
    export.add_argument("--actor")
    export.add_argument("--action")
    export.add_argument("--resource", help="resource type (projects, repos, sessions, ...)")
    export.add_argument("--resource-id", metavar="ID", help="one resource")
    export.add_argument("--outcome", choices=("ok", "denied", "error"))
    export.add_argument("--text", help="substring of the action, resource id or details")
    export.add_argument("--since", type=parse_when, help="from this time (inclusive)")
    export.add_argument("--until", type=parse_when, help="before this time (exclusive)")
    add_common(export)
    export.set_defaults(handler=run_export)


def _print_report(report: VerifyReport, fmt: str) -> None:
    from coditect_tui.commands.output import print_json
    from coditect_tui.core.safe_text import safe_text

    if fmt == "json":
        print_json(report.model_dump(mode="json"))
        return
    if report.ok:
        extra = (
            f", matches checkpoint at seq {report.checkpoint_seq}" if report.checkpoint_seq else ""
        )
        print(f"ok: {plural(report.rows, 'row')} intact{extra}")
    else:
        print(
            f"TAMPERED: first bad seq {report.first_bad_seq} ({safe_text(report.reason)}): "
            f"{safe_text(report.detail)}; {plural(report.rows, 'row')} read"
        )


def run_verify(args: argparse.Namespace, ctx: CliContext) -> int:
    """Verify the chain (and a checkpoint); exit 0 intact, 2 tampered."""
    from coditect_tui.core import checkpoints
    from coditect_tui.core.models import VerifyReport

    claim: tuple[int, str] | None = None
    profile = ctx.profile()
    if args.checkpoint:
        key = checkpoints.load_key()
        try:
            cp = checkpoints.read_checkpoint(
                Path(args.checkpoint), key.public_key(), tenant=profile.name
            )
        except checkpoints.ForgedCheckpoint as exc:
            report = VerifyReport(ok=False, rows=0, reason="checkpoint_mismatch", detail=str(exc))
            _print_report(report, args.format)
            return EXIT_TAMPERED
        claim = (cp.seq, cp.hash)

    async def work(backend: Backend) -> VerifyReport:
        return await backend.verify_audit(checkpoint=claim)

    report = ctx.run(work)
    _print_report(report, args.format)
    return 0 if report.ok else EXIT_TAMPERED


def run_checkpoint(args: argparse.Namespace, ctx: CliContext) -> int:
    """Write a signed checkpoint of the current head (creating the key only on --new-key)."""
    from coditect_tui.core import checkpoints
    from coditect_tui.core.paths import data_dir
    from coditect_tui.core.safe_text import safe_text

    key_path = checkpoints.default_key_path()
    default_dir = data_dir() / "checkpoints"
    older = checkpoints.signed_checkpoints(
        [default_dir, Path(args.out).parent] if args.out else [default_dir]
    )
    if args.new_key and key_path.exists():
        raise ConfigError(
            "--new-key: a signing key already exists and is never replaced "
            "(checkpoints it signed verify only with it)",
            path=str(key_path),
        )
    if not args.new_key and not key_path.exists():
        raise ConfigError(
            "no audit signing key; pass --new-key to create one"
            + (f" ({_older_note(older)}: restore that key instead)" if older else ""),
            path=str(key_path),
        )
    key = None if args.new_key else checkpoints.load_key(key_path)

    async def work(backend: Backend) -> Any:
        return await backend.audit_head()

    head = ctx.run(work)
    if key is None:
        key = checkpoints.create_key(key_path)
        new_id = checkpoints.key_id(key.public_key())
        print(f"created signing key {new_id} at {key_path}; back it up", file=sys.stderr)
        if older:
            print(f"coditect: warning: {_older_note(older)}, not with the new key", file=sys.stderr)
    out = Path(args.out) if args.out else default_dir / f"{head.tenant}-{head.seq:08d}.json"
    checkpoints.write_checkpoint(head, out, key)
    if args.format == "json":
        from coditect_tui.commands.output import print_json

        print_json(
            {
                "tenant": head.tenant,
                "seq": head.seq,
                "hash": head.hash,
                "path": str(out),
                "key_id": checkpoints.key_id(key.public_key()),
                "new_key": args.new_key,
            }
        )
    else:
        print(
            f"checkpoint: tenant {head.tenant} seq {head.seq} hash {head.hash[:16]}… -> "
            f"{safe_text(out)}"
        )
    return 0


def _older_note(older: dict[Path, str]) -> str:
    """``N older checkpoint(s) (e.g. F, signed with key K) verify only with the key that
    signed them``."""
    from coditect_tui.core.safe_text import safe_text

    ids = ", ".join(sorted({key_id or "?" for key_id in older.values()}))
    first = safe_text(str(next(iter(older))))
    return (
        f"{plural(len(older), 'older checkpoint')} (e.g. {first}, signed with key "
        f"{safe_text(ids)}) "
        "verify only with the key that signed them"
    )


def run_export(args: argparse.Namespace, ctx: CliContext) -> int:
    """Export matching events to stdout, a file (written atomically) or an evidence pack."""
    from coditect_tui.core.audit_export import write_events
    from coditect_tui.core.models import AuditFilter
    from coditect_tui.core.paths import replacing_private
    from coditect_tui.core.safe_text import safe_text

    if args.since and args.until and args.since >= args.until:
        raise InvalidInput("--since must be before --until")
    flt = AuditFilter(
        actor=args.actor,
        action=args.action,
        resource_type=args.resource,
        resource_id=args.resource_id,
        outcome=args.outcome,
        since=args.since,
        until=args.until,
        text=args.text or None,
    )
    if args.pack is not None:
        return _run_pack(args, ctx, flt)
    fmt = args.format or "jsonl"
    if fmt not in ("csv", "jsonl"):
        raise InvalidInput(
            f"--format {fmt!r}: choose csv or jsonl (markdown and several formats need --pack DIR)"
        )
    args.format = fmt

    async def work(backend: Backend) -> int:
        if not args.output:
            return await write_events(backend.export_audit(flt), sys.stdout, args.format)
        with (
            replacing_private(Path(args.output)) as tmp,
            tmp.open("w", encoding="utf-8", newline="") as handle,
        ):
            return await write_events(backend.export_audit(flt), handle, args.format)

    count = ctx.run(work)
    if args.output:
        print(f"exported {plural(count, 'event')} to {safe_text(args.output)}", file=sys.stderr)
    return 0


def _run_pack(args: argparse.Namespace, ctx: CliContext, flt: Any) -> int:
    """Write an evidence pack (``--pack DIR``) and print its manifest's figures."""
    from coditect_tui.core.evidence import check_target, parse_formats, write_evidence_pack
    from coditect_tui.core.safe_text import safe_text

    if args.output:
        raise InvalidInput("--output and --pack cannot be combined (the pack is a directory)")
    formats = parse_formats(args.format or "csv")
    target = check_target(Path(args.pack))

    async def work(backend: Backend) -> Any:
        return await write_evidence_pack(backend, target, filter=flt, formats=formats)

    result = ctx.run(work)
    manifest = result.manifest
    files = ", ".join(f"{f.name} ({f.sha256[:12]}…)" for f in manifest.files)
    print(
        f"evidence pack: {plural(manifest.row_count, 'event')} of tenant "
        f"{safe_text(manifest.tenant.name)} -> {safe_text(result.path)}: {files}, "
        "manifest.json, SHA256SUMS",
        file=sys.stderr,
    )
    return 0
