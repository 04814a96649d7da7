"""Groups: the user's own tags on repos, per tenant (``groups:`` on a tenant profile).

A group is a name and a list of entries; an entry names repos in one of three ways:

* a path relative to one of the tenant's workspace roots (``client-a/api``, or a
  submodule's ``app/submodules/core/lib``), the form the CLI and the app write;
* an absolute path (``~`` allowed);
* a bare directory name (``api``): every repo of that name, whatever its folder.

Groups live in the config file on this machine, never in the backend: changing them is a
change on this machine only (``Change(resource=None)`` in ``core/tenant/refusal.py``),
refused in read-only mode and to read-only roles (the auditor), allowed to every other
role. ``core/groups_file.py`` writes them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

#: A group's name: letters (any script), digits, ``.``, ``_``, ``-``; no spaces.
GROUP_NAME = re.compile(r"^\w[\w.-]{0,62}$")
MAX_ENTRY = 1024


def check_group_name(name: str) -> str:
    """``name`` if it may name a group.

    Raises:
        ValueError: it is not 1-63 letters, digits, ``.``, ``_`` or ``-`` (starting with a
            letter or digit).
    """
    if not GROUP_NAME.match(name):
        raise ValueError(
            f"group name {name[:40]!r}: use letters, digits, '.', '_' or '-' (max 63, no spaces)"
        )
    return name


def normalise_entry(entry: str) -> str:
    """An entry in its one written form (no ``./`` in front, no ``/`` at the end).

    A folder name may hold control characters: they are kept (the file holds them
    escaped, every output neutralises them).

    Raises:
        ValueError: empty, too long, a NUL, or ``..`` in a relative path.
    """
    if "\x00" in entry:
        raise ValueError("a repo entry holds a NUL character")
    text = entry.strip(" ")
    while text.startswith("./"):
        text = text[2:]
    text = text.rstrip("/") if text not in ("/", "") else text
    if not text or text == ".":
        raise ValueError("a repo entry is empty")
    if len(text) > MAX_ENTRY:
        raise ValueError(f"a repo entry is longer than {MAX_ENTRY} characters")
    if not _absolute(text) and ".." in text.split("/"):
        raise ValueError(f"repo entry {text[:60]!r}: '..' is not allowed in a relative path")
    return text


def check_groups(groups: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Validate a profile's ``groups`` (names, entries, no entry twice in one group).

    Returns:
        The groups with every entry normalised (:func:`normalise_entry`).

    Raises:
        ValueError: the first problem, naming the group.
    """
    out: dict[str, list[str]] = {}
    for name, entries in groups.items():
        check_group_name(name)
        seen: list[str] = []
        for entry in entries:
            try:
                text = normalise_entry(entry)
            except ValueError as exc:
                raise ValueError(f"group {name!r}: {exc}") from None
            if text in seen:
                raise ValueError(f"group {name!r} lists {text[:60]!r} twice")
            seen.append(text)
        out[name] = seen
    return out


def _absolute(entry: str) -> bool:
    return entry.startswith(("/", "~"))


def _expand(entry: str) -> str:
    return os.path.abspath(os.path.expanduser(entry))


def repo_keys(path: str, roots: Sequence[str]) -> list[str]:
    """Every entry text that names the repo at ``path`` (absolute): the path, its path
    relative to each root holding it, and its directory name."""
    keys = [path]
    for root in roots:
        if path.startswith(root + os.sep):
            keys.append(os.path.relpath(path, root).replace(os.sep, "/"))
    keys.append(os.path.basename(path))
    return keys


def entry_for(path: str | Path, roots: Iterable[str | Path]) -> str:
    """What the CLI and the app write for the repo at ``path``: its path relative to the
    first root holding it, else its absolute path."""
    text = os.path.abspath(path)
    for root in roots:
        base = os.path.abspath(root)
        if text.startswith(base + os.sep):
            return os.path.relpath(text, base).replace(os.sep, "/")
        if text == base:
            return os.path.basename(text)
    return text


class GroupIndex:
    """Which groups each repo belongs to, for one tenant's groups and workspace roots.

    Looking a repo up costs one dictionary probe per root, whatever the number of groups,
    so a filter over thousands of repos stays cheap.
    """

    def __init__(self, groups: Mapping[str, Sequence[str]], roots: Iterable[str | Path]) -> None:
        """
        Args:
            groups: the profile's ``groups`` (validated).
            roots: the tenant's workspace roots.
        """
        self.groups = {name: list(entries) for name, entries in groups.items()}
        self.roots = [os.path.abspath(os.path.expanduser(root)) for root in roots]
        self._by_key: dict[str, set[str]] = {}
        for name, entries in self.groups.items():
            for entry in entries:
                key = _expand(entry) if _absolute(entry) else entry
                self._by_key.setdefault(key, set()).add(name)

    def names(self) -> list[str]:
        """The group names, sorted."""
        return sorted(self.groups)

    def groups_of(self, path: str) -> frozenset[str]:
        """The groups holding the repo at ``path`` (an absolute working-tree path).

        This is the ``groups_of`` that ``core/selection.py`` takes.
        """
        found: set[str] = set()
        for key in repo_keys(path, self.roots):
            found |= self._by_key.get(key, set())
        return frozenset(found)

    def entries_naming(self, group: str, path: str) -> list[str]:
        """The entries of ``group`` that name the repo at ``path``."""
        keys = set(repo_keys(path, self.roots))
        return [
            entry
            for entry in self.groups.get(group, [])
            if (_expand(entry) if _absolute(entry) else entry) in keys
        ]
