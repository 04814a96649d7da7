"""The rows of the repos view: one line per repo, its columns, sorting and the typed filter.

UI-free, so the table's order and cells are tested without a screen. A row reads its
repo's :class:`~coditect_tui.core.workspace_view.RepoView` when it is drawn (statuses
change under it); every text cell is passed through ``safe_text`` here, and the UI still
builds it as ``rich.text.Text``, never markup.

Sorting puts repos without the value (status not read yet, no commit, no score) after
the others in both directions, so reversing a column never fills the top with ``…``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.selection import GroupsOf, name_matches, no_groups
from coditect_tui.core.wording import head_label

if TYPE_CHECKING:
    from coditect_tui.core.workspace_view import RepoView

ColumnId = Literal["name", "group", "branch", "sync", "changes", "age", "health", "session"]
#: What a cell shows while the repo's status is not read yet.
UNKNOWN = "…"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the repos view.

    Attributes:
        id: its id (the sort key's name, ``ColumnId``).
        title: the header text.
        width: its width in cells (the name column takes what is left, at least this).
        priority: columns with a higher number are dropped first when the table is narrow.
        right: right-aligned (counts).
    """

    id: ColumnId
    title: str
    width: int
    priority: int
    right: bool = False


#: In display order. The name is never dropped; at 80 columns the tree leaves the table
#: about 50 cells: name, changes, ahead/behind, branch and health stay.
COLUMNS: tuple[Column, ...] = (
    Column("name", "Repo", 14, 0),
    Column("group", "Group", 12, 7),
    Column("branch", "Branch", 14, 3),
    Column("sync", "↑↓", 8, 2, right=True),
    Column("changes", "Chg", 5, 1, right=True),
    Column("age", "Last", 5, 5, right=True),
    Column("health", "Hlth", 4, 4, right=True),
    Column("session", "Sess", 4, 6),
)
COLUMN_IDS: tuple[ColumnId, ...] = tuple(c.id for c in COLUMNS)


def age(then: datetime | None, now: datetime) -> str:
    """A compact age: ``now``, ``42m``, ``5h``, ``3d``, ``6w``, ``4mo``, ``2y`` (``…``: unknown).

    Args:
        then: an aware time (a commit's committer time), or None.
        now: the clock's aware time.
    """
    if then is None:
        return UNKNOWN
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("y", 365 * 86400), ("mo", 30 * 86400), ("w", 7 * 86400), ("d", 86400)):
        if seconds >= size * (1 if unit != "w" else 2):
            return f"{seconds // size}{unit}"
    if seconds >= 3600:
        return f"{seconds // 3600}h"
    if seconds >= 60:
        return f"{seconds // 60}m"
    return "now"


class RepoRows:
    """Every repo of a tenant in the order and filter the user chose.

    Args:
        groups_of: maps a repo's path to its groups (the group column and the filter).
        sessions: path -> whether an active git session is there (None: unreadable);
            a path missing from it is not known yet.
        clock: the current aware time (for the age column; injected in tests).
    """

    def __init__(
        self,
        *,
        groups_of: GroupsOf = no_groups,
        sessions: Mapping[str, bool | None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        self.groups_of = groups_of
        self.sessions: Mapping[str, bool | None] = sessions if sessions is not None else {}
        self.clock = clock
        self.all: list[RepoView] = []
        self.rows: list[RepoView] = []  # shown: filtered and sorted
        #: Listed submodules without a working tree (left out of the rows).
        self.uninitialised = 0
        self.sort: ColumnId = "name"
        self.reverse = False
        self.filter = ""

    # -- what is shown -----------------------------------------------------------------

    def load(self, repos: Iterable[RepoView]) -> None:
        """Show ``repos`` (initialised ones; a listed submodule without a working tree has
        no git state to list) with the current sort and filter."""
        listed = list(repos)
        self.all = [r for r in listed if r.initialised]
        self.uninitialised = len(listed) - len(self.all)
        self.apply()

    def apply(self) -> None:
        """Recompute the shown rows from every repo, the filter and the sort."""
        words = self.filter.split()
        shown = [r for r in self.all if self._matches(r, words)] if words else list(self.all)
        self.rows = sort_repos(shown, self.sort, self.reverse, self)

    def set_filter(self, text: str) -> None:
        """Filter as typed: every word must be in the name (a glob when it has ``*?[``),
        the group or category, or the branch."""
        self.filter = text
        self.apply()

    def sort_by(self, column: ColumnId) -> None:
        """Sort by ``column``; asking again for the sorted column reverses it."""
        if column == self.sort:
            self.reverse = not self.reverse
        else:
            self.sort, self.reverse = column, False
        self.apply()

    def cycle_sort(self) -> None:
        """The next column's sort (ascending), after the last column the first."""
        index = (COLUMN_IDS.index(self.sort) + 1) % len(COLUMN_IDS)
        self.sort, self.reverse = COLUMN_IDS[index], False
        self.apply()

    def index_of(self, path: str) -> int | None:
        """The shown row of the repo at ``path``."""
        return next((i for i, r in enumerate(self.rows) if r.path == path), None)

    def paths(self) -> list[str]:
        """The shown repos' paths, in display order."""
        return [r.path for r in self.rows]

    def _matches(self, repo: RepoView, words: Sequence[str]) -> bool:
        hay = " ".join((self.group(repo), self.branch(repo))).casefold()
        return all(name_matches(repo.name, w) or w.casefold() in hay for w in words)

    # -- cells ---------------------------------------------------------------------------

    def group(self, repo: RepoView) -> str:
        """The repo's groups (comma-separated), else its category, else its project."""
        groups = self.groups_of(repo.path)
        if groups:
            return ",".join(sorted(groups))
        return repo.category or (repo.project if repo.is_submodule else "")

    @staticmethod
    def branch(repo: RepoView) -> str:
        """What HEAD is on (``…`` unread, ``!`` when git failed)."""
        status = repo.status
        if status is None:
            return UNKNOWN
        if status.error:
            return "!"
        return head_label(status)

    def cells(self, repo: RepoView) -> dict[ColumnId, str]:
        """Every column's text for ``repo`` (neutralised: no control character)."""
        status = repo.status
        if repo.path not in self.sessions:
            session = UNKNOWN
        else:
            active = self.sessions[repo.path]
            session = "?" if active is None else ("●" if active else "")
        cells: dict[ColumnId, str] = {
            "name": safe_text(repo.name),
            "group": safe_text(self.group(repo)),
            "branch": safe_text(self.branch(repo)),
            "session": session,
        }
        if status is None or not status.read:
            mark = UNKNOWN if status is None else "!"
            for column in ("sync", "changes", "age", "health"):
                cells[column] = mark
            return cells
        sync = []
        if status.ahead:
            sync.append(f"↑{status.ahead}")
        if status.behind:
            sync.append(f"↓{status.behind}")
        if status.upstream is None and not status.detached:
            sync.append("⊘")
        cells["sync"] = " ".join(sync) or "="
        changes = status.uncommitted
        cells["changes"] = (
            f"✗{status.conflicted}" if status.conflicted else (f"*{changes}" if changes else "")
        )
        when = status.last_commit.time if status.last_commit is not None else None
        cells["age"] = "-" if status.unborn else age(when, self.clock())
        score = status.health.score if status.health is not None else None
        cells["health"] = str(score) if score is not None else UNKNOWN
        return cells

    def key(self, repo: RepoView, column: ColumnId) -> tuple[object, ...] | None:
        """The sort key of ``repo`` by ``column`` (None: no value, sorted last)."""
        if column == "name":
            return (repo.name.casefold(), repo.path)
        if column == "group":
            group = self.group(repo)
            return (group.casefold(), repo.name.casefold()) if group else None
        if column == "session":
            active = self.sessions.get(repo.path)
            return None if active is None else (not active, repo.name.casefold())
        status = repo.status
        if status is None or not status.read:
            return None
        if column == "branch":
            return (head_label(status).casefold(), repo.name.casefold())
        if column == "sync":
            return (status.ahead + status.behind, status.ahead, repo.name.casefold())
        if column == "changes":
            return (status.conflicted, status.uncommitted, repo.name.casefold())
        if column == "age":
            when = status.last_commit.time if status.last_commit is not None else None
            return None if when is None else (when.timestamp(), repo.name.casefold())
        score = status.health.score if status.health is not None else None
        return None if score is None else (score, repo.name.casefold())


def sort_repos(
    repos: Sequence[RepoView], column: ColumnId, reverse: bool, rows: RepoRows
) -> list[RepoView]:
    """``repos`` sorted by ``column`` (``reverse``: descending); repos without a value for
    it come last either way, by name."""
    keyed = [(rows.key(r, column), r) for r in repos]
    present = [(k, r) for k, r in keyed if k is not None]
    missing = [r for k, r in keyed if k is None]
    present.sort(key=lambda pair: pair[0], reverse=reverse)
    missing.sort(key=lambda r: (r.name.casefold(), r.path))
    return [r for _k, r in present] + missing


def active_sessions(paths: Iterable[str]) -> dict[str, bool | None]:
    """Whether each working tree has an active git session (``.coditect-session.json``).

    Blocking file reads: call it in a worker thread.

    Args:
        paths: working tree paths.

    Returns:
        path -> True (a session), False (none) or None (its state file is unreadable).
    """
    from pathlib import Path

    from coditect_tui.core.git.sessions import SessionFileError, read_session

    found: dict[str, bool | None] = {}
    for path in paths:
        try:
            found[path] = read_session(Path(path)) is not None
        except SessionFileError:
            found[path] = None
    return found
