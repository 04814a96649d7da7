"""A synthetic MEMORY-CONTEXT folder of any size, in every real format (tests
and benchmarks).

``generate_corpus`` writes checkpoints, session exports and templates, export JSON,
transcripts with ``⏺``/``⎿`` markers, export placeholders, checkpoint audit logs, set-up
logs, older ``SESSION-SUMMARY-<date>.md`` summaries and unknown files, named the way
CODITECT names them (with ``: & , + ( ) %`` in some descriptions). Text is drawn from a
Zipf-distributed vocabulary, so some words are everywhere and most are rare. It returns a
manifest of what every file should parse to, and where known *markers* were planted, so
tests can check search results against an exact oracle:

* ``rare``: ``raremarker<k>`` in about one file in a thousand each;
* ``phrase``: the phrase ``quantum ledger`` in one file in fifty, and each of its two
  words alone (never together) in two other sets of files;
* ``prefix``: ``zephyrix<k>`` (k = 0..9), so ``zephyrix*`` matches their union.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from coditect_tui.core.models import MemoryKind

_TECH_WORDS = (
    "checkpoint session export hooks submodule commit push branch merge rebase tasklist "
    "sprint phase memory context transcript audit backend frontend cloud infra docs legal "
    "agent framework orchestration dedup deduplication pipeline index search query schema "
    "migration database sqlite postgres tenant role policy permission token cache latency "
    "throughput benchmark report dashboard health status workflow automation script python "
    "rust typescript react textual terminal widget layout theme keymap binding command "
    "palette install installer license pricing market roadmap investor review decision "
    "rationale architecture diagram component container deployment kubernetes docker "
    "registry secret key signature checksum hash chain verify tamper evidence export "
    "import json yaml markdown config settings profile workspace repository remote origin "
    "upstream ahead behind staged modified untracked conflict stash detached worktree "
    "symlink gitmodules rollout master category initialise sync cascade pull request "
    "summary objectives metrics quality assurance completed tasks next steps training "
    "onboarding guide standard template placeholder conversation compaction context window"
)
_SYLLABLE_TEXT = (
    "ka ro mi ten vo la shi pre dan gor li ux bel tra qui mon sel var dor fen "
    "hal ist ope rin cal tur nex bri sto"
)
_TECH = _TECH_WORDS.split()
_SYLLABLES = _SYLLABLE_TEXT.split()
_MARKER_PHRASE = ("quantum", "ledger")


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words = list(dict.fromkeys(_TECH))
    seen = set(words) | set(_MARKER_PHRASE)
    while len(words) < size:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen and not word.startswith(("raremarker", "zephyrix")):
            seen.add(word)
            words.append(word)
    return words


@dataclass(frozen=True, slots=True)
class CorpusDoc:
    """One generated file and what it should parse to.

    Attributes:
        rel: path relative to the corpus root.
        kind: the kind it must be classified as.
        title: the title it must get.
        timestamp_raw: the timestamp text of its name.
        markers: planted marker words (see the module docstring).
    """

    rel: str
    kind: MemoryKind
    title: str
    timestamp_raw: str | None
    markers: tuple[str, ...] = ()


@dataclass(slots=True)
class Corpus:
    """A generated corpus: where it is and what is in it."""

    root: Path
    docs: list[CorpusDoc] = field(default_factory=list)
    total_bytes: int = 0
    vocabulary: list[str] = field(default_factory=list)

    def with_marker(self, marker: str) -> set[str]:
        """Relative paths of the files a marker was planted in.

        Args:
            marker: e.g. ``raremarker3``, ``quantum ledger``, ``zephyrix4``.

        Returns:
            Paths relative to the corpus root.
        """
        return {d.rel for d in self.docs if marker in d.markers}


class _Writer:
    def __init__(self, root: Path, rng: random.Random, avg_bytes: int) -> None:
        self.root = root
        self.rng = rng
        self.avg = avg_bytes
        self.vocab = _vocabulary(rng, 3000)
        weights = [1.0 / (rank + 1) for rank in range(len(self.vocab))]
        self.cum: list[float] = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cum.append(total)

    def words(self, count: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cum, k=count)

    def prose(self, target: int, markers: tuple[str, ...]) -> str:
        words = self.words(max(8, target // 7))
        for marker in markers:
            if marker == "quantum ledger":
                words.insert(self.rng.randrange(len(words)), "quantum ledger")
            else:
                words.insert(self.rng.randrange(len(words)), marker)
        lines: list[str] = []
        for start in range(0, len(words), 12):
            lines.append(" ".join(words[start : start + 12]) + ".")
        return "\n".join(lines)

    def description(self, n: int) -> str:
        words = [
            w.capitalize() if i == 0 else w
            for i, w in enumerate(self.words(self.rng.randint(3, 7)))
        ]
        extra = n % 9
        if extra == 1:
            words[1:1] = ["&", "docs"]
        elif extra == 2:
            words[-1] += ","
            words.append("7000+ lines")
        elif extra == 3:
            words.append("(v2)")
        elif extra == 4:
            words[0] += ":"
        elif extra == 5:
            words.append("100%")
        elif extra == 6:
            words += ["-", "complete"]
        return " ".join(words)

    def write(self, rel: str, text: str) -> int:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        return len(data)


def _markers(n: int, rng: random.Random) -> tuple[str, ...]:
    found: list[str] = []
    for k in range(20):
        if rng.random() < 0.001:
            found.append(f"raremarker{k}")
    if n % 50 == 0:
        found.append("quantum ledger")
    elif n % 50 == 25:
        found.append("quantum")
    elif n % 50 == 10:
        found.append("ledger")
    if n % 197 < 10:
        found.append(f"zephyrix{n % 197}")
    return tuple(found)


def _dashed(description: str) -> str:
    return description.replace(" ", "-")


def generate_corpus(root: Path, count: int, *, seed: int = 0, avg_bytes: int = 1000) -> Corpus:
    """Write ``count`` files of mixed kinds under ``root`` (a MEMORY-CONTEXT folder).

    Args:
        root: the folder to fill (created; should be empty).
        count: how many files.
        seed: the random seed (same seed, same corpus).
        avg_bytes: the files' average size, roughly.

    Returns:
        The manifest.
    """
    rng = random.Random(seed)
    writer = _Writer(root, rng, avg_bytes)
    corpus = Corpus(root, vocabulary=writer.vocab)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    kinds: list[tuple[MemoryKind, float]] = [
        ("checkpoint", 0.15),
        ("session", 0.15),
        ("session-template", 0.08),
        ("export-json", 0.14),
        ("transcript", 0.2),
        ("export-placeholder", 0.05),
        ("audit-log", 0.05),
        ("setup-log", 0.02),
        ("summary", 0.06),
        ("other", 0.1),
    ]
    makers: dict[MemoryKind, Callable[[int, datetime, tuple[str, ...]], CorpusDoc]] = {}
    size = max(200, avg_bytes)

    def iso(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H-%M-%SZ")

    def checkpoint(n: int, moment: datetime, markers: tuple[str, ...]) -> CorpusDoc:
        desc = writer.description(n)
        stamp = iso(moment)
        rel = f"checkpoints/{stamp}-{_dashed(desc)}.md"
        text = (
            f"# CODITECT Checkpoint: {desc}\n\n**Timestamp:** {stamp}\n**Sprint:** {desc}\n"
            "**Status:** ✅ CHECKPOINT CAPTURED\n\n---\n\n## Executive Summary\n\n"
            f"{writer.prose(size // 2, markers)}\n\n## Git Status\n\n```\nmain\n```\n\n"
            f"## Next Steps\n\n{writer.prose(size // 2, ())}\n"
        )
        corpus.total_bytes += writer.write(rel, text)
        return CorpusDoc(rel, "checkpoint", desc, stamp, markers)

    def session(n: int, moment: datetime, markers: tuple[str, ...]) -> CorpusDoc:
        desc = writer.description(n)
        local = moment - timedelta(hours=5)
        checkpoint_name = f"{iso(moment)}-{_dashed(desc)}.md"
        rel = f"sessions/{iso(local)}-{_dashed(desc)}.md"
        text = (
            f"# Session Export: {moment:%S}Z {desc}\n\n"
            f"**Timestamp:** {moment:%Y-%m-%dT%H:%M:%SZ}\n**Checkpoint:** {checkpoint_name}\n"
            "**Repository:** /home/dev/PROJECTS/rollout-master\n"
            "**Participants:** user, claude-code\n\n---\n\n## Session Metadata\n\n"
            f"- **Objectives:** {desc}\n- **Tags:** {', '.join(writer.words(4))}\n"
            f"- **Export Time:** {local:%Y-%m-%dT%H:%M:%S}.123456\n\n---\n\n"
            f"## Conversation Summary\n\n{writer.prose(size, markers)}\n\n---\n\n"
            "## File Changes\n\n### Modified\n\n- `README.md`\n\n---\n\n"
            "## Decisions & Rationale\n\n*No explicit decisions extracted*\n"
        )
        corpus.total_bytes += writer.write(rel, text)
        return CorpusDoc(rel, "session", desc, iso(local), markers)

    def template(n: int, moment: datetime, markers: tuple[str, ...]) -> CorpusDoc:
        desc = writer.description(n)
        day = moment.strftime("%Y-%m-%d")
        rel = f"sessions/{day}-{_dashed(desc)}-{n}.md"
        text = (
            f"# Session: {desc}\n\n**Date:** {day}\n**Status:** ✅ Complete\n\n---\n\n"
            f"## Objectives\n\n- [x] {desc}\n\n## Work Completed\n\n"
            f"(See checkpoint: `MEMORY-CONTEXT/checkpoints/{iso(moment)}-{_dashed(desc)}"
            f".md`)\n\n{writer.prose(size // 2, markers)}\n"
        )
        corpus.total_bytes += writer.write(rel, text)
        return CorpusDoc(rel, "session-template", desc, day, markers)

    def export_json(n: int, moment: datetime, markers: tuple[str, ...]) -> CorpusDoc:
        desc = writer.description(n)
        local = moment - timedelta(hours=5)
        rel = f"exports/{iso(local)}-{_dashed(desc)}.json"
        data = {
            "metadata": {
                "timestamp": f"{moment:%Y-%m-%dT%H:%M:%SZ}",
                "checkpoint_file": f"{iso(moment)}-{_dashed(desc)}.md",
                "participants": ["user", "claude-code"],
                "objectives": desc,
                "tags": writer.words(5),
                "repository": "/home/dev/rollout",
                "export_time": f"{local:%Y-%m-%dT%H:%M:%S}.5",
            },
            "conversation": [
                {
                    "role": "system",
                    "content": "Session summary",
                    "sections": {
                        "Executive Summary": writer.prose(size, markers),
                        "Next Steps": writer.prose(size // 4, ()),
                    },
                }
            ],
            "file_changes": {
                "modified": ["README.md"],
                "added": [],
                "deleted": [],
                "untracked": [],
                "recent_commits": ["abc123 commit"],
            },
            "decisions": [],
        }
        corpus.total_bytes += writer.write(rel, json.dumps(data, indent=2))
        return CorpusDoc(rel, "export-json", desc, iso(local), markers)

    def transcript(n: int, moment: datetime, markers: tuple[str, ...]) -> CorpusDoc:
        desc = writer.description(n)
        rel = f"{iso(moment)}-{_dashed(desc)}.txt"
        parts = ["\n▗ ▗   ▖ ▖  Claude Code v2.0.42\n           Sonnet 4.5 · Claude Max\n"]
        budget = size * 2
        while budget > 0:
            chunk = writer.prose(min(budget, 600), markers if len(parts) == 1 else ())
            parts.append(
                f"⏺ {chunk}\n\n⏺ Bash(git status)\n  ⎿  On branch main\n\n"
                f"> {' '.join(writer.words(8))}\n"
            )
            budget -= 700
        corpus.total_bytes += writer.write(rel, "\n".join(parts))
        return CorpusDoc(rel, "transcript", desc, iso(moment), markers)

    def placeholder(n: int, moment: datetime, markers: tuple[str, ...]) -> CorpusDoc:
        desc = writer.description(n)
        rel = f"exports/{iso(moment)}-{_dashed(desc)}.txt"
        text = (
            f"# CODITECT Conversation Export\n# Timestamp: {iso(moment)}\n"
            f"# Description: {desc}\n# Status: PENDING - Waiting for /export command\n\n"
            f"This file is a placeholder. {writer.prose(200, markers)}\n"
        )
        corpus.total_bytes += writer.write(rel, text)
        return CorpusDoc(rel, "export-placeholder", desc, iso(moment), markers)

    def audit_log(n: int, moment: datetime, markers: tuple[str, ...]) -> CorpusDoc:
        desc = writer.description(n)
        rel = f"audit-logs/{iso(moment)}-checkpoint-audit-{_dashed(desc)}.json"
        ops = []
        for i in range(max(3, size // 150)):
            detail = " ".join(writer.words(6))
            if i == 0 and markers:
                detail += " " + " ".join(markers)
            ops.append(
                {
                    "timestamp": (moment + timedelta(seconds=i)).isoformat(),
                    "repo": f"submodules/core/repo-{i % 7}",
                    "operation": ("detect", "commit", "push")[i % 3],
                    "status": "error" if i % 17 == 16 else "success",
                    "details": detail,
                }
            )
        data = {
            "timestamp": iso(moment),
            "sprint_description": desc,
            "repo_root": "/home/dev/rollout",
            "operations": ops,
            "operation_summary": {"total_operations": len(ops)},
        }
        corpus.total_bytes += writer.write(rel, json.dumps(data, indent=2))
        return CorpusDoc(rel, "audit-log", desc, iso(moment), markers)

    def setup_log(n: int, moment: datetime, markers: tuple[str, ...]) -> CorpusDoc:
        stamp = moment.strftime("%Y%m%d-%H%M%S")
        rel = f"SESSION-{stamp}.json"
        master = f"master-{n}"
        lines = [
            {
                "timestamp": "10:00:00",
                "status": "INFO",
                "message": writer.prose(120, markers if i == 0 else ()),
            }
            for i in range(max(2, size // 200))
        ]
        data = {
            "session_id": stamp,
            "timestamp": moment.isoformat(),
            "master_project": master,
            "sub_projects_created": 3,
            "log": lines,
        }
        corpus.total_bytes += writer.write(rel, json.dumps(data, indent=2))
        return CorpusDoc(rel, "setup-log", f"Set-up of master project {master}", stamp, markers)

    def summary(n: int, moment: datetime, markers: tuple[str, ...]) -> CorpusDoc:
        day = moment.strftime("%Y-%m-%d")
        title = f"Session Summary - {' '.join(writer.words(3))}"
        rel = f"archive/{n % 50}/{n}/SESSION-SUMMARY-{day}.md"
        text = f"# {title}\n\n{writer.prose(size, markers)}\n"
        corpus.total_bytes += writer.write(rel, text)
        return CorpusDoc(rel, "summary", title, day, markers)

    def other(n: int, moment: datetime, markers: tuple[str, ...]) -> CorpusDoc:
        title = "Design notes: " + " ".join(writer.words(4))
        rel = f"reports/DESIGN-NOTES-{n}.md"
        text = f"# {title}\n\n{writer.prose(size, markers)}\n"
        corpus.total_bytes += writer.write(rel, text)
        return CorpusDoc(rel, "other", title, None, markers)

    makers.update(
        {
            "checkpoint": checkpoint,
            "session": session,
            "session-template": template,
            "export-json": export_json,
            "transcript": transcript,
            "export-placeholder": placeholder,
            "audit-log": audit_log,
            "setup-log": setup_log,
            "summary": summary,
            "other": other,
        }
    )
    names = [k for k, _ in kinds]
    weights = [w for _, w in kinds]
    root.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        kind = names[n % len(names)] if n < len(names) else rng.choices(names, weights)[0]
        moment = base + timedelta(minutes=7 * n, seconds=n % 60)
        corpus.docs.append(makers[kind](n, moment, _markers(n, rng)))
    return corpus
