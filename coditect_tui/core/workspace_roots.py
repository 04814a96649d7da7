"""Which folders a run works on: the tenant's workspace roots, else the demo workspace.

One answer for the app (the tenant session) and the CLI (``coditect status``, ``report
status``), so both show the same repos: a first run without a config file and without
roots works on the demo workspace (:mod:`coditect_tui.core.demo`) everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coditect_tui.core.settings import TenantProfile


def demo_allowed(profile: TenantProfile, *, from_file: bool) -> bool:
    """Whether the demo workspace stands in for the roots.

    Args:
        profile: the tenant's profile.
        from_file: the settings came from a config file (a user who wrote one chose
            their roots, even none).

    Returns:
        True when there is no config file and the profile has no workspace roots.
    """
    return not from_file and not profile.workspace_roots


@dataclass(frozen=True)
class DefaultRoots:
    """The roots of a run.

    Attributes:
        roots: the folders to discover (``~`` expanded).
        demo: they are the demo workspace (build it first with ``build_demo``).
    """

    roots: list[Path]
    demo: bool = False


def default_roots(profile: TenantProfile, *, allow_demo: bool) -> DefaultRoots:
    """The tenant's workspace roots, or the demo workspace when allowed and there are none.

    Args:
        profile: the tenant's profile.
        allow_demo: from :func:`demo_allowed` (the app keeps it in its boot facts).

    Returns:
        The roots; empty when there are none and the demo is not allowed.
    """
    roots = profile.roots()
    if roots or not allow_demo:
        return DefaultRoots(roots)
    from coditect_tui.core.demo import demo_root

    return DefaultRoots([demo_root()], demo=True)
