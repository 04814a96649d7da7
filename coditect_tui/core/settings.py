"""User settings: tenants/profiles, backends, UI preferences.

Sources, later ones winning: built-in defaults, the user file (``$CODITECT_CONFIG`` or
``<XDG config>/coditect/config.yaml``, or ``--config``), environment variables
(``CODITECT_TENANT``, ``CODITECT_THEME``, ``CODITECT_READ_ONLY``, ``CODITECT_PLUGINS``),
then CLI flags (applied by the caller with ``Settings.with_overrides``). Every key is
documented in docs/configuration.md.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from coditect_tui.core.custom_commands.spec import CustomCommand, check_commands
from coditect_tui.core.errors import ConfigError
from coditect_tui.core.groups import check_group_name, check_groups, normalise_entry
from coditect_tui.core.paths import default_store_path, user_config_file
from coditect_tui.core.policy import Policy, shipped_policy, unknown_name
from coditect_tui.core.yamlio import load_yaml, validate

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_Strict = ConfigDict(extra="forbid", frozen=True)
GroupName = Annotated[str, AfterValidator(check_group_name)]
RepoEntry = Annotated[str, AfterValidator(normalise_entry)]


class LocalBackendConfig(BaseModel):
    """The embedded store: one SQLite file."""

    model_config = _Strict
    kind: Literal["local"] = "local"
    path: str | None = Field(default=None, description="SQLite file (default: the XDG data dir)")

    def store_path(self) -> Path:
        """The SQLite file this profile uses."""
        return Path(self.path).expanduser() if self.path else default_store_path()


class RemoteBackendConfig(BaseModel):
    """A tenant API server."""

    model_config = _Strict
    kind: Literal["remote"]
    url: str = Field(pattern=r"^https?://")
    token_env: str | None = None
    token_file: str | None = None
    keyring: str | None = None
    timeout: float = Field(default=10.0, gt=0)


BackendConfig = Annotated[LocalBackendConfig | RemoteBackendConfig, Field(discriminator="kind")]


class TenantProfile(BaseModel):
    """One tenant the user works in, and how to reach it."""

    model_config = _Strict
    name: str
    display_name: str | None = None
    backend: BackendConfig = Field(default_factory=LocalBackendConfig)
    principal: str | None = None
    role: str = "owner"
    tier: str = "internal"
    platform_admin: bool = Field(
        default=False,
        description="local profiles: the principal may create tenants in the store and "
        "change their lifecycle state (a server designates its own: docs/security.md)",
    )
    theme: str | None = None
    workspace_roots: list[str] = Field(default_factory=list)
    memory_folders: list[str] = Field(
        default_factory=list,
        description="MEMORY-CONTEXT folders indexed besides those found in the roots",
    )
    groups: dict[GroupName, list[RepoEntry]] = Field(
        default_factory=dict, description="group -> repos (paths relative to a root, or names)"
    )

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return check_groups(value)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use lowercase letters, digits, '.', '_' or '-' (max 63)")
        return value

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str, info: ValidationInfo) -> str:
        policy = _policy(info)
        if value not in policy.roles:
            raise ValueError(unknown_name("role", value, policy.roles))
        return value

    @field_validator("tier")
    @classmethod
    def _known_tier(cls, value: str, info: ValidationInfo) -> str:
        policy = _policy(info)
        if value not in policy.tiers:
            raise ValueError(unknown_name("tier", value, policy.tiers))
        return value

    @property
    def title(self) -> str:
        """The name shown in the header (display name, else name)."""
        return self.display_name or self.name

    def principal_name(self) -> str:
        """Who acts: the configured principal, else the OS user name."""
        if self.principal:
            return self.principal
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "local"

    def roots(self) -> list[Path]:
        """Workspace roots with ``~`` expanded."""
        return [Path(root).expanduser() for root in self.workspace_roots]

    def memory_folder_paths(self) -> list[Path]:
        """The MEMORY-CONTEXT folders the configuration names, with ``~`` expanded."""
        return [Path(folder).expanduser() for folder in self.memory_folders]


class UiSettings(BaseModel):
    """How the app looks and which keys it uses."""

    model_config = _Strict
    theme: str = "coditect-dark"
    keymap: dict[str, str] = Field(
        default_factory=dict, description="binding id -> keys, e.g. {app.help: f1}"
    )


class PluginSettings(BaseModel):
    """Which installed plugins run, and how long a hook may take (docs/plugins.md)."""

    model_config = _Strict
    enabled: bool = Field(default=True, description="run installed plugins at all")
    disabled: list[str] = Field(
        default_factory=list, description="plugins (entry point names) not to run"
    )
    timeout: float = Field(default=5.0, gt=0, le=300, description="seconds one hook call may take")


class Settings(BaseModel):
    """The whole user configuration."""

    model_config = _Strict
    default_tenant: str | None = None
    tenants: list[TenantProfile] = Field(default_factory=list)
    ui: UiSettings = Field(default_factory=UiSettings)
    read_only: bool = False
    commands: list[CustomCommand] = Field(
        default_factory=list, description="custom commands (docs/user-guide.md)"
    )
    plugins: PluginSettings = Field(default_factory=PluginSettings)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        names = [t.name for t in self.tenants]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"tenant {name!r} is listed twice")
        if self.default_tenant is not None and self.default_tenant not in names:
            raise ValueError(unknown_name("default_tenant", self.default_tenant, names))
        return self

    def profile(self, name: str | None = None) -> TenantProfile:
        """The profile called ``name`` (default: default_tenant, else the first).

        Raises:
            ConfigError: no such tenant in the configuration.
        """
        wanted = name or self.default_tenant
        if wanted is None:
            return self.tenants[0]
        for tenant in self.tenants:
            if tenant.name == wanted:
                return tenant
        raise ConfigError(unknown_name("tenant", wanted, [t.name for t in self.tenants]))


def _policy(info: ValidationInfo) -> Policy:
    context = info.context or {}
    return context.get("policy") or shipped_policy()


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus where they came from."""

    settings: Settings
    path: Path
    from_file: bool
    tenant_override: str | None


def default_settings() -> Settings:
    """What a first run without a config file uses: one local tenant, no roots yet."""
    return Settings(
        default_tenant="personal", tenants=[TenantProfile(name="personal", display_name="Personal")]
    )


def env_read_only(env: Mapping[str, str] | None = None) -> bool:
    """Whether ``CODITECT_READ_ONLY`` asks for read-only (``1``/``true``/``yes``/``on``).

    Args:
        env: the environment (default: ``os.environ``).
    """
    env = os.environ if env is None else env
    return env.get("CODITECT_READ_ONLY", "").lower() in {"1", "true", "yes", "on"}


def load_settings(
    path: Path | None = None, *, env: Mapping[str, str] | None = None, policy: Policy | None = None
) -> LoadedSettings:
    """Load the user configuration.

    Args:
        path: an explicit file (``--config``); it must exist.
        env: environment to read (default ``os.environ``).
        policy: roles and tiers to validate against (default: the shipped ones).

    Returns:
        The validated settings. Without any file, ``default_settings()``.

    Raises:
        ConfigError: the file is missing (when named explicitly) or invalid; the message
            names the file, line and key.
    """
    env = os.environ if env is None else env
    explicit = path is not None or bool(env.get("CODITECT_CONFIG"))
    target = path.expanduser() if path is not None else user_config_file()
    if target.exists() or explicit:
        doc = load_yaml(target)
        settings = validate(doc, Settings, context={"policy": policy or shipped_policy()})
        from_file = True
        if not settings.tenants:
            raise ConfigError(
                "no tenants listed", path=str(target), line=doc.line_of(()), key="tenants"
            )
        check_commands(settings, doc)
    else:
        settings = default_settings()
        from_file = False
    updates: dict[str, object] = {}
    if env.get("CODITECT_THEME"):
        updates["ui"] = settings.ui.model_copy(update={"theme": env["CODITECT_THEME"]})
    if env_read_only(env):
        updates["read_only"] = True
    if env.get("CODITECT_PLUGINS", "").lower() in {"0", "off", "false", "no"}:
        updates["plugins"] = settings.plugins.model_copy(update={"enabled": False})
    if updates:
        settings = settings.model_copy(update=updates)
    return LoadedSettings(settings, target, from_file, env.get("CODITECT_TENANT") or None)
