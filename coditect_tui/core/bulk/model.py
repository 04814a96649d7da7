"""What a bulk action is, what it works on, and what it reports (no git here).

* :class:`BulkAction`: the operation (fetch, pull, push, switch, submodule update, run).
* :class:`BulkTarget`: one repo to act on.
* :class:`RepoResult`: one repo's outcome (ok / failed / skipped, a one-line reason,
  the output behind it).
* :class:`ProgressEvent`: a repo's state while the action runs (queued, running, done).
* :class:`BulkReport`: every repo's result, in the order the targets were given.

Text fields of results (reason, output, names) are raw and untrusted: show them through
:mod:`coditect_tui.core.safe_text`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.git.status import RepoStatus
    from coditect_tui.core.models import Action
    from coditect_tui.core.workspace_view import RepoView

Kind = Literal["fetch", "pull", "push", "switch", "submodule_update", "run"]
KINDS: tuple[Kind, ...] = ("fetch", "pull", "push", "switch", "submodule_update", "run")
#: Operations that talk to a remote (they get the network timeout).
NETWORK_KINDS: frozenset[Kind] = frozenset({"fetch", "pull", "push", "submodule_update"})

Outcome = Literal["ok", "failed", "skipped"]
Phase = Literal["queued", "running", "done"]

#: Most bytes of a repo's output kept (its end: git's error lines come last).
DEFAULT_OUTPUT_LIMIT = 64 * 1024
#: Longest reason kept in a result and in the audit event.
MAX_REASON = 200
#: Most bytes of per-repo entries in the audit event's details (the tenant API takes
#: bodies up to 1 MiB); entries past it are counted under ``omitted``.
AUDIT_REPOS_BUDGET = 512 * 1024


@dataclass(frozen=True, slots=True)
class BulkAction:
    """One operation to run in every selected repo.

    Build it with the class methods (``BulkAction.fetch()``, ``BulkAction.switch("dev")``,
    ``BulkAction.run(["make", "test"])``). Git operations run as write paths with the
    repo's own configuration (hooks, credential helpers, ssh command), never forced and
    never interactive; ``run`` executes ``argv`` directly (no shell) in the repo's
    working tree.

    Attributes:
        kind: the operation.
        branch: the branch ``switch`` goes to (an existing local branch).
        argv: the program and arguments of ``run``.
        mutating: whether the action can change a repo. Every git operation does
            (``fetch`` writes remote-tracking refs and objects); ``run`` is mutating
            unless declared otherwise. Decides the permission asked of the backend.
        label: the audit event's verb for ``run`` (``repos.<label>``; default ``run``).
        argv_for: for ``run``, the argv of each repo (a custom command's placeholders
            filled in), or a string: why that repo is skipped; ``argv`` is then the
            template the audit event shows.
        title: the name of the custom command, recorded in the audit event.
    """

    kind: Kind
    branch: str | None = None
    argv: tuple[str, ...] = ()
    mutating: bool = True
    label: str = ""
    argv_for: Callable[[BulkTarget], Sequence[str] | str] | None = field(
        default=None, compare=False
    )
    title: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInput(f"unknown bulk operation {self.kind!r}")
        if self.kind == "switch":
            from coditect_tui.core.git.runner import check_branch_name

            check_branch_name(self.branch or "")
        if self.kind == "run" and not self.argv:
            raise InvalidInput("a command to run is needed (coditect run -- CMD ARGS...)")
        if self.kind != "run" and not self.mutating:
            raise InvalidInput(f"{self.kind} changes repos; it cannot be declared read-only")
        if self.label and not all(c.isalnum() or c in "_-" for c in self.label):
            raise InvalidInput(f"{safe_text(self.label)!r}: a label is letters, digits, _ and -")

    @classmethod
    def fetch(cls) -> BulkAction:
        """``git fetch`` (the repo's default remote and refspecs)."""
        return cls("fetch")

    @classmethod
    def pull(cls) -> BulkAction:
        """``git pull --ff-only`` (never a merge commit, never a rebase)."""
        return cls("pull")

    @classmethod
    def push(cls) -> BulkAction:
        """``git push -- <remote> refs/heads/B:refs/heads/B`` of the current branch B
        (never forced; the main branch only when confirmed)."""
        return cls("push")

    @classmethod
    def switch(cls, branch: str) -> BulkAction:
        """``git switch --no-guess <branch>``: an existing local branch only.

        Raises:
            InvalidInput: ``branch`` is not a valid branch name.
        """
        return cls("switch", branch=branch)

    @classmethod
    def submodule_update(cls) -> BulkAction:
        """``git submodule update --init``."""
        return cls("submodule_update")

    @classmethod
    def run(cls, argv: Sequence[str], *, mutating: bool = True, label: str = "") -> BulkAction:
        """Run ``argv`` (no shell) in each repo's working tree.

        Args:
            argv: program and arguments, each passed as one argument.
            mutating: False only for a command declared read-only.
            label: the audit verb (``repos.<label>``); default ``run``.

        Raises:
            InvalidInput: an empty ``argv`` or a bad label.
        """
        return cls("run", argv=tuple(argv), mutating=mutating, label=label)

    @property
    def network(self) -> bool:
        """Whether the operation talks to a remote."""
        return self.kind in NETWORK_KINDS

    @property
    def event_name(self) -> str:
        """The audit event's name: ``repos.fetch``, ``repos.switch``, ``repos.run``..."""
        return f"repos.{self.label or self.kind}"

    @property
    def permission(self) -> Action:
        """What the backend is asked for: update for a mutating action, else read."""
        from coditect_tui.core.models import Action

        return Action.UPDATE if self.mutating else Action.READ

    def describe(self) -> str:
        """The action in a few words, for headers and the audit event."""
        if self.kind == "switch":
            return f"switch to {self.branch}"
        if self.kind == "run":
            return "run " + " ".join(self.argv)
        if self.kind == "pull":
            return "pull --ff-only"
        return self.kind.replace("_", " ")


@dataclass(frozen=True, slots=True)
class BulkTarget:
    """A repo to act on.

    Attributes:
        path: its working tree (absolute).
        name: its display name.
    """

    path: str
    name: str

    @classmethod
    def of(cls, repo: RepoView | RepoStatus) -> BulkTarget:
        """The target for the app's RepoView or the CLI's RepoStatus."""
        return cls(path=repo.path, name=repo.name)


@dataclass(frozen=True, slots=True)
class RepoResult:
    """One repo's outcome.

    Attributes:
        path: the working tree.
        name: its display name.
        outcome: ok, failed or skipped.
        reason: one line: what git said last that matters, or why it was skipped
            (raw text; at most ``MAX_REASON`` characters).
        output: the process's output, stdout and stderr interleaved (its last
            ``output_limit`` bytes, decoded; raw text).
        returncode: the exit status (None: skipped, killed or not started).
        seconds: wall time of the process.
        truncated: bytes of output dropped from its start.
    """

    path: str
    name: str
    outcome: Outcome
    reason: str
    output: str = ""
    returncode: int | None = None
    seconds: float = 0.0
    truncated: int = 0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (raw text: encode with ``safe_json``)."""
        return {
            "path": self.path,
            "name": self.name,
            "outcome": self.outcome,
            "reason": self.reason,
            "returncode": self.returncode,
            "seconds": round(self.seconds, 4),
            "output": self.output,
            "truncated": self.truncated,
        }


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """A repo's state during a run (delivered in the event loop's thread).

    Attributes:
        target: the repo.
        phase: queued (before anything starts), running (its process is starting) or
            done (``result`` is set).
        result: the outcome, once done.
    """

    target: BulkTarget
    phase: Phase
    result: RepoResult | None = None


@dataclass(slots=True)
class BulkReport:
    """Every repo's result of one bulk action.

    Attributes:
        action: what ran.
        results: one per target, in the targets' order.
        cancelled: the run was cancelled (queued repos are skipped "cancelled").
        audit_seq: the audit event's seq (None when it could not be recorded).
        audit_error: why the audit event could not be recorded, or None.
    """

    action: BulkAction
    results: list[RepoResult] = field(default_factory=list)
    cancelled: bool = False
    audit_seq: int | None = None
    audit_error: str | None = None

    def count(self, outcome: Outcome) -> int:
        """How many repos ended with ``outcome``."""
        return sum(r.outcome == outcome for r in self.results)

    @property
    def failed(self) -> bool:
        """Whether any repo failed."""
        return any(r.outcome == "failed" for r in self.results)

    def summary(self) -> str:
        """``3 ok, 1 failed, 2 skipped`` (only the outcomes that occur; "no repos" if none)."""
        parts = [f"{self.count(o)} {o}" for o in ("ok", "failed", "skipped") if self.count(o)]
        return ", ".join(parts) or "no repos"

    def audit_details(self) -> dict[str, object]:
        """The audit event's details: the action, the counts and each repo's name, path,
        outcome and (unless ok) reason, neutralised; past ``AUDIT_REPOS_BUDGET`` bytes of
        entries the rest are only counted (``omitted``)."""
        details: dict[str, object] = {
            "operation": self.action.kind,
            "action": safe_text(self.action.describe(), max_length=500),
            "mutating": self.action.mutating,
            "cancelled": self.cancelled,
            "counts": {o: self.count(o) for o in ("ok", "failed", "skipped")},
        }
        entries: list[dict[str, str]] = []
        used = 0
        for r in self.results:
            entry = {
                "repo": safe_text(r.name, max_length=200),
                "path": safe_text(r.path, max_length=500),
                "outcome": r.outcome,
            }
            if r.outcome != "ok":  # an ok repo's last line says nothing the outcome does not
                entry["reason"] = safe_text(r.reason, max_length=MAX_REASON)
            used += sum(len(k) + len(v.encode()) + 6 for k, v in entry.items()) + 2
            if used > AUDIT_REPOS_BUDGET:
                break
            entries.append(entry)
        details["repos"] = entries
        if len(entries) < len(self.results):
            details["omitted"] = len(self.results) - len(entries)
        if self.action.kind == "switch":
            details["branch"] = safe_text(self.action.branch or "")
        if self.action.kind == "run":
            details["argv"] = [safe_text(a, max_length=500) for a in self.action.argv]
        if self.action.title:
            details["command"] = safe_text(self.action.title, max_length=200)
        return details

    def to_dict(self) -> dict[str, object]:
        """JSON-ready report (raw text: encode with ``safe_json``)."""
        return {
            "operation": self.action.kind,
            "action": self.action.describe(),
            "cancelled": self.cancelled,
            "counts": {o: self.count(o) for o in ("ok", "failed", "skipped")},
            "audit_seq": self.audit_seq,
            "audit_error": self.audit_error,
            "repos": [r.to_dict() for r in self.results],
        }
