"""The audit hash chain: canonical encoding, linking, and verification.

One chain per tenant. Link ``seq`` stores::

    hash = sha256(prev_hash || canonical_json(event)).hexdigest()

where ``prev_hash`` is the previous link's hash (64 zeros for seq 1), ``||`` is byte
concatenation of the ASCII hex text and the JSON bytes, and ``canonical_json`` is the
event's fields (tenant_id, seq, ts, actor, role, action, resource_type, resource_id,
outcome, details, source) as compact JSON with sorted keys, UTF-8, no ASCII escaping.
``details`` is itself stored in that canonical form and is embedded byte for byte.
Every backend (SQLite store, PostgreSQL server) uses this module, so a chain written by
one verifies with the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from coditect_tui.core.models import VerifyReason, VerifyReport
from coditect_tui.core.wording import plural

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditNotice:
    """The fields of an appended audit event a live stream shows (no details, no hashes).

    Attributes:
        seq: the event's place in the tenant's chain.
        ts: when it happened (canonical UTC text).
        actor: who did it.
        action: ``<resource>.<verb>``.
        resource_type: the resource acted on.
        resource_id: the object acted on, when there is one.
        outcome: ok, denied or error.
    """

    seq: int
    ts: str
    actor: str
    action: str
    resource_type: str
    resource_id: str | None
    outcome: str


#: Column order of a raw chain row, as backends yield them to ``ChainVerifier.feed``.
CHAIN_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "role",
    "action",
    "resource_type",
    "resource_id",
    "outcome",
    "details",
    "source",
    "prev_hash",
    "hash",
)


def canonical_details(details: dict[str, Any]) -> str:
    """The stored (canonical) text of an event's details."""
    return orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode()


def canonical_event(
    tenant_id: str,
    seq: int,
    ts: str,
    actor: str,
    role: str,
    action: str,
    resource_type: str,
    resource_id: str | None,
    outcome: str,
    details: str,
    source: str,
) -> bytes:
    """The canonical JSON bytes of one event (``details`` is its stored canonical text)."""
    return orjson.dumps(
        {
            "action": action,
            "actor": actor,
            "details": orjson.Fragment(details),
            "outcome": outcome,
            "resource_id": resource_id,
            "resource_type": resource_type,
            "role": role,
            "seq": seq,
            "source": source,
            "tenant_id": tenant_id,
            "ts": ts,
        }
    )


def link_hash(prev_hash: str, event: bytes) -> str:
    """``sha256(prev_hash || event)`` as hex."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(event)
    return digest.hexdigest()


@dataclass(frozen=True)
class CheckpointClaim:
    """What a verified signed checkpoint certifies: the chain had ``hash`` at ``seq``."""

    seq: int
    hash: str


class ChainVerifier:
    """Streams a tenant's rows (ordered by seq) and finds the first broken link.

    Feed rows in batches with ``feed``; call ``report`` at the end. Stops checking after
    the first problem (the rest is not trustworthy anyway) but still counts rows.

    Args:
        tenant_id: the chain's tenant.
        head_seq: the stored head's seq (None: not checked; 0 with ``GENESIS_HASH`` for a
            tenant without a head).
        head_hash: the stored head's hash; with ``head_seq``, the chain must end exactly
            there with exactly this hash, else the head is reported (reason ``head``).
        checkpoint: a signed checkpoint the chain must agree with.
    """

    def __init__(
        self,
        tenant_id: str,
        *,
        head_seq: int | None = None,
        head_hash: str | None = None,
        checkpoint: CheckpointClaim | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.head_seq = head_seq
        self.head_hash = head_hash
        self.checkpoint = checkpoint
        self.rows = 0
        self._expected = 1
        self._prev = GENESIS_HASH
        self._bad: tuple[int, VerifyReason, str] | None = None

    @property
    def broken(self) -> bool:
        """True once a problem has been found."""
        return self._bad is not None

    def feed(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Check rows laid out as ``CHAIN_COLUMNS``, in seq order."""
        tenant_id = self.tenant_id
        for row in rows:
            self.rows += 1
            if self._bad is not None:
                continue
            (
                seq,
                ts,
                actor,
                role,
                action,
                resource_type,
                resource_id,
                outcome,
                details,
                source,
                prev_hash,
                stored_hash,
            ) = row
            if seq != self._expected:
                if seq > self._expected:
                    self._fail(self._expected, "gap", f"seq {self._expected}..{seq - 1} missing")
                else:
                    self._fail(seq, "reorder", f"seq {seq} appears after {self._expected - 1}")
                continue
            if prev_hash != self._prev:
                self._fail(
                    seq, "reorder", "link does not follow the previous row (moved or replaced)"
                )
                continue
            event = canonical_event(
                tenant_id,
                seq,
                ts,
                actor,
                role,
                action,
                resource_type,
                resource_id,
                outcome,
                details,
                source,
            )
            if link_hash(prev_hash, event) != stored_hash:
                self._fail(seq, "edit", "row content does not match its hash")
                continue
            claim = self.checkpoint
            if claim is not None and seq == claim.seq and stored_hash != claim.hash:
                self._fail(
                    seq,
                    "checkpoint_mismatch",
                    "hash differs from the signed checkpoint (chain re-hashed)",
                )
                continue
            self._prev = stored_hash
            self._expected += 1

    def _fail(self, seq: int, reason: VerifyReason, detail: str) -> None:
        self._bad = (seq, reason, detail)

    def _head_problem(self, last: int) -> str | None:
        """What is wrong with the stored head of an intact chain ending at ``last``."""
        if self.head_seq is None:
            return None
        if last > self.head_seq:
            return (
                f"the stored head is at seq {self.head_seq} but the chain goes on to {last} "
                "(head tampered)"
            )
        if self.head_hash is not None and self.head_hash != self._prev:
            return (
                f"the stored head's hash differs from the chain's last link at seq {last} "
                "(head tampered)"
            )
        return None

    def report(self) -> VerifyReport:
        """The verdict after all rows were fed."""
        cp_seq = self.checkpoint.seq if self.checkpoint else None
        if self._bad is not None:
            seq, reason, detail = self._bad
            return VerifyReport(
                ok=False,
                rows=self.rows,
                first_bad_seq=seq,
                reason=reason,
                detail=detail,
                checkpoint_seq=cp_seq,
            )
        last = self._expected - 1
        if self.head_seq is not None and last < self.head_seq:
            return VerifyReport(
                ok=False,
                rows=self.rows,
                first_bad_seq=last + 1,
                reason="truncation",
                detail=f"rows {last + 1}..{self.head_seq} missing at the end",
                checkpoint_seq=cp_seq,
            )
        head = self._head_problem(last)
        if head is not None:
            return VerifyReport(
                ok=False,
                rows=self.rows,
                first_bad_seq=self.head_seq,
                reason="head",
                detail=head,
                checkpoint_seq=cp_seq,
            )
        if self.checkpoint and last < self.checkpoint.seq:
            return VerifyReport(
                ok=False,
                rows=self.rows,
                first_bad_seq=last + 1,
                reason="truncation",
                detail=f"the signed checkpoint certifies seq {self.checkpoint.seq}"
                f" but the chain ends at {last}",
                checkpoint_seq=cp_seq,
            )
        return VerifyReport(
            ok=True,
            rows=self.rows,
            checkpoint_seq=cp_seq,
            detail=f"{plural(self.rows, 'row')} intact",
        )
