"""The wheel holds every import package and the shipped config/ and themes/."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder

from tests.conftest import REPO_ROOT


def test_wheel_contents(tmp_path: Path) -> None:
    builder = WheelBuilder(str(REPO_ROOT))
    wheel = Path(next(builder.build(directory=str(tmp_path), versions=["standard"])))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "coditect_tui/__init__.py",
        "coditect_tui/core/backend.py",
        "coditect_store/store.py",
        "coditect_store/migrations/env.py",
        "coditect_store/migrations/versions/0001_initial.py",
        "coditect_remote/__init__.py",
        "coditect_server/__init__.py",
        "coditect_tui/_shipped/config/roles.yaml",
        "coditect_tui/_shipped/config/tiers.yaml",
        "coditect_tui/_shipped/config/flags.yaml",
    ):
        assert required in names, required
    assert not any(n.startswith(("tests/", "backends/")) for n in names)
    # Test-only code (generators of workspaces and corpora) stays in tests/: nothing shipped
    # imports it.
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(n for n in names if n.endswith(".py")):
            source = archive.read(name).decode()
            assert not re.search(r"^\s*(from|import) tests\b", source, re.M), name
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "coditect = coditect_tui.cli:entry" in zipfile.ZipFile(wheel).read(entry_points).decode()
