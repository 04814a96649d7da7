"""Which repos a bulk action works on: filters over repo states and a marked set of repos.

UI-free: the app's repos view and tree, and the CLI's selection flags
(``coditect fetch --dirty --group web``) share these predicates.

* :class:`SelectionFilter` says which repos match: every non-empty field must hold (AND);
  within a field any value may hold (OR). An empty filter matches every repo.
* :func:`matches` applies a filter to one repo, given as a
  :class:`~coditect_tui.core.workspace_view.RepoView` (the app's) or a
  :class:`~coditect_tui.core.git.status.RepoStatus` (the CLI's).
* :class:`Selection` is the marked set of repo paths (insertion order kept).

A repo whose status is not read yet (or whose read failed) matches no state and no health
band; it can still match by name, category and group.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from coditect_tui.core.git.health import Band
    from coditect_tui.core.git.status import RepoStatus
    from coditect_tui.core.workspace_view import RepoView

#: The repo states a filter can ask for.
State = Literal["dirty", "ahead", "behind", "diverged", "conflict", "detached"]
STATES: tuple[State, ...] = get_args(State)

#: Maps a repo's path to its groups (groups live in the tenant's config).
GroupsOf = Callable[[str], frozenset[str]]

_GLOB_CHARS = frozenset("*?[")


def no_groups(path: str) -> frozenset[str]:
    """The default ``groups_of``: no repo is in any group."""
    del path
    return frozenset()


@dataclass(frozen=True, slots=True)
class SelectionFilter:
    """Which repos to select; an empty filter selects every repo.

    Every non-empty field must hold (AND); within a field, any of its values (OR).

    Attributes:
        states: repo states, any of which must hold: ``dirty`` (git status lists an
            entry, :attr:`RepoStatus.dirty`), ``ahead`` (ahead > 0), ``behind``
            (behind > 0), ``diverged`` (both), ``conflict`` (an unmerged entry),
            ``detached`` (detached HEAD). A diverged repo is also ahead and behind.
        bands: health bands (excellent, good, fair, poor); a repo without a score
            matches none.
        categories: discovery categories; a repo without a category matches none.
        groups: group names (from ``groups_of``).
        name: a case-insensitive substring of the repo's name, or a glob
            (``api-*``) when it contains ``*``, ``?`` or ``[``; empty: any name.
        repos: exact repo names or paths (the CLI's ``--repo``); empty: any repo.

    Raises:
        ValueError: an unknown state or band (at construction).
    """

    states: frozenset[State] = frozenset()
    bands: frozenset[Band] = frozenset()
    categories: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    name: str = ""
    repos: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        from coditect_tui.core.git.health import BANDS

        bad_states = sorted(set(self.states) - set(STATES))
        if bad_states:
            raise ValueError(f"unknown state {bad_states[0]!r} (one of {', '.join(STATES)})")
        known_bands = {b[0] for b in BANDS}
        bad_bands = sorted(set(self.bands) - known_bands)
        if bad_bands:
            raise ValueError(
                f"unknown health band {bad_bands[0]!r} (one of {', '.join(b[0] for b in BANDS)})"
            )

    @property
    def empty(self) -> bool:
        """True when the filter selects every repo."""
        return not (
            self.states or self.bands or self.categories or self.groups or self.name or self.repos
        )


def _status_of(repo: RepoView | RepoStatus) -> RepoStatus | None:
    """The repo's status: a RepoStatus is its own; a RepoView's may be None (unread)."""
    from coditect_tui.core.git.status.model import RepoStatus

    if isinstance(repo, RepoStatus):
        return repo
    return repo.status


def has_state(status: RepoStatus, state: State) -> bool:
    """Whether a read status is in ``state`` (see :class:`SelectionFilter`)."""
    if state == "dirty":
        return status.dirty
    if state == "ahead":
        return status.ahead > 0
    if state == "behind":
        return status.behind > 0
    if state == "diverged":
        return status.ahead > 0 and status.behind > 0
    if state == "conflict":
        return status.conflicted > 0
    return status.detached


def name_matches(name: str, pattern: str) -> bool:
    """Case-insensitive substring match, or a glob when ``pattern`` has ``*``, ``?``, ``[``."""
    if not pattern:
        return True
    if _GLOB_CHARS.intersection(pattern):
        return fnmatch.fnmatchcase(name.casefold(), pattern.casefold())
    return pattern.casefold() in name.casefold()


def matches(
    repo: RepoView | RepoStatus,
    flt: SelectionFilter,
    groups_of: GroupsOf = no_groups,
) -> bool:
    """Whether ``repo`` is selected by ``flt``.

    Args:
        repo: the app's RepoView or the CLI's RepoStatus.
        flt: the filter.
        groups_of: maps the repo's path to its groups (default: no groups).

    Returns:
        True when every non-empty field of the filter holds for the repo.
    """
    if flt.repos and repo.name not in flt.repos and repo.path not in flt.repos:
        return False
    if flt.name and not name_matches(repo.name, flt.name):
        return False
    if flt.categories and repo.category not in flt.categories:
        return False
    if flt.groups and not (groups_of(repo.path) & flt.groups):
        return False
    if flt.states or flt.bands:
        status = _status_of(repo)
        if status is None or not status.read:
            return False
        if flt.states and not any(has_state(status, s) for s in flt.states):
            return False
        if flt.bands and (status.health is None or status.health.band not in flt.bands):
            return False
    return True


class Selection:
    """The marked repos: a set of paths that keeps the order they were added in."""

    __slots__ = ("_paths",)

    def __init__(self, paths: Iterable[str] = ()) -> None:
        self._paths: dict[str, None] = dict.fromkeys(paths)

    @property
    def paths(self) -> tuple[str, ...]:
        """The selected paths, first added first."""
        return tuple(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __contains__(self, path: object) -> bool:
        return path in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._paths))

    def __repr__(self) -> str:
        return f"Selection({list(self._paths)!r})"

    def add(self, path: str) -> None:
        """Select ``path`` (no change when it is selected)."""
        self._paths.setdefault(path, None)

    def remove(self, path: str) -> None:
        """Deselect ``path`` (no change when it is not selected)."""
        self._paths.pop(path, None)

    def toggle(self, path: str) -> bool:
        """Select ``path`` when it is not selected, else deselect it.

        Returns:
            Whether ``path`` is selected afterwards.
        """
        if path in self._paths:
            del self._paths[path]
            return False
        self._paths[path] = None
        return True

    def toggle_range(self, ordered_paths: Sequence[str], anchor: str, target: str) -> bool:
        """Toggle every path from ``anchor`` to ``target`` (inclusive, either direction)
        in the order shown: when all of them are selected they are deselected, otherwise
        all of them are selected.

        Args:
            ordered_paths: the rows in display order.
            anchor: where the range starts (e.g. the last row marked).
            target: where it ends (the cursor's row).

        Returns:
            Whether the range is selected afterwards.

        Raises:
            ValueError: ``anchor`` or ``target`` is not in ``ordered_paths``.
        """
        index = {p: i for i, p in enumerate(ordered_paths)}
        for end in (anchor, target):
            if end not in index:
                raise ValueError(f"{end!r} is not among the rows")
        low, high = sorted((index[anchor], index[target]))
        block = ordered_paths[low : high + 1]
        if all(p in self._paths for p in block):
            for p in block:
                del self._paths[p]
            return False
        for p in block:
            self._paths.setdefault(p, None)
        return True

    def clear(self) -> None:
        """Deselect everything."""
        self._paths.clear()

    def select_matching(
        self,
        repos: Iterable[RepoView | RepoStatus],
        flt: SelectionFilter,
        groups_of: GroupsOf = no_groups,
    ) -> int:
        """Add every repo that ``flt`` matches (the selection grows; nothing is removed).

        Args:
            repos: candidate repos (RepoView or RepoStatus), in display order.
            flt: the filter.
            groups_of: maps a repo's path to its groups.

        Returns:
            How many paths were newly selected.
        """
        before = len(self._paths)
        for repo in repos:
            if matches(repo, flt, groups_of):
                self._paths.setdefault(repo.path, None)
        return len(self._paths) - before
