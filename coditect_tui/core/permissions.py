"""The words of the permission matrix: resources, actions and scopes (config/roles.yaml).

Kept apart from the contract's models (:mod:`coditect_tui.core.models`, which re-exports
them) so that the policy can be read at start-up without building every pydantic model.
"""

from __future__ import annotations

from enum import StrEnum


class Resource(StrEnum):
    """Resources of the permission matrix (config/roles.yaml)."""

    PROJECTS = "projects"
    REPOS = "repos"
    SESSIONS = "sessions"
    MEMORY = "memory"
    STATUS = "status"
    MEMBERS = "members"
    API_KEYS = "api_keys"
    AUDIT = "audit"
    WEBHOOKS = "webhooks"


class Action(StrEnum):
    """Actions of the permission matrix (config/roles.yaml)."""

    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    ADMIN = "admin"


class Scope(StrEnum):
    """How far a permission reaches: rows the principal created, or the whole tenant."""

    OWN = "own"
    TENANT = "tenant"
