"""Real git repos need the private git identity of the git engine's tests."""

from tests.git.conftest import git_identity

__all__ = ["git_identity"]
