#!/usr/bin/env python3
"""Start-up benchmark (issue [3/6]); run by hand, not in CI.

Usage: python bench/bench_startup.py [--repos 200] [--runs 20] [--dir DIR]

Time from process start to the first fully painted workspace with N repos registered
(``coditect --exit-after-paint``: headless, exits by itself once painted), against a
minimal Textual app (Header + Static + Footer that exits on ready), both in the same run.
Also the peak RSS of each. Targets: time <= 1.5x the minimal app, RSS <= 2x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

MINIMAL_APP = """
import shutil

from textual.app import App
from textual.widgets import Footer, Header, Static

class Minimal(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

    def on_ready(self):
        self.exit()

terminal = shutil.get_terminal_size()
Minimal().run(headless=True, size=(terminal.columns, terminal.lines))
"""


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, max RSS MiB) of one run."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{argv} failed: {err[-500:]}")
    return elapsed, usage.ru_maxrss / 1024


def measure(
    commands: list[list[str]], env: dict[str, str], runs: int
) -> list[tuple[float, float, float]]:
    """(median seconds, p90 seconds, max RSS MiB) of each command over ``runs`` runs,
    interleaved (A B A B ...) so drift on a shared machine hits every command alike."""
    samples: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for argv, out in zip(commands, samples, strict=True):
            out.append(run_once(argv, env))
    results = []
    for out in samples:
        times = sorted(t for t, _ in out)
        results.append(
            (statistics.median(times), times[int(len(times) * 0.9) - 1], max(r for _, r in out))
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="coditect-startup-"))
    env = prepare(work, work / "ws", args.repos)
    coditect = [sys.executable, "-m", "coditect_tui", "--exit-after-paint"]
    # `pip install .` byte-compiles the package; a source checkout with
    # PYTHONDONTWRITEBYTECODE set would otherwise compile every module on every start
    # (Textual, the anchor's only code, is byte-compiled in site-packages).
    _compile_sources()
    # warm-up: registers the repos in the store and writes the paint cache
    _register(env)
    minimal = work / "minimal_app.py"
    minimal.write_text(MINIMAL_APP)
    commands = [coditect, [sys.executable, str(minimal)]]
    measure(commands, env, 2)
    (app_med, app_p90, app_rss), (min_med, min_p90, min_rss) = measure(commands, env, args.runs)
    print(f"# {args.repos} repos registered, {args.runs} interleaved runs each")
    print(
        f"start    coditect {app_med:.3f} s (p90 {app_p90:.3f})  minimal app {min_med:.3f} s "
        f"(p90 {min_p90:.3f})  ratio {app_med / min_med:.2f} (target <= 1.5)"
    )
    print(
        f"rss      coditect {app_rss:.0f} MiB  minimal app {min_rss:.0f} MiB  "
        f"ratio {app_rss / min_rss:.2f} (target <= 2.0)"
    )


def prepare(work: Path, workspace: Path, repos: int) -> dict[str, str]:
    """Build the workspace (unless there), write a one-tenant config with it as root and
    return the environment (config and XDG folders under ``work``) to run the app with.
    bench_live.py uses it too."""
    if not (workspace / "expected.json").exists():
        print(f"# building {repos} repos in {workspace} ...", flush=True)
        # the generator (tests/support/workspaces.py) runs in a child of its own, so this
        # process stays small (a child's peak RSS can start from its parent's at fork)
        generator = [sys.executable, "-m", "tests.support.workspaces"]
        built = subprocess.run(
            [*generator, str(workspace), "--repos", str(repos)],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if built.returncode != 0:
            sys.exit(built.stderr.strip() or f"bench: the build exited {built.returncode}")
    home = work / "home"
    config = work / "config.yaml"
    config.write_text(
        json.dumps(
            {
                "tenants": [
                    {
                        "name": "bench",
                        "display_name": "Bench",
                        "principal": "bench",
                        "backend": {"kind": "local", "path": str(work / "store.db")},
                        "workspace_roots": [str(workspace / "projects")],
                    }
                ]
            }
        )
    )
    env = {
        **os.environ,
        "CODITECT_CONFIG": str(config),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    return env


def _compile_sources() -> None:
    """Byte-compile coditect_tui and the backends where they are imported from (in a child
    process: importing them here would grow this process, and a child's peak RSS starts
    from its parent's at fork)."""
    code = (
        "import compileall, pathlib\n"
        "import coditect_tui, coditect_store, coditect_remote, coditect_server\n"
        "for m in (coditect_tui, coditect_store, coditect_remote, coditect_server):\n"
        "    compileall.compile_dir(str(pathlib.Path(m.__file__).parent), quiet=1)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)


def _register(env: dict[str, str]) -> None:
    """Run the app once to the end of its start-up work (registration, statuses, cache)."""
    code = (
        "import asyncio\n"
        "from coditect_tui.core.settings import load_settings\n"
        "from coditect_tui.ui.app import CoditectApp\n"
        "s = load_settings().settings\n"
        "app = CoditectApp.for_profile(s, s.profile(), cached_paint=False)\n"
        "async def run():\n"
        "    async with app.run_test() as pilot:\n"
        "        for _ in range(600):\n"
        "            await pilot.pause(0.1)\n"
        # the tenant's state lives on app.session (on the app itself in older builds)
        "            s = getattr(app, 'session', None) or app\n"
        "            if getattr(s, 'backend', None) is not None and getattr(s, 'repo_ids', None):\n"
        "                break\n"
        "        await app.action_quit()\n"
        "asyncio.run(run())\n"
    )
    try:
        subprocess.run(
            [sys.executable, "-c", code], env=env, check=True, timeout=180, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise SystemExit("the registration run did not finish within 180 s") from None


if __name__ == "__main__":
    main()
