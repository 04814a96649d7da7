"""Throw-away site folders holding plugins, found through real entry points.

:func:`install_example` installs ``examples/plugins/coditect_example_plugin`` with pip
(its own pyproject, built by hatchling); :func:`declare` writes the dist-info of a package
whose entry points name the test plugins of ``tests.support.plugins``. A child process
finds both when the folder is on its ``PYTHONPATH``; this process, after
``sys.path`` gains it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "plugins" / "coditect_example_plugin"


def install_example(site: Path) -> None:
    """``pip install`` the example plugin into ``site`` (offline, no build isolation)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--no-compile",
            "--target",
            str(site),
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def declare(site: Path, name: str, plugins: dict[str, str]) -> None:
    """A dist-info in ``site`` for package ``name`` declaring ``plugins`` (name -> target)."""
    info = site / f"{name.replace('-', '_')}-0.0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n")
    lines = "".join(f"{key} = {value}\n" for key, value in plugins.items())
    (info / "entry_points.txt").write_text(f"[coditect.plugins]\n{lines}")
