"""``any_installed``: the quick answer read from ``entry_points.txt`` files agrees with
importlib.metadata, and a place it cannot read defers to it."""

from __future__ import annotations

import sys
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from coditect_tui.core.plugins import discovery
from tests.plugins.sites import declare


def test_the_quick_answer_agrees_with_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = ["console_scripts", "coditect.backends", "coditect.plugins", "no.such.group"]
    for group in groups:
        assert discovery._declared_on_path(group) is bool(entry_points(group=group)), group
    assert discovery._declared_on_path("console_scripts") is True
    assert discovery.any_installed("no.such.group") is False

    site = tmp_path / "site"
    declare(site, "coditect-quick-check", {"quick": "tests.support.plugins:Recorder"})
    (site / "plain.egg-info").write_text("an old egg-info file, not a folder\n")
    monkeypatch.syspath_prepend(str(site))
    assert discovery._declared_on_path("coditect.plugins") is True
    assert discovery.any_installed() is bool(entry_points(group="coditect.plugins")) is True


def test_a_zip_or_a_finder_of_its_own_defers_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "dists.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("zipped-0.1.dist-info/METADATA", "Name: zipped\nVersion: 0.1\n")
        zipped.writestr("zipped-0.1.dist-info/entry_points.txt", "[coditect.plugins]\nz = m:o\n")
    monkeypatch.syspath_prepend(str(archive))
    assert discovery._declared_on_path("coditect.plugins") is None
    assert discovery.any_installed() is True  # importlib.metadata reads inside the zip
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(archive)])

    class OwnFinder:
        def find_spec(self, *args: object) -> None:
            return None

        def find_distributions(self, *args: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "meta_path", [OwnFinder(), *sys.meta_path])
    assert discovery._declared_on_path("console_scripts") is None
