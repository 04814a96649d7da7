"""Workspace manifests: the tenant's repos as a YAML file another machine can clone from.

``freeze`` writes one entry per top-level repo of the workspace (a submodule comes with
its master's ``git submodule update --init``): its path relative to its workspace root,
the URL of its remote (``origin``, else the first), its branch (None when detached), its
groups and its category. The order is the paths' (deterministic: freezing the same
workspace twice gives the same bytes); every text is neutralised (``safe_text``) and
credentials in URLs (``https://user:token@host``) are stripped.

A manifest read back is validated before anything runs (``load_manifest``): a path that
is absolute or climbs out of the root (``..``) and a URL that could run code (``ext::``
and any other ``transport::`` form, a leading ``-``) are refused with one line naming the
file, the line and the key. ``core/manifest_sync.py`` clones.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coditect_tui.core.errors import ConfigError
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.git.discovery import WorkspaceTree
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.groups import GroupIndex

MANIFEST_VERSION = 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: ``<transport>::<address>``: git runs a remote helper named by the transport (``ext::``
#: runs any command).
_HELPER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+.-]*::")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
#: URL schemes a manifest may name (``file`` too: local bare remotes and mirrors).
SCHEMES = frozenset({"https", "http", "ssh", "git", "file"})


def strip_credentials(url: str) -> str:
    """``url`` without the user and password of an http(s) URL (often a token); an
    ``ssh://git@host`` or ``git@host:path`` user is kept (it is no secret)."""
    match = _SCHEME.match(url)
    if not match or match.group(1).lower() not in ("http", "https"):
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def check_url(url: str) -> str:
    """``url`` if git may clone it without running anything of the manifest's choosing.

    Raises:
        ValueError: a control character, a leading ``-``, a ``transport::`` remote helper
            (``ext::``), or a scheme outside :data:`SCHEMES`.
    """
    if not url:
        raise ValueError("empty URL")
    if _CONTROL.search(url):
        raise ValueError("the URL holds a control character")
    if url.startswith("-"):
        raise ValueError("a URL may not start with '-'")
    if _HELPER.match(url):
        raise ValueError(f"remote helper URLs ({url.split('::', 1)[0]}::) are refused")
    match = _SCHEME.match(url)
    if match and match.group(1).lower() not in SCHEMES:
        raise ValueError(f"scheme {match.group(1)!r} is refused (use {', '.join(sorted(SCHEMES))})")
    return url


def check_path(path: str) -> str:
    """``path`` if it stays inside the root it is relative to.

    Raises:
        ValueError: absolute, empty, ``..`` in it, a control character or a backslash.
    """
    if not path or _CONTROL.search(path) or "\\" in path:
        raise ValueError("not a plain relative path")
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("~"):
        raise ValueError(f"{path[:60]!r} is absolute; paths are relative to the root")
    if ".." in pure.parts:
        raise ValueError(f"{path[:60]!r} leaves the root ('..')")
    if pure.parts in ((), (".",)):
        raise ValueError("the root itself is not a repo path")
    return pure.as_posix()


class ManifestRepo(BaseModel):
    """One repo of a manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str
    url: str | None = None
    branch: str | None = None
    groups: list[str] = Field(default_factory=list)
    category: str | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return check_path(value)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from coditect_tui.core.errors import InvalidInput
        from coditect_tui.core.git.runner import check_branch_name

        try:
            return check_branch_name(value)
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None


class Manifest(BaseModel):
    """A whole manifest file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int = MANIFEST_VERSION
    repos: list[ManifestRepo] = Field(default_factory=list)

    @field_validator("version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != MANIFEST_VERSION:
            raise ValueError(f"version {value} is not one this coditect reads ({MANIFEST_VERSION})")
        return value

    @model_validator(mode="after")
    def _unique(self) -> Manifest:
        seen: set[str] = set()
        for repo in self.repos:
            if repo.path in seen:
                raise ValueError(f"path {repo.path!r} is listed twice")
            seen.add(repo.path)
        return self


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest file.

    Raises:
        ConfigError: unreadable, not YAML, or an invalid entry (file, line and key).
    """
    from coditect_tui.core.yamlio import load_yaml, validate

    manifest: Manifest = validate(load_yaml(path), Manifest)
    return manifest


async def _remote_url(runner: GitRunner, repo: Path) -> str | None:
    result = await runner.run(repo, ["config", "--get-regexp", r"^remote\..*\.url$"])
    urls: dict[str, str] = {}
    for line in result.text().splitlines():
        key, _, value = line.partition(" ")
        urls[key[len("remote.") : -len(".url")]] = value
    if not urls:
        return None
    return urls.get("origin") or urls[sorted(urls)[0]]


async def _branch(runner: GitRunner, repo: Path) -> str | None:
    result = await runner.run(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"])
    return result.text().strip() or None if result.ok else None


async def repo_facts(runner: GitRunner, repo: Path) -> tuple[str | None, str | None]:
    """(remote URL, branch) of the working tree ``repo``, as git reports them (raw)."""
    return await _remote_url(runner, repo), await _branch(runner, repo)


async def freeze(tree: WorkspaceTree, runner: GitRunner, groups: GroupIndex) -> dict[str, Any]:
    """The manifest of ``tree`` as plain data (what :func:`dump_manifest` writes).

    Raises:
        ConfigError: two top-level repos of different roots share a relative path.
    """
    from coditect_tui.core.groups import entry_for

    nodes = [project.root for project in tree.projects]
    facts = await runner.map(lambda node: repo_facts(runner, node.path), nodes)
    repos: dict[str, dict[str, Any]] = {}
    for node, (url, branch) in zip(nodes, facts, strict=True):
        rel = safe_text(entry_for(node.path, tree.roots))
        if rel in repos:
            raise ConfigError(
                f"two repos of different workspace roots are both at {rel!r}; a manifest "
                "holds one path per repo"
            )
        repos[rel] = {
            "path": rel,
            "url": safe_text(strip_credentials(url)) if url else None,
            "branch": safe_text(branch) if branch else None,
            "groups": [safe_text(g) for g in sorted(groups.groups_of(str(node.path)))],
            "category": safe_text(node.category) if node.category else None,
        }
    return {"version": MANIFEST_VERSION, "repos": [repos[key] for key in sorted(repos)]}


def dump_manifest(data: dict[str, Any]) -> str:
    """The manifest's YAML text (two comment lines, then the data; no timestamp and no
    tenant name, so the same workspace always gives the same bytes)."""
    from coditect_tui.core.yamlio import dump_yaml

    body = dump_yaml(data)
    return (
        "# coditect workspace manifest (coditect manifest freeze)\n"
        "# coditect manifest sync FILE --root DIR clones what is missing\n" + body
    )
