"""A synthetic multi-repo workspace of real git repos, with an oracle of their states.

Tests and benchmarks build workspaces with :func:`build_workspace`; humans with::

    python -m tests.support.workspaces DEST --repos 30 [--seed 7] [--hostile] ...

(run from the repository root). Only the standard library and the git CLI are used, and
git runs with a fixed identity and a private configuration (``GIT_CONFIG_GLOBAL`` is a file
this module writes, ``GIT_CONFIG_NOSYSTEM=1``, every other ``GIT_*`` variable dropped), so
the result never depends on the developer's own git set-up.

Layout under ``DEST``:

* ``remotes/<name>.git``: a bare "origin" per repo (none for an unborn repo);
* ``projects/<name>``: the clones, named ``client{k}-svc-{i:04d}`` (k = 1..5);
* ``expected.json``: the oracle, ``{name: read_status(projects/name)}`` for every top-level
  repo, computed from plain git after the build (see :func:`read_status`);
* ``workspace.json``: the intent, what each repo was built to be (see :class:`Workspace`).

Repo ``i`` gets kind ``kinds[i % len(kinds)]`` (:data:`KINDS`, in that order). Every
``masters_every``-th repo (``i % 10 == 0`` by default) is also a *master*: it holds the
next two repos as submodules under ``submodules/<category>/<name>``; the first is
initialised, the second is listed but not initialised (as a plain ``git clone`` leaves
it). Unborn repos are never masters nor submodules (the next repos are taken instead).
With ``hostile=True`` the first repos that are neither masters nor submodules get the
names of :data:`HOSTILE_NAMES` instead (keeping their kind); a name the file system cannot
hold (``[bold]x[/]`` has a ``/``) is skipped and listed in ``skipped_names``.

Everything is deterministic from the seed; commit times too when ``epoch`` is given (else
they count up from two hours before the build), and then so are the commit ids.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

#: Every repo state the generator builds, in the order repos cycle through them.
KINDS: tuple[str, ...] = (
    "clean",  # in sync with origin, nothing changed
    "modified",  # a tracked file edited, not staged
    "untracked",  # a new file git does not track
    "staged",  # a tracked file edited and staged
    "ahead",  # two local commits not pushed
    "behind",  # three upstream commits fetched, not merged
    "diverged",  # both of the above
    "detached",  # HEAD detached at HEAD~1
    "no-upstream",  # on a local-only branch (feature/local-only)
    "stash",  # a clean tree with one stash entry
    "conflict",  # an unresolved merge conflict (a pull of a conflicting upstream commit)
    "master-branch",  # default branch ``master`` (origin's too), else clean
    "unborn",  # ``git init`` with no commit and no remote
)
#: The first nine kinds: what older workspaces held (no conflict, stash or unborn repo).
BASIC_KINDS: tuple[str, ...] = KINDS[:9]

#: Folder names that break naive code: spaces, Unicode, Rich markup, a leading dash, shell
#: syntax, terminal escapes, a bidi override, a newline. ``[bold]x[/]`` holds a ``/``,
#: which no POSIX file system can hold in a name: it is skipped there.
HOSTILE_NAMES: tuple[str, ...] = (
    "with spaces  and more",
    "ünïcødé café 服务 🚀",
    "[bold]x[/]",
    "[bold]x",
    "[@click=app.quit]q",
    "-leading-dash",
    "$(id) `id`; echo &",
    "esc-\x1b[31m-red",
    "bidi-\u202eevil",
    "new\nline",
)

CATEGORIES: tuple[str, ...] = ("core", "cloud", "tools")
IDENTITY = ("Workspace Generator", "generator@example.invalid")
GIT_CONFIG = f"""\
[user]
\tname = {IDENTITY[0]}
\temail = {IDENTITY[1]}
[init]
\tdefaultBranch = main
[protocol "file"]
\tallow = always
[commit]
\tgpgsign = false
[tag]
\tgpgsign = false
[advice]
\tdetachedHead = false
[core]
\tautocrlf = false
\tfsmonitor = false
[gc]
\tauto = 0
[maintenance]
\tauto = false
[merge]
\tconflictStyle = merge
[pull]
\trebase = false
"""
GIT_FLAGS: tuple[str, ...] = (
    "-c",
    "init.defaultBranch=main",
    "-c",
    "protocol.file.allow=always",
    "-c",
    "commit.gpgsign=false",
)
_T = TypeVar("_T")
_R = TypeVar("_R")


class WorkspaceError(Exception):
    """The workspace cannot be built (bad arguments, a busy destination, git failing)."""


# -- git -------------------------------------------------------------------------------


def git_env(config: Path | None = None) -> dict[str, str]:
    """The environment every git process of this module runs with.

    Args:
        config: the global config file to use; None means none at all (``/dev/null``).

    Returns:
        ``os.environ`` without its ``GIT_*`` variables (``GIT_EXEC_PATH`` kept), plus a
        private config, no system config, the fixed identity and the C locale.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k == "GIT_EXEC_PATH"}
    env.update(
        GIT_CONFIG_GLOBAL=str(config) if config is not None else os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME=IDENTITY[0],
        GIT_AUTHOR_EMAIL=IDENTITY[1],
        GIT_COMMITTER_NAME=IDENTITY[0],
        GIT_COMMITTER_EMAIL=IDENTITY[1],
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    return env


def _run(
    cwd: Path,
    args: Sequence[str],
    env: dict[str, str],
    *,
    check: bool = True,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["git", *GIT_FLAGS, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
        raise WorkspaceError(f"git {' '.join(args[:2])} failed in {str(cwd)!r}: {reason}")
    return result


class _Stream:
    """A ``git fast-import`` stream: whole histories in one git process per repo.

    Commit times count up a minute per commit from ``clock``, so a history is
    reproducible. Each chain of commits keeps its files' contents (``files``) so a change
    can append to a file; ``parent`` is the mark or commit id the next commit follows.
    """

    def __init__(self, clock: int) -> None:
        self.out = bytearray()
        self.marks = 0
        self.clock = clock

    def _data(self, text: str) -> None:
        raw = text.encode("utf-8")
        self.out += b"data %d\n%s\n" % (len(raw), raw)

    def commit(
        self,
        chain: _Chain,
        message: str,
        changes: dict[str, str],
        gitlinks: dict[str, str] | None = None,
    ) -> str:
        """Append a commit to ``chain``; return its mark."""
        self.marks += 1
        self.clock += 60
        mark = f":{self.marks}"
        who = f"{IDENTITY[0]} <{IDENTITY[1]}> {self.clock} +0000"
        self.out += f"commit {chain.ref}\nmark {mark}\nauthor {who}\ncommitter {who}\n".encode()
        self._data(message)
        if chain.parent is not None:
            self.out += f"from {chain.parent}\n".encode()
        for rel, text in changes.items():
            self.out += f"M 100644 inline {rel}\n".encode()
            self._data(text)
        for rel, oid in (gitlinks or {}).items():
            self.out += f"M 160000 {oid} {rel}\n".encode()
        chain.files.update(changes)
        chain.parent = mark
        return mark

    def changes(self, chain: _Chain, rng: random.Random, count: int, tag: str) -> None:
        """``count`` commits, each appending a line to a random ``src/mod_<n>.py``."""
        for i in range(count):
            rel = f"src/mod_{rng.randrange(50)}.py"
            text = chain.files.get(rel, "") + f"# {tag} change {i} {rng.random()!r}\n"
            self.commit(chain, f"{tag}: change {i}", {rel: text})

    def run(self, git_dir: Path, env: dict[str, str], marks: Path) -> dict[str, str]:
        """Import into ``git_dir``; return ``{mark: commit id}``."""
        result = subprocess.run(
            [
                "git",
                *GIT_FLAGS,
                f"--git-dir={git_dir}",
                "fast-import",
                "--quiet",
                f"--export-marks={marks}",
            ],
            input=b"feature done\n" + bytes(self.out) + b"done\n",
            env=env,
            capture_output=True,
        )
        if result.returncode != 0:
            reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise WorkspaceError(f"git fast-import failed in {str(git_dir)!r}: {reason[-1:]}")
        pairs = (line.split(" ", 1) for line in marks.read_text(encoding="ascii").splitlines())
        return {mark: oid for mark, oid in pairs}


@dataclass(slots=True)
class _Chain:
    """A line of commits being written: its ref, files and the commit it follows."""

    ref: str
    files: dict[str, str]
    parent: str | None = None


# -- the description (intent) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubmoduleSpec:
    """A submodule a master was built with.

    Attributes:
        repo: the name of the workspace repo it is a clone of.
        path: its path in the master (``submodules/<category>/<repo>``).
        url: the URL in ``.gitmodules`` (relative to the master's origin).
        initialised: whether it was checked out.
    """

    repo: str
    path: str
    url: str
    initialised: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "repo": self.repo,
            "path": self.path,
            "url": self.url,
            "initialised": self.initialised,
        }


@dataclass(frozen=True, slots=True)
class RepoSpec:
    """What one top-level repo was built to be.

    Attributes:
        index: its position ``i`` in the workspace.
        name: its folder name under ``projects/``.
        kind: one of :data:`KINDS`.
        path: the clone (``projects/<name>``).
        remote: the bare origin (None for an unborn repo).
        default_branch: ``main`` or, for the ``master-branch`` kind, ``master``.
        hostile: its name is one of :data:`HOSTILE_NAMES`.
        submodules: for a master, the repos it holds (empty otherwise).
    """

    index: int
    name: str
    kind: str
    path: Path
    remote: Path | None
    default_branch: str
    hostile: bool = False
    submodules: tuple[SubmoduleSpec, ...] = ()

    @property
    def is_master(self) -> bool:
        """It holds other repos as submodules."""
        return bool(self.submodules)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (paths relative to the workspace root)."""
        return {
            "index": self.index,
            "name": self.name,
            "kind": self.kind,
            "default_branch": self.default_branch,
            "hostile": self.hostile,
            "submodules": [s.to_dict() for s in self.submodules],
        }


@dataclass(frozen=True, slots=True)
class Workspace:
    """A built workspace: where it is, what each repo was meant to be, what git saw.

    Attributes:
        root: the destination folder.
        repos: every top-level repo, in index order.
        seed: the random seed it was built from.
        kinds: the kinds repos cycled through.
        skipped_names: hostile names the file system could not hold.
        seconds: build time.
    """

    root: Path
    repos: tuple[RepoSpec, ...]
    seed: int
    kinds: tuple[str, ...]
    skipped_names: tuple[str, ...] = ()
    seconds: float = 0.0
    _by_name: dict[str, RepoSpec] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update((r.name, r) for r in self.repos)

    @property
    def projects(self) -> Path:
        """The folder holding the clones (the workspace root to discover)."""
        return self.root / "projects"

    @property
    def remotes(self) -> Path:
        """The folder holding the bare origins."""
        return self.root / "remotes"

    @property
    def expected_path(self) -> Path:
        """``expected.json``: the oracle written after the build."""
        return self.root / "expected.json"

    def expected(self) -> dict[str, dict[str, Any]]:
        """The oracle: ``{name: read_status(...)}`` of every top-level repo."""
        data: dict[str, dict[str, Any]] = json.loads(self.expected_path.read_text(encoding="utf-8"))
        return data

    def repo(self, name: str) -> RepoSpec:
        """The repo named ``name`` (KeyError when there is none)."""
        return self._by_name[name]

    def of_kind(self, kind: str) -> list[RepoSpec]:
        """The repos built as ``kind``, in index order."""
        return [r for r in self.repos if r.kind == kind]

    def masters(self) -> list[RepoSpec]:
        """The repos holding submodules."""
        return [r for r in self.repos if r.is_master]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (what ``workspace.json`` holds)."""
        return {
            "seed": self.seed,
            "kinds": list(self.kinds),
            "skipped_names": list(self.skipped_names),
            "repos": [r.to_dict() for r in self.repos],
        }


def load_workspace(root: Path | str) -> Workspace:
    """Read back the description of a workspace built earlier.

    Args:
        root: the folder :func:`build_workspace` built (holding ``workspace.json``).

    Returns:
        The description (``seconds`` is 0).

    Raises:
        WorkspaceError: there is no readable ``workspace.json``.
    """
    root = Path(root)
    try:
        data = json.loads((root / "workspace.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"{root}: no readable workspace.json ({exc})") from None
    repos = tuple(
        RepoSpec(
            index=r["index"],
            name=r["name"],
            kind=r["kind"],
            path=root / "projects" / r["name"],
            remote=None if r["kind"] == "unborn" else root / "remotes" / f"{r['name']}.git",
            default_branch=r["default_branch"],
            hostile=r["hostile"],
            submodules=tuple(SubmoduleSpec(**s) for s in r["submodules"]),
        )
        for r in data["repos"]
    )
    return Workspace(
        root=root,
        repos=repos,
        seed=data["seed"],
        kinds=tuple(data["kinds"]),
        skipped_names=tuple(data["skipped_names"]),
    )


# -- the oracle ------------------------------------------------------------------------


def _uninitialised_row() -> dict[str, Any]:
    return {
        "initialised": False,
        "head": None,
        "branch": None,
        "detached": False,
        "unborn": False,
        "upstream": None,
        "ahead": 0,
        "behind": 0,
        "changed": 0,
        "staged": 0,
        "modified": 0,
        "untracked": 0,
        "conflicted": 0,
        "stash": 0,
        "origin_head": None,
        "submodules": {"initialised": [], "uninitialised": []},
    }


def read_status(path: Path | str) -> dict[str, Any]:
    """The state of one working tree, read with plain git (the oracle).

    Computed from ``git status --porcelain=v2 --branch``, ``git stash list``,
    ``git symbolic-ref refs/remotes/origin/HEAD`` and ``git submodule status``, with this
    module's private git configuration, independently of the application's engine.

    Args:
        path: a working tree's top folder. A folder without ``.git`` (a listed but
            uninitialised submodule) gives ``initialised: False`` and zero counts.

    Returns:
        ``initialised``; ``head`` (the commit id, None when unborn); ``branch`` (the
        branch, ``(detached)`` when detached); ``detached``; ``unborn``; ``upstream``
        (``origin/main`` or None); ``ahead``; ``behind``; ``changed`` (tracked entries of
        any kind: ``1``/``2``/``u`` records); ``staged`` and ``modified`` (index and
        working-tree sides of ordinary entries); ``untracked``; ``conflicted``; ``stash``
        (entries); ``origin_head`` (the branch ``origin/HEAD`` names, or None);
        ``submodules`` (``{"initialised": [paths], "uninitialised": [paths]}``).

    Raises:
        WorkspaceError: git fails in a folder that has a ``.git``.
    """
    path = Path(path)
    row = _uninitialised_row()
    if not os.path.lexists(path / ".git"):
        return row
    env = git_env()
    row["initialised"] = True
    out = _run(path, ["status", "--porcelain=v2", "--branch", "--untracked-files=normal"], env)
    for line in out.stdout.splitlines():
        if line.startswith("# branch.oid "):
            oid = line.split(" ", 2)[2]
            row["unborn"] = oid == "(initial)"
            row["head"] = None if row["unborn"] else oid
        elif line.startswith("# branch.head "):
            row["branch"] = line.split(" ", 2)[2]
            row["detached"] = row["branch"] == "(detached)"
        elif line.startswith("# branch.upstream "):
            row["upstream"] = line.split(" ", 2)[2]
        elif line.startswith("# branch.ab "):
            ahead, behind = line.split()[2:4]
            row["ahead"], row["behind"] = int(ahead), -int(behind)
        elif line.startswith(("1 ", "2 ")):
            row["changed"] += 1
            row["staged"] += line[2] != "."
            row["modified"] += line[3] != "."
        elif line.startswith("u "):
            row["changed"] += 1
            row["conflicted"] += 1
        elif line.startswith("? "):
            row["untracked"] += 1
    stashes = _run(path, ["stash", "list"], env).stdout
    row["stash"] = len(stashes.splitlines())
    ref = _run(path, ["symbolic-ref", "-q", "refs/remotes/origin/HEAD"], env, check=False)
    prefix = "refs/remotes/origin/"
    if ref.returncode == 0 and ref.stdout.strip().startswith(prefix):
        row["origin_head"] = ref.stdout.strip()[len(prefix) :]
    if os.path.exists(path / ".gitmodules"):
        subs = row["submodules"]
        for line in _run(path, ["submodule", "status"], env).stdout.splitlines():
            flag, rest = line[:1], line[1:]
            sub_path = rest.split(" ", 1)[1]
            if sub_path.endswith(")") and " (" in sub_path:
                sub_path = sub_path.rsplit(" (", 1)[0]
            subs["uninitialised" if flag == "-" else "initialised"].append(sub_path)
        subs["initialised"].sort()
        subs["uninitialised"].sort()
    return row


# -- the build -------------------------------------------------------------------------


def _parallel(jobs: int, func: Callable[[_T], _R], items: Iterable[_T]) -> list[_R]:
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(func, items))


def _fs_can_hold(parent: Path, name: str) -> bool:
    """Create ``parent/name``; False (nothing left behind) when it cannot be held as is."""
    if not name or name in (".", "..") or "\0" in name or "/" in name:
        return False
    if os.altsep and os.altsep in name:
        return False
    target = parent / name
    try:
        target.mkdir()
    except (OSError, UnicodeError, ValueError):
        return False
    if name not in os.listdir(parent):  # the file system changed it (case, normalisation)
        target.rmdir()
        return False
    return True


def _plan(
    count: int, kinds: Sequence[str], masters_every: int
) -> tuple[list[str], dict[int, list[int]]]:
    """Kinds per index and, for each master, the indices of the repos it holds."""
    plan = [kinds[i % len(kinds)] for i in range(count)]
    masters: dict[int, list[int]] = {}
    if masters_every <= 0:
        return plan, masters
    taken: set[int] = set()
    for i in range(0, count, masters_every):
        if plan[i] == "unborn" or i in taken:
            continue
        subs: list[int] = []
        j = i + 1
        while j < count and len(subs) < 2:
            if plan[j] != "unborn" and j % masters_every != 0 and j not in taken:
                subs.append(j)
            j += 1
        if len(subs) == 2:
            masters[i] = subs
            taken.update([i, *subs])
    return plan, masters


def build_workspace(
    dest: Path | str,
    repos: int = 50,
    *,
    commits: int = 5,
    files: int = 20,
    seed: int = 7,
    kinds: Sequence[str] = KINDS,
    hostile: bool = False,
    masters_every: int = 10,
    epoch: int | None = None,
    jobs: int | None = None,
) -> Workspace:
    """Build a workspace of real git repos under ``dest`` (see the module docstring).

    Args:
        dest: a folder that does not exist yet or is empty.
        repos: top-level repos to build (at least 1).
        commits: history commits per repo after the initial one (at least 1).
        files: ``file_<n>.txt`` files in the initial commit (at least 2).
        seed: the random seed (content and choices derive from it).
        kinds: the kinds repos cycle through, a non-empty subset of :data:`KINDS` in any
            order (``BASIC_KINDS`` for the older, cheaper mix; ``("clean",)`` for a plain
            workspace).
        hostile: give the first repos that are neither masters nor submodules the names
            of :data:`HOSTILE_NAMES`.
        masters_every: every n-th repo holds the next two as submodules (0: no masters).
        epoch: the Unix time of the first commit (default: two hours ago); with it, the
            commit ids are reproducible too.
        jobs: git processes run at once (default: twice the CPU count, at most 32).

    Returns:
        The description; ``expected.json`` and ``workspace.json`` are written in ``dest``.

    Raises:
        WorkspaceError: a bad argument, a destination in use, or git failing.
    """
    started = time.perf_counter()
    unknown = [k for k in kinds if k not in KINDS]
    if not kinds or unknown:
        raise WorkspaceError(f"unknown kinds {unknown}; choose from {', '.join(KINDS)}")
    for label, value, least in (
        ("repos", repos, 1),
        ("commits", commits, 1),
        ("files", files, 2),
        ("masters_every", masters_every, 0),
    ):
        if value < least:
            raise WorkspaceError(f"{label} must be at least {least} (got {value})")
    if shutil.which("git") is None:
        raise WorkspaceError("git is not installed (it is required)")
    root = Path(dest).resolve()
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise WorkspaceError(f"{root} exists and is not an empty folder")
    jobs = jobs or min(32, (os.cpu_count() or 2) * 2)
    projects, remotes, work = root / "projects", root / "remotes", root / ".work"
    for folder in (projects, remotes, work):
        folder.mkdir(parents=True, exist_ok=True)
    config = work / "gitconfig"
    config.write_text(GIT_CONFIG, encoding="utf-8")
    env = git_env(config)
    start_time = int(time.time()) - 7200 if epoch is None else epoch
    plan, master_subs = _plan(repos, tuple(kinds), masters_every)
    in_master = {j for subs in master_subs.values() for j in subs}

    names = [f"client{(i % 5) + 1}-svc-{i:04d}" for i in range(repos)]
    hostile_at: set[int] = set()
    skipped: list[str] = []
    if hostile:
        pool = iter(HOSTILE_NAMES)
        for i in range(repos):
            if i in master_subs or i in in_master:
                continue
            for name in pool:
                if _fs_can_hold(projects, name):
                    names[i] = name
                    hostile_at.add(i)
                    break
                skipped.append(name)
            else:
                break
    for i in range(repos):
        if i not in hostile_at:
            (projects / names[i]).mkdir()

    branch = ["master" if k == "master-branch" else "main" for k in plan]
    rngs = [random.Random(f"{seed}/{i}") for i in range(repos)]
    clocks = [start_time] * repos
    clones = [projects / n for n in names]
    bares = [remotes / f"{n}.git" for n in names]
    base: dict[int, str] = {}  # what origin held when it was cloned
    tip: dict[int, str] = {}  # what origin holds now
    files_at_base: dict[int, dict[str, str]] = {}
    specs: dict[int, tuple[SubmoduleSpec, ...]] = {
        i: tuple(
            SubmoduleSpec(
                repo=names[j],
                path=f"submodules/{CATEGORIES[j % len(CATEGORIES)]}/{names[j]}",
                url=f"../{names[j]}.git",
                initialised=n == 0,
            )
            for n, j in enumerate(subs)
        )
        for i, subs in master_subs.items()
    }

    def origin(i: int) -> None:
        """The bare origin: history (a master's with its submodules), then upstream moves."""
        _run(root, ["init", "-q", "--bare", "-b", branch[i], str(bares[i])], env)
        stream = _Stream(clocks[i])
        chain = _Chain(f"refs/heads/{branch[i]}", {})
        initial = {f"file_{f}.txt": f"{names[i]} {f}\n" for f in range(files)}
        initial["README.md"] = f"# {names[i]}\n"
        stream.commit(chain, "initial", initial)
        stream.changes(chain, rngs[i], commits, "history")
        if i in specs:
            modules = "".join(
                f'[submodule "{s.path}"]\n\tpath = {s.path}\n\turl = {s.url}\n' for s in specs[i]
            )
            links = {s.path: base[j] for s, j in zip(specs[i], master_subs[i], strict=True)}
            stream.commit(chain, "add submodules", {".gitmodules": modules}, links)
            stream.changes(chain, rngs[i], 1, "after submodules")
        base_mark = chain.parent
        files_at_base[i] = dict(chain.files)
        if plan[i] in ("behind", "diverged"):
            stream.changes(chain, rngs[i], 3, "upstream")
        elif plan[i] == "conflict":
            stream.commit(chain, "upstream: edit file_0", {"file_0.txt": "upstream side\n"})
        marks = stream.run(bares[i], env, work / f"marks-{i}")
        base[i], tip[i] = marks[str(base_mark)], marks[str(chain.parent)]
        clocks[i] = stream.clock

    def clone(i: int) -> None:
        """The clone (as ``git clone`` leaves it), then what its owner did to it."""
        repo, kind, b = clones[i], plan[i], branch[i]
        if kind == "unborn":
            _run(repo, ["init", "-q", "-b", "main"], env)
            return
        _run(repo, ["init", "-q", "-b", b], env)
        git_dir = repo / ".git"
        shutil.copytree(bares[i] / "objects", git_dir / "objects", dirs_exist_ok=True)
        refs = f"update refs/heads/{b} {base[i]}\nupdate refs/remotes/origin/{b} {tip[i]}\n"
        _run(repo, ["update-ref", "--stdin"], env, stdin=refs)
        if kind in ("ahead", "diverged", "conflict"):
            stream = _Stream(clocks[i])
            chain = _Chain(f"refs/heads/{b}", dict(files_at_base[i]), base[i])
            if kind == "conflict":
                stream.commit(chain, "local: edit file_0", {"file_0.txt": "local side\n"})
            else:
                stream.changes(chain, rngs[i], 2, "local")
            stream.run(git_dir, env, work / f"local-marks-{i}")
            clocks[i] = stream.clock
        _run(repo, ["symbolic-ref", "refs/remotes/origin/HEAD", f"refs/remotes/origin/{b}"], env)
        _run(repo, ["remote", "add", "origin", str(bares[i])], env)
        _run(repo, ["branch", "-q", f"--set-upstream-to=origin/{b}", b], env)
        _run(repo, ["reset", "-q", "--hard"], env)
        for sub in specs.get(i, ()):
            if sub.initialised:
                _run(repo, ["submodule", "update", "-q", "--init", "--", sub.path], env)
        stamp = f"{clocks[i] + 60} +0000"
        dated = {**env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        if kind == "modified":
            (repo / "file_0.txt").write_text("edited\n", encoding="utf-8")
        elif kind == "untracked":
            (repo / "notes.tmp").write_text("x\n", encoding="utf-8")
        elif kind == "staged":
            (repo / "file_1.txt").write_text("staged\n", encoding="utf-8")
            _run(repo, ["add", "--", "file_1.txt"], env)
        elif kind == "stash":
            (repo / "file_0.txt").write_text("work in progress\n", encoding="utf-8")
            _run(repo, ["stash", "push", "-q", "-m", "wip"], dated)
        elif kind == "conflict":
            _run(repo, ["merge", "-q", "--no-edit", f"origin/{b}"], dated, check=False)
            if not _run(repo, ["ls-files", "-u"], env).stdout.strip():
                raise WorkspaceError(f"{str(repo)!r}: the merge did not conflict")
        elif kind == "detached":
            _run(repo, ["checkout", "-q", "--detach", "HEAD~1"], env)
        elif kind == "no-upstream":
            _run(repo, ["checkout", "-q", "-b", "feature/local-only"], env)

    built = [i for i in range(repos) if plan[i] != "unborn"]
    _parallel(jobs, origin, [i for i in built if i not in master_subs])
    _parallel(jobs, origin, sorted(master_subs))  # after the repos they hold
    _parallel(jobs, clone, range(repos))
    shutil.rmtree(work)

    rows = _parallel(jobs, read_status, clones)
    expected = dict(zip(names, rows, strict=True))
    (root / "expected.json").write_text(
        json.dumps(expected, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8"
    )
    workspace = Workspace(
        root=root,
        repos=tuple(
            RepoSpec(
                index=i,
                name=names[i],
                kind=plan[i],
                path=clones[i],
                remote=None if plan[i] == "unborn" else bares[i],
                default_branch=branch[i],
                hostile=i in hostile_at,
                submodules=specs.get(i, ()),
            )
            for i in range(repos)
        ),
        seed=seed,
        kinds=tuple(kinds),
        skipped_names=tuple(skipped),
        seconds=time.perf_counter() - started,
    )
    (root / "workspace.json").write_text(
        json.dumps(workspace.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8"
    )
    return workspace


# -- command line ----------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _kinds_arg(text: str) -> tuple[str, ...]:
    if text == "all":
        return KINDS
    if text == "basic":
        return BASIC_KINDS
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if not kinds or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown kind(s) {', '.join(unknown) or '(none)'}; use all, basic or a "
            f"comma-separated list of: {', '.join(KINDS)}"
        )
    return kinds


def _at_least(least: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least} (got {value})")
        return value

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: build a workspace, print one summary line.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 when the build fails (bad arguments exit 2 through argparse).
    """
    parser = _Parser(
        prog="python -m tests.support.workspaces",
        description="Build a synthetic multi-repo git workspace with an oracle (expected.json).",
    )
    parser.add_argument("dest", type=Path, help="a folder that does not exist or is empty")
    parser.add_argument("--repos", type=_at_least(1), default=50, help="top-level repos (50)")
    parser.add_argument("--commits", type=_at_least(1), default=5, help="history commits (5)")
    parser.add_argument("--files", type=_at_least(2), default=20, help="files per repo (20)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (7)")
    parser.add_argument(
        "--kinds",
        type=_kinds_arg,
        default=KINDS,
        help="all (default), basic, or a comma-separated list of: " + ", ".join(KINDS),
    )
    parser.add_argument("--hostile", action="store_true", help="give some repos hostile names")
    parser.add_argument(
        "--masters-every",
        type=_at_least(0),
        default=10,
        help="every n-th repo holds the next two as submodules (10; 0: none)",
    )
    parser.add_argument("--epoch", type=int, help="Unix time of the first commit (reproducible)")
    parser.add_argument("--jobs", type=_at_least(1), help="git processes at once")
    args = parser.parse_args(argv)
    try:
        workspace = build_workspace(
            args.dest,
            args.repos,
            commits=args.commits,
            files=args.files,
            seed=args.seed,
            kinds=args.kinds,
            hostile=args.hostile,
            masters_every=args.masters_every,
            epoch=args.epoch,
            jobs=args.jobs,
        )
    except WorkspaceError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    print(
        f"built {len(workspace.repos)} repos under {workspace.projects} "
        f"in {workspace.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
