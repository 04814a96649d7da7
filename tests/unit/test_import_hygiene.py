"""The CLI's commands run without loading Textual.

Which package may import which is checked statically by import-linter's contracts
(`[tool.importlinter]` in pyproject.toml, run by `lint-imports` in .ci/run); this test
checks the run-time consequence.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


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
