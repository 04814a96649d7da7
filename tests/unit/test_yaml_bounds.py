"""Every YAML file the app reads is bounded: an alias bomb or deep nesting ends in one line
naming the file, exit code 2, after bounded work (never gigabytes, never a RecursionError)."""

from __future__ import annotations

import ast
import resource
import tracemalloc
from pathlib import Path

import pytest
import yaml

from coditect_tui.core import yamlio
from coditect_tui.core.errors import ConfigError
from coditect_tui.core.yamlio import MAX_DEPTH, MAX_VALUES, load_yaml
from tests.conftest import REPO_ROOT
from tests.git.helpers import run_cli


def billion_laughs(levels: int = 9) -> str:
    """The classic bomb: 9 aliases to the level below, 9 levels: 9**9 values from < 600 bytes."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    lines.append(f"tenants: [{{name: x, workspace_roots: *a{levels - 1}}}]")
    return "\n".join(lines) + "\n"


DEEP = "tenants: " + "[" * 5000 + "]" * 5000 + "\n"


def _one_line_exit_2(path: Path, *args: str) -> str:
    # CPU seconds of the child, not the wall clock: a loaded CI machine stretches the
    # wall clock, while the work an alias bomb causes is what this bounds
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_cli(*args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"coditect: error: {path}:"), result.stderr
    assert cpu < 2.0, cpu  # was 29 s and 3 GB for the bomb
    return result.stderr


def test_billion_laughs_config_is_refused_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(billion_laughs())
    assert len(config.read_bytes()) < 600
    err = _one_line_exit_2(config, "--config", str(config), "tenants")
    assert f"more than {MAX_VALUES} values once aliases are expanded" in err


def test_deep_nesting_config_is_refused_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(DEEP)
    err = _one_line_exit_2(config, "--config", str(config), "tenants")
    assert f"{config}:1: YAML error: nested more than {MAX_DEPTH} levels deep" in err
    assert "RecursionError" not in err


def test_a_control_character_is_refused_in_one_line_with_its_line(tmp_path: Path) -> None:
    """PyYAML's reader refuses it as the loader is made: that was an internal error
    (exit 70) before the loader was made inside the error handling."""
    config = tmp_path / "config.yaml"
    config.write_text("default_tenant: a\n# fine\nx: a\x01b\n")
    err = _one_line_exit_2(config, "--config", str(config), "tenants")
    assert f"{config}:3: YAML error: unacceptable character #x0001" in err


def test_views_bomb_is_refused_in_one_line(tmp_path: Path) -> None:
    views = tmp_path / "views.yaml"
    views.write_text(billion_laughs())
    err = _one_line_exit_2(views, "report", "status", "--views", str(views), str(tmp_path))
    assert "values once aliases are expanded" in err


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (billion_laughs(), 1, "values once aliases are expanded"),
        ("x: &a [*a]\n", 1, "levels deep (aliases expanded)"),  # a cycle
        # each alias nests one level deeper than the text does
        (
            "a0: &a0 [x]\n"
            + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, MAX_DEPTH + 2)),
            1,
            "levels deep (aliases expanded)",
        ),
        ("a:\n" + "".join("  " * i + "- \n" for i in range(1, 200)), None, "levels deep"),
    ],
    ids=["billion-laughs", "cycle", "alias-chain", "deep-block"],
)
def test_loader_work_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, line: int | None, message: str
) -> None:
    """The loader visits a bounded number of nodes, and its memory stays small, however far
    the aliases would expand."""
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    visits = 0
    walk = yamlio._Walk.walk

    def counting(self: yamlio._Walk, node: yaml.Node, loc: yamlio.Loc) -> None:
        nonlocal visits
        visits += 1
        walk(self, node, loc)

    monkeypatch.setattr(yamlio._Walk, "walk", counting)
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as caught:
            load_yaml(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: " if line else f"{path}:")
    assert peak < 32 * 1024 * 1024, peak
    assert visits <= MAX_VALUES + 1


def test_within_bounds_aliases_still_load(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    nested = "v: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    path.write_text("a: &a [1, 2]\nb: *a\n" + nested)
    doc = load_yaml(path)
    assert doc.data["b"] == [1, 2] and doc.line_of(("b",)) == 2


def test_every_yaml_read_goes_through_the_one_loader() -> None:
    """Only core/yamlio.py imports PyYAML, so its bounds cover every file the app reads."""
    importers = []
    for package in ("coditect_tui", "backends"):
        for source in (REPO_ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(name == "yaml" or name.startswith(("yaml.", "ruamel")) for name in names):
                    importers.append(source.relative_to(REPO_ROOT).as_posix())
    assert importers == ["coditect_tui/core/yamlio.py"]


def test_the_shipped_files_read_by_libyaml_are_what_the_bounded_loader_reads() -> None:
    """The shipped policy is composed by libyaml's C parser (every command reads it):
    the same data and the same line of every key as the bounded loader gives."""
    from coditect_tui.core.paths import shipped_config_dir

    if getattr(yaml, "CSafeLoader", None) is None:
        pytest.skip("PyYAML was built without libyaml: shipped files use the bounded loader")
    for name in ("roles.yaml", "tiers.yaml", "flags.yaml", "views.yaml"):
        path = shipped_config_dir() / name
        fast, bounded = load_yaml(path, shipped=True), load_yaml(path)
        assert fast.data == bounded.data and fast.data, name
        assert fast.lines == bounded.lines and fast.columns == bounded.columns, name


def test_only_the_shipped_policy_goes_through_the_unbounded_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libyaml's recursion has no depth bound of ours: a policy folder of the user's is
    read by the bounded loader, the shipped one by the C parser."""
    from coditect_tui.core.paths import shipped_config_dir
    from coditect_tui.core.policy import Policy

    used: list[str] = []

    class Spy(yaml.SafeLoader):  # stands in for CSafeLoader, noting what it reads
        def __init__(self, stream: str) -> None:
            used.append(stream)
            super().__init__(stream)

    monkeypatch.setattr(yaml, "CSafeLoader", Spy, raising=False)
    for name in ("roles.yaml", "tiers.yaml", "flags.yaml"):
        (tmp_path / name).write_text((shipped_config_dir() / name).read_text())
    Policy.load(tmp_path)
    assert used == []
    Policy.load()
    assert len(used) == 3
