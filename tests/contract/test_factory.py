"""core/factory.py finds backends, stores and the server through entry points."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from coditect_tui.core import factory
from coditect_tui.core.errors import BackendUnavailable, ConfigError
from coditect_tui.core.settings import LocalBackendConfig, TenantProfile


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    factory.clear_cache()
    yield
    factory.clear_cache()


def test_the_installed_entry_points_are_found() -> None:
    assert {"local", "remote"} <= set(factory.backend_kinds())
    launcher = factory.server_launcher()
    assert callable(launcher.check) and callable(launcher.serve)


def test_lookups_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    calls: list[str] = []
    real = importlib.metadata.entry_points

    def counting(**kwargs: str) -> object:
        calls.append(kwargs["group"])
        return real(**kwargs)

    monkeypatch.setattr(importlib.metadata, "entry_points", counting)
    factory.backend_kinds()
    factory.backend_kinds()
    assert calls == [factory.BACKENDS_GROUP]


def _fake(monkeypatch: pytest.MonkeyPatch, group: str, entries: dict[str, str]) -> None:
    """Pretend the installed entry points of ``group`` are ``entries``."""
    import importlib.metadata

    fake = [EntryPoint(name, value, group) for name, value in entries.items()]
    real = importlib.metadata.entry_points

    def patched(**kwargs: str) -> object:
        return fake if kwargs.get("group") == group else real(**kwargs)

    monkeypatch.setattr(importlib.metadata, "entry_points", patched)
    factory.clear_cache()


async def test_a_missing_kind_is_a_one_line_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fake(monkeypatch, factory.BACKENDS_GROUP, {"remote": "coditect_remote.opener:open_profile"})
    profile = TenantProfile(name="acme", backend=LocalBackendConfig(path=str(tmp_path / "s.db")))
    with pytest.raises(ConfigError) as caught:
        await factory.open_backend(profile)
    message = str(caught.value)
    assert "\n" not in message
    assert "'local'" in message and "coditect.backends" in message and "remote" in message


async def test_a_broken_entry_point_is_a_one_line_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake(monkeypatch, factory.STORES_GROUP, {"sql": "coditect_no_such_module:open_database"})
    with pytest.raises(BackendUnavailable) as caught:
        await factory.open_store("x.db", tenant="acme", principal="olivia")
    message = str(caught.value)
    assert "\n" not in message
    assert "coditect_no_such_module" in message and "ModuleNotFoundError" in message
    _fake(monkeypatch, factory.SERVER_GROUP, {"serve": "coditect_server.launch:no_such_name"})
    with pytest.raises(BackendUnavailable, match="AttributeError"):
        factory.server_launcher()


async def test_open_store_opens_by_path(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    provision = factory.Provision(display_name="Acme", tier="internal", role="owner")
    store = await factory.open_store(db, tenant="acme", principal="olivia", provision=provision)
    try:
        assert (await store.whoami()).role == "owner"
    finally:
        await store.close()
    # without provision the membership must exist, and the role is the membership's
    reader = await factory.open_store(db, tenant="acme", principal="olivia", read_only=True)
    try:
        me = await reader.whoami()
        assert (me.role, me.read_only) == ("owner", True)
    finally:
        await reader.close()


def test_factory_names_no_backend_package() -> None:
    source = Path(factory.__file__).read_text()
    for package in ("coditect_store", "coditect_remote", "coditect_server"):
        assert package not in source
