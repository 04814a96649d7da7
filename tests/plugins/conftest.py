"""The plugin tests use real git repos with the git tests' fixed identity and config."""

from tests.git.conftest import git_identity

__all__ = ["git_identity"]
