"""``coditect --exit-after-paint`` (the start-up benchmark's mode) on a real store: the
first start (no paint cache: it paints after loading) and the second (from the cache)
both exit 0 by themselves, with nothing on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _env(tmp_path: Path, *, with_roots: bool) -> dict[str, str]:
    """Two fresh repos, a config with one local tenant (its roots: them, or none) and
    XDG folders of the test's own."""
    root = tmp_path / "ws"
    for name in ("alpha", "beta"):
        subprocess.run(["git", "init", "-q", str(root / name)], check=True)
    config = tmp_path / "config.yaml"
    tenant = {
        "name": "t",
        "principal": "me",
        "workspace_roots": [str(root)] if with_roots else [],
        "backend": {"kind": "local", "path": str(tmp_path / "store.db")},
    }
    config.write_text(json.dumps({"tenants": [tenant]}))
    return {
        **os.environ,
        "CODITECT_CONFIG": str(config),
        **{
            f"XDG_{d}_HOME": str(tmp_path / d.lower()) for d in ("CONFIG", "DATA", "CACHE", "STATE")
        },
    }


def _start(env: dict[str, str], mode: str) -> subprocess.CompletedProcess[str]:
    """``coditect MODE`` (a benchmark mode that exits by itself), as a user starts it."""
    return subprocess.run(
        [sys.executable, "-m", "coditect_tui", mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("with_roots", [True, False])
def test_exit_after_paint_without_and_with_the_cache(tmp_path: Path, with_roots: bool) -> None:
    env = _env(tmp_path, with_roots=with_roots)
    for _ in range(2):
        done = _start(env, "--exit-after-paint")
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Traceback" not in done.stderr + done.stdout


def test_the_start_path_imports_neither_pydantic_nor_the_store() -> None:
    """The first frame from the paint cache needs neither pydantic (settings, the
    contract's models) nor SQLAlchemy (the store): they load after it, in the session's
    thread. A module-level import added on the start path (the header once pulled in the
    policy and its models: 0.1 s and 12 MiB before the first frame) fails this."""
    code = (
        "import sys, coditect_tui.ui.run, coditect_tui.ui.app, coditect_tui.ui.startup; "
        "print(sorted(m for m in ('pydantic', 'sqlalchemy', 'yaml', "
        "'coditect_tui.core.models') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


async def test_a_cached_start_exits_on_the_first_frame_and_it_shows_the_workspace(
    tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The benchmark's stop point on a start from the paint cache: Textual's Ready, posted
    once the first frame is rendered, and that first frame already holds the cached tree."""
    from textual.screen import Screen

    from coditect_tui.core.git.discovery import discover
    from coditect_tui.core.settings import load_settings
    from coditect_tui.core.workspace_view import from_discovery, paint_key, save_cache
    from coditect_tui.ui.app import CoditectApp
    from tests.ui.conftest import write_config

    config = write_config(
        tmp_path / "config.yaml",
        [
            {
                "name": "acme",
                "display_name": "ACME Corp",
                "principal": "alice",
                "backend": {"kind": "local", "path": str(tmp_path / "store.db")},
                "workspace_roots": [str(workspace)],
            }
        ],
    )
    view = from_discovery("acme", discover([workspace], tenant="acme"))
    settings = load_settings(config).settings
    save_cache(view, paint_key(settings.profile("acme")))
    app = CoditectApp.for_profile(
        settings, settings.profile("acme"), config_path=config, exit_after_paint=True
    )
    first_frame: list[str] = []
    exits: list[bool] = []
    refresh = Screen._compositor_refresh

    def record_first_frame(screen: Screen) -> None:  # type: ignore[type-arg]
        refresh(screen)
        if not first_frame:
            strips = screen._compositor.render_strips()
            first_frame.append("\n".join(strip.text for strip in strips))

    monkeypatch.setattr(Screen, "_compositor_refresh", record_first_frame)
    exit_app = app.exit

    def record_exit(*args: object, **kwargs: object) -> None:
        exits.append(
            app.session is None or app.session.backend is None
        )  # before any store or git work
        exit_app(*args, **kwargs)  # type: ignore[arg-type]

    app.exit = record_exit  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            if exits:
                break
            await pilot.pause()
    assert exits == [True], "the app did not exit by itself, at once"
    frame = first_frame[0]
    assert "ACME Corp" in frame
    shown = [repo.name for repo in view.repos() if repo.name in frame]
    assert len(shown) >= 3, frame


def test_exit_after_live_reads_through_the_prefetch_and_exits_clean(tmp_path: Path) -> None:
    """The benchmark's live mode: the statuses come from the prefetch started before the
    UI (boot cache missed on the first start, hit on the second); both runs exit 0 and
    report the moment every status was live."""
    env = _env(tmp_path, with_roots=True)
    for _ in range(2):
        done = _start(env, "--exit-after-live")
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stderr.startswith("live-at ") and done.stderr.count("\n") == 1, done.stderr
