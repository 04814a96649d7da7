"""The demo tests run git with a private global config (see tests/git/conftest.py)."""

from __future__ import annotations

from tests.git.conftest import git_identity  # noqa: F401  (re-exported autouse fixture)
