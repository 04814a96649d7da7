"""Dependencies point one way: ui -> core <- backends. Only coditect_tui.ui imports Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

UI_FREE = [
    REPO_ROOT / "coditect_tui" / "core",
    REPO_ROOT / "coditect_tui" / "commands",
    REPO_ROOT / "backends",
    REPO_ROOT / "coditect_tui" / "cli.py",
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _files() -> list[Path]:
    files: list[Path] = []
    for root in UI_FREE:
        files += [root] if root.is_file() else sorted(root.rglob("*.py"))
    return files


def test_core_commands_and_backends_never_import_textual() -> None:
    offenders = {
        str(p.relative_to(REPO_ROOT)): sorted(
            n for n in _imports(p) if n.split(".")[0] == "textual"
        )
        for p in _files()
    }
    offenders = {k: v for k, v in offenders.items() if v}
    # cli.py and the TUI launcher may import coditect_tui.ui lazily, never textual itself
    assert offenders == {}


def test_core_never_imports_backends_or_ui() -> None:
    core = REPO_ROOT / "coditect_tui" / "core"
    bad = {}
    for path in sorted(core.rglob("*.py")):
        if path.name == "factory.py":
            continue  # the one place that opens a backend, lazily, by profile kind
        names = [
            n
            for n in _imports(path)
            if n.startswith(
                (
                    "coditect_tui.ui",
                    "coditect_store",
                    "coditect_remote",
                    "coditect_server",
                    "textual",
                )
            )
        ]
        if names:
            bad[str(path.relative_to(REPO_ROOT))] = names
    assert bad == {}


def test_cli_commands_do_not_load_textual(tmp_path: Path) -> None:
    code = (
        "import sys; from coditect_tui.cli import main; "
        "rc = main(['tenants']); rc |= main(['audit', 'verify']); "
        "print('textual' in sys.modules, rc)"
    )
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "c"),
        "XDG_DATA_HOME": str(tmp_path / "d"),
        "PATH": "/usr/bin:/bin",
    }
    out = (
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert out == "False 0"
