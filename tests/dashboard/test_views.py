"""views.yaml: loading, one-line errors, role/tier shaping; the advisor view carries no names."""

from __future__ import annotations

import shutil
import types
import typing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from coditect_tui.core import dashboard_report as render
from coditect_tui.core.dashboard import DashboardOptions, Kpis, load_dashboard
from coditect_tui.core.errors import ConfigError
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import read_status
from coditect_tui.core.paths import shipped_config_dir
from coditect_tui.core.views import (
    AdvisorView,
    advisor_view,
    load_views,
    tier_has_feature,
)
from tests.git.helpers import commit_file, git, make_remote_and_clone, run_cli, write_config


def _names(views: list[Any]) -> list[str]:
    return [v.name for v in views]


def test_shipped_views_shape_by_role_and_tier() -> None:
    views = load_views(shipped_config_dir() / "views.yaml")
    assert views.dashboard.stale_days == 30 and views.dashboard.window_days == 30
    assert _names(views.views_for(role="owner", tier="internal")) == [
        "team",
        "advisor",
        "portfolio",
    ]
    assert _names(views.views_for(role="editor", tier="internal")) == ["team"]
    # a consultant in their own tier opens the portfolio first
    assert _names(views.views_for(role="consultant", tier="consultant")) == ["portfolio", "team"]
    # a consultant inside a client tenant of a tier without portfolios
    assert _names(views.views_for(role="consultant", tier="customer_team")) == ["team"]
    # the advisor tier restricts every role to the aggregate view
    assert _names(views.views_for(role="viewer", tier="advisor")) == ["advisor"]
    assert _names(views.views_for(role="owner", tier="advisor")) == ["advisor"]
    # an auditor firm's tier has no dashboard features at all
    assert views.views_for(role="auditor", tier="auditor") == []
    assert views.view("advisor").kind == "aggregate"
    assert not {"stale", "attention"} & set(views.view("advisor").sections)
    assert tier_has_feature("internal", "evidence_packs")
    assert not tier_has_feature("customer_team", "evidence_packs")
    assert not tier_has_feature("no-such-tier", "dashboard")


def test_the_user_file_replaces_the_shipped_one(isolated_home: Path) -> None:
    user = isolated_home / "config" / "coditect" / "views.yaml"
    user.parent.mkdir(parents=True)
    user.write_text(
        "dashboard: {stale_days: 7}\nviews:\n  only:\n    kind: full\n"
        "    title: Only\n    sections: [kpis]\ndefault_views: [only]\n"
    )
    views = load_views()
    assert views.path == str(user) and views.dashboard.stale_days == 7
    assert _names(views.views_for(role="viewer", tier="internal")) == ["only"]


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "views.yaml"
    shutil.copy(shipped_config_dir() / "views.yaml", target)
    return target


@pytest.mark.parametrize(
    ("old", "new", "line_of", "message"),
    [
        (
            "    sections: [kpis, distribution, commits, trend, stale_count, attention_count]\n",
            "    sections: [kpis, distribution, commits, trend, stale, attention_count]\n",
            "    sections: [kpis, distribution, commits, trend, stale, attention_count]",
            "views.advisor: section 'stale' lists repos by name",
        ),
        (
            "  stale_days: 30",
            "  stale_dayz: 30",
            "  stale_dayz: 30",
            "unknown key 'stale_dayz' (did you mean 'stale_days'?)",
        ),
        (
            "  editor: [team]\n",
            "  editr: [team]\n",
            "  editr: [team]",
            "unknown role 'editr' (did you mean 'editor'?)",
        ),
        (
            "  support: [team]\n",
            "  support: [teem]\n",
            "  support: [teem]",
            "unknown view 'teem' (did you mean 'team'?)",
        ),
        (
            "    feature: advisor_view\n",
            "    feature: advisor_veiw\n",
            "    feature: advisor_veiw",
            "unknown feature 'advisor_veiw'",
        ),
        (
            "  advisor: [advisor]",
            "  advisors: [advisor]",
            "  advisors: [advisor]",
            "unknown tier 'advisors' (did you mean 'advisor'?)",
        ),
        (
            "  attention_below: 70",
            "  attention_below: 700",
            "  attention_below: 700",
            "dashboard.attention_below",
        ),
        (
            "    kind: portfolio\n",
            "    kind: portfolio\n    sections: [kpis]\n",
            "    sections: [kpis]",
            "a portfolio view has columns, not sections",
        ),
    ],
)
def test_invalid_views_name_file_line_and_key(
    tmp_path: Path, old: str, new: str, line_of: str, message: str
) -> None:
    path = _copy(tmp_path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_views(path)
    line = next(
        i for i, ln in enumerate(path.read_text().splitlines(), 1) if ln.startswith(line_of)
    )
    error = str(caught.value)
    assert "\n" not in error
    assert error.startswith(f"{path}:{line}: "), error
    assert message in error, error


# -- the advisor view --------------------------------------------------------------------

SECRET_REPO = "zebra-confidential-repo"
SECRET_FILE = "acquisition-plan-q3.txt"
SECRET_PERSON = "Ulrike Quasimodo"
SECRET_EMAIL = "ulrike.quasimodo@example.invalid"
SECRET_BRANCH = "feature/merger-with-initech"


def _secret_workspace(tmp_path: Path) -> Path:
    """Repos whose names, files, branches and authors must never reach an advisor."""
    env = {
        "GIT_AUTHOR_NAME": SECRET_PERSON,
        "GIT_AUTHOR_EMAIL": SECRET_EMAIL,
        "GIT_COMMITTER_NAME": SECRET_PERSON,
        "GIT_COMMITTER_EMAIL": SECRET_EMAIL,
    }
    _, repo = make_remote_and_clone(tmp_path, SECRET_REPO)
    git(repo, "switch", "-q", "-c", SECRET_BRANCH)
    (repo / SECRET_FILE).write_text("x\n")
    git(repo, "add", SECRET_FILE)
    git(repo, "commit", "-q", "-m", f"add {SECRET_FILE}", env=env)
    for i in range(7):  # enough uncommitted files to score below 70
        (repo / f"{SECRET_FILE}.{i}").write_text("y\n")
    _, other = make_remote_and_clone(tmp_path, f"{SECRET_REPO}-two")
    commit_file(other, SECRET_FILE, "z\n", "second")
    git(other, "checkout", "-q", "--detach", "HEAD~1")
    return tmp_path / "work"


def _assert_no_secret(text: str, paths: list[str]) -> None:
    for secret in (
        SECRET_REPO,
        SECRET_FILE,
        SECRET_PERSON,
        SECRET_EMAIL,
        SECRET_BRANCH,
        "Quasimodo",
        "acquisition",
        "merger",
        *paths,
    ):
        assert secret not in text, secret


async def test_advisor_view_carries_no_repo_file_or_person(tmp_path: Path) -> None:
    root = _secret_workspace(tmp_path)
    runner = GitRunner()
    statuses = [await read_status(runner, p) for p in sorted(root.iterdir())]
    board = await load_dashboard(
        statuses, runner=runner, options=DashboardOptions(attention_below=90)
    )
    paths = [s.path for s in statuses]
    full = render.render_markdown(board, statuses)
    assert SECRET_REPO in full and SECRET_BRANCH in full  # the full view does show them
    assert board.attention and board.commits_total >= 3
    view = advisor_view(board)
    assert view.attention_count == len(board.attention) >= 2
    assert view.kpis is not None and view.kpis.detached == 1
    assert view.kpis == board.kpis  # one KPI model: the advisor shows the team's figures
    for text in (
        view.model_dump_json(),
        repr(view),
        render.advisor_markdown(view),
        render.advisor_csv(view),
        render.advisor_json(view),
    ):
        _assert_no_secret(text, paths)


def _leaf_types(annotation: Any, seen: set[type]) -> set[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return {("literal", typing.get_args(annotation))}
    if origin in (tuple, list, typing.Union, types.UnionType):
        out: set[Any] = set()
        for arg in typing.get_args(annotation):
            if arg is not Ellipsis:
                out |= _leaf_types(arg, seen)
        return out
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return set()
        seen.add(annotation)
        assert annotation.model_config.get("extra") == "forbid", annotation
        assert annotation.model_config.get("strict") is True, annotation
        out = set()
        for field in annotation.model_fields.values():
            out |= _leaf_types(field.annotation, seen)
        return out
    return {annotation}


def test_the_advisor_view_structure_cannot_hold_text() -> None:
    leaves = _leaf_types(AdvisorView, set())
    literals = [leaf for leaf in leaves if isinstance(leaf, tuple)]
    plain = {leaf for leaf in leaves if not isinstance(leaf, tuple)}
    assert plain <= {int, float, bool, date, datetime, type(None)}, plain
    assert literals == [("literal", ("excellent", "good", "fair", "poor"))]
    kpis = {name: 0 for name in Kpis.model_fields}
    with pytest.raises(ValidationError):  # strict: a name cannot pass as a number
        Kpis(**{**kpis, "repos": "zebra-confidential-repo"})
    with pytest.raises(ValidationError):  # closed: no extra field for a name
        Kpis(**kpis, repo_name="zebra")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        AdvisorView(
            generated_at=datetime.now(UTC),
            window_days=30,
            stale_days=30,
            attention_below=70,
            note="zebra",
        )  # type: ignore[call-arg]


def test_report_cli_advisor_view_hides_names(tmp_path: Path) -> None:
    root = _secret_workspace(tmp_path)
    config = write_config(tmp_path, [root])
    full = run_cli("report", "status", "--config", str(config), "--offline")
    assert full.returncode == 0, full.stderr
    assert SECRET_REPO in full.stdout
    for fmt in ("md", "csv", "json"):
        result = run_cli(
            "report", "status", "--config", str(config), "--view", "advisor", "--format", fmt
        )
        assert result.returncode == 0, result.stderr
        assert "Repos" in result.stdout or "repos" in result.stdout
        _assert_no_secret(result.stdout + result.stderr, [str(root)])
    # a viewer in an advisor-tier tenant gets the aggregate view without asking...
    text = (
        config.read_text()
        .replace("role: owner", "role: viewer")
        .replace("tier: internal", "tier: advisor")
    )
    config.write_text(text)
    result = run_cli("report", "status", "--config", str(config), "--attention-below", "90")
    assert result.returncode == 0, result.stderr
    assert "Repos needing attention" in result.stdout
    _assert_no_secret(result.stdout + result.stderr, [str(root)])
    # ...and cannot ask for the full one
    refused = run_cli("report", "status", "--config", str(config), "--view", "team")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1
    assert "not available to role 'viewer' in tier 'advisor'" in refused.stderr
