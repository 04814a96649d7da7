"""``coditect audit verify|checkpoint|export``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.core.errors import InvalidInput

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
            f"{value!r} is not an ISO date or date-time (e.g. 2026-11-26 or "
            "2026-11-26T08:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``audit`` and its sub-commands."""
    audit = sub.add_parser("audit", help="verify, checkpoint or export the audit log",
                           description="The tenant's tamper-evident audit log.")
    add_common(audit)
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    verify = actions.add_parser(
        "verify", help="re-hash the chain and report the first broken link",
        description="Re-hash the whole chain. Exit 0 when intact, 2 when tampered.")
    verify.add_argument("--checkpoint", metavar="FILE",
                        help="a signed checkpoint the chain must still match")
    verify.add_argument("--json", action="store_true", help="machine-readable verdict")
    add_common(verify)
    verify.set_defaults(handler=run_verify)

    checkpoint = actions.add_parser(
        "checkpoint", help="write an Ed25519-signed checkpoint of the chain head",
        description="Sign (tenant, seq, hash) of the newest link with the key in the config "
                    "dir and write it outside the database.")
    checkpoint.add_argument("--out", metavar="FILE",
                            help="where to write it (default: <data dir>/checkpoints/"
                                 "<tenant>-<seq>.json)")
    add_common(checkpoint)
    checkpoint.set_defaults(handler=run_checkpoint)

    export = actions.add_parser("export", help="export events as CSV or JSON Lines",
                                description="Export matching events, oldest first.")
    export.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    export.add_argument("--output", "-o", metavar="FILE", help="file to write (default: stdout)")
    export.add_argument("--actor")
    export.add_argument("--action")
    export.add_argument("--resource", help="resource type (projects, repos, sessions, ...)")
    export.add_argument("--outcome", choices=("ok", "denied", "error"))
    export.add_argument("--since", type=parse_when, help="from this time (inclusive)")
    export.add_argument("--until", type=parse_when, help="before this time (exclusive)")
    add_common(export)
    export.set_defaults(handler=run_export)


def _print_report(report: VerifyReport, as_json: bool) -> None:
    import orjson

    if as_json:
        print(orjson.dumps(report.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode())
        return
    if report.ok:
        extra = (f", matches checkpoint at seq {report.checkpoint_seq}"
                 if report.checkpoint_seq else "")
        print(f"ok: {report.rows} rows intact{extra}")
    else:
        print(f"TAMPERED: first bad seq {report.first_bad_seq} ({report.reason}): "
              f"{report.detail}; {report.rows} rows read")


def run_verify(args: argparse.Namespace, ctx: CliContext) -> int:
    """Verify the chain (and a checkpoint); exit 0 intact, 2 tampered."""
    from coditect_tui.core import checkpoints
    from coditect_tui.core.models import VerifyReport

    claim: tuple[int, str] | None = None
    profile = ctx.profile()
    if args.checkpoint:
        key = checkpoints.load_or_create_key(create=False)
        try:
            cp = checkpoints.read_checkpoint(Path(args.checkpoint), key.public_key(),
                                             tenant=profile.name)
        except checkpoints.ForgedCheckpoint as exc:
            report = VerifyReport(ok=False, rows=0, reason="checkpoint_mismatch",
                                  detail=str(exc))
            _print_report(report, args.json)
            return EXIT_TAMPERED
        claim = (cp.seq, cp.hash)

    async def work(backend: Backend) -> VerifyReport:
        return await backend.verify_audit(checkpoint=claim)

    report = ctx.run(work)
    _print_report(report, args.json)
    return 0 if report.ok else EXIT_TAMPERED


def run_checkpoint(args: argparse.Namespace, ctx: CliContext) -> int:
    """Write a signed checkpoint of the current head."""
    from coditect_tui.core import checkpoints
    from coditect_tui.core.paths import data_dir

    key = checkpoints.load_or_create_key()

    async def work(backend: Backend) -> Any:
        return await backend.audit_head()

    head = ctx.run(work)
    out = Path(args.out) if args.out else (
        data_dir() / "checkpoints" / f"{head.tenant}-{head.seq:08d}.json")
    checkpoints.write_checkpoint(head, out, key)
    print(f"checkpoint: tenant {head.tenant} seq {head.seq} hash {head.hash[:16]}… -> {out}")
    return 0


def run_export(args: argparse.Namespace, ctx: CliContext) -> int:
    """Export matching events to stdout or a file (written atomically)."""
    from coditect_tui.core.audit_export import write_events
    from coditect_tui.core.models import AuditFilter

    if args.since and args.until and args.since >= args.until:
        raise InvalidInput("--since must be before --until")
    flt = AuditFilter(actor=args.actor, action=args.action, resource_type=args.resource,
                      outcome=args.outcome, since=args.since, until=args.until)

    async def work(backend: Backend) -> int:
        if not args.output:
            return await write_events(backend.export_audit(flt), sys.stdout, args.format)
        target = Path(args.output)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with tmp.open("w", encoding="utf-8", newline="") as handle:
                count = await write_events(backend.export_audit(flt), handle, args.format)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return count

    count = ctx.run(work)
    if args.output:
        print(f"exported {count} events to {args.output}", file=sys.stderr)
    return 0
