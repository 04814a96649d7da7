"""``manifest sync``: clone what a manifest lists and the root lacks, report what diverged.

What is there is never touched: a repo already at its path is compared (remote URL and
branch) and reported ``present`` or ``diverged``; anything else at the path (a file, a
folder that is no repo) is ``skipped``. A missing repo is cloned, in parallel with a bound
(the git runner's pool), into a hidden sibling folder renamed into place when the clone
is complete, so an interrupted sync leaves no half-cloned repo at the path.

Every clone is ``git clone --no-recurse-submodules [--branch=B] -- URL DIR`` with
``protocol.allow=never`` and only ``https``, ``http``, ``ssh``, ``git`` and ``file``
allowed (``ext::`` and ``fd::`` can never run), no hooks (``core.hooksPath=/dev/null``)
and no terminal prompt. The manifest was validated before (``core/manifest.py``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.git.runner import NETWORK_TIMEOUT, GitRunner
from coditect_tui.core.manifest import Manifest, ManifestRepo, repo_facts, strip_credentials
from coditect_tui.core.safe_text import safe_text

Outcome = Literal["cloned", "present", "diverged", "skipped", "failed"]

#: ``-c`` settings of every clone: only the listed transports, no hooks, no helpers.
CLONE_CONFIG: tuple[tuple[str, str], ...] = (
    ("protocol.allow", "never"),
    ("protocol.https.allow", "always"),
    ("protocol.http.allow", "always"),
    ("protocol.ssh.allow", "always"),
    ("protocol.git.allow", "always"),
    ("protocol.file.allow", "always"),
    ("core.hooksPath", "/dev/null"),
    ("submodule.recurse", "false"),
)


@dataclass(frozen=True)
class SyncResult:
    """What happened to one manifest entry.

    Attributes:
        path: the entry's path (relative to the root).
        outcome: cloned, present (as listed), diverged (URL or branch differs), skipped
            (something else is at the path) or failed (the clone did not work).
        reasons: one line each: what diverged, why skipped or failed.
    """

    path: str
    outcome: Outcome
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return asdict(self)


def target_of(root: Path, entry: ManifestRepo) -> Path:
    """Where ``entry`` goes under ``root``.

    Raises:
        CoditectError: the path leads out of the root through a symlink.
    """
    target = root / entry.path
    parent = target.parent
    existing = parent
    while not existing.exists() and existing != root:
        existing = existing.parent
    real_root = os.path.realpath(root)
    real = os.path.realpath(existing)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise CoditectError(f"{safe_text(entry.path)} leads out of the root through a symlink")
    return target


async def _compare(runner: GitRunner, target: Path, entry: ManifestRepo) -> SyncResult:
    url, branch = await repo_facts(runner, target)
    reasons = []
    if entry.url is not None and strip_credentials(url or "") != entry.url:
        reasons.append(
            f"remote URL is {safe_text(strip_credentials(url)) if url else 'unset'}, "
            f"manifest says {safe_text(entry.url)}"
        )
    if entry.branch is not None and branch != entry.branch:
        reasons.append(
            f"branch is {safe_text(branch) if branch else '(detached)'}, "
            f"manifest says {safe_text(entry.branch)}"
        )
    return SyncResult(entry.path, "diverged" if reasons else "present", reasons)


async def _clone(runner: GitRunner, root: Path, target: Path, entry: ManifestRepo) -> SyncResult:
    if entry.url is None:
        return SyncResult(entry.path, "skipped", ["no URL in the manifest"])
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.coditect-clone")
    if staging.exists():
        shutil.rmtree(staging)  # a sync that was killed mid-clone
    args = ["clone", "--no-recurse-submodules", "--quiet"]
    if entry.branch:
        args.append(f"--branch={entry.branch}")
    args += ["--", entry.url, str(staging)]
    try:
        result = await runner.run(
            target.parent, args, write=True, timeout=NETWORK_TIMEOUT, extra_config=CLONE_CONFIG
        )
    except CoditectError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        return SyncResult(entry.path, "failed", [safe_text(exc)])
    if not result.ok:
        shutil.rmtree(staging, ignore_errors=True)
        return SyncResult(
            entry.path, "failed", [safe_text(result.error_line() or "git clone failed")]
        )
    try:
        os.rename(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        return SyncResult(
            entry.path, "failed", [f"cannot move the clone into place: {exc.strerror}"]
        )
    return SyncResult(entry.path, "cloned")


async def _one(runner: GitRunner, root: Path, entry: ManifestRepo) -> SyncResult:
    from coditect_tui.core.git.layout import has_git_entry

    try:
        target = target_of(root, entry)
    except CoditectError as exc:
        return SyncResult(entry.path, "skipped", [str(exc)])
    if os.path.lexists(target):
        if target.is_dir() and not target.is_symlink() and has_git_entry(target):
            return await _compare(runner, target, entry)
        return SyncResult(entry.path, "skipped", ["something that is not a repo is at this path"])
    return await _clone(runner, root, target, entry)


async def sync(manifest: Manifest, root: Path, *, jobs: int) -> list[SyncResult]:
    """Clone what is missing under ``root``, compare what is there.

    Args:
        manifest: a validated manifest.
        root: the folder its paths are relative to (created if missing).
        jobs: clones and comparisons at once.

    Returns:
        One result per entry, in the manifest's order.
    """
    root.mkdir(parents=True, exist_ok=True)
    runner = GitRunner(concurrency=jobs)
    try:
        return list(await asyncio.gather(*(_one(runner, root, e) for e in manifest.repos)))
    finally:
        runner.close()
