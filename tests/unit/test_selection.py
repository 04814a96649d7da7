"""Selection filters and the marked set (core/selection.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coditect_tui.core.git.health import Health
from coditect_tui.core.git.status import RepoStatus
from coditect_tui.core.selection import (
    STATES,
    Selection,
    SelectionFilter,
    matches,
    name_matches,
)
from coditect_tui.core.workspace_view import RepoView


def _status(name: str, **fields: object) -> RepoStatus:
    return RepoStatus(path=f"/w/{name}", name=name, **fields)  # type: ignore[arg-type]


CLEAN = _status("clean", health=Health(100))
DIRTY = _status("dirty", changed=2, health=Health(90))
UNTRACKED = _status("untracked", untracked=1, health=Health(95))
AHEAD = _status("ahead", ahead=3, health=Health(85))
BEHIND = _status("behind", behind=1, health=Health(90))
DIVERGED = _status("diverged", ahead=1, behind=2, health=Health(75))
CONFLICT = _status("conflict", conflicted=1, changed=1, health=Health(40))
DETACHED = _status("detached", detached=True, health=Health(60), category="lib")
ERRORED = _status("errored", error="not a git repository", ahead=0)
ALL = [CLEAN, DIRTY, UNTRACKED, AHEAD, BEHIND, DIVERGED, CONFLICT, DETACHED, ERRORED]


def _names(flt: SelectionFilter, groups_of=None) -> list[str]:  # type: ignore[no-untyped-def]
    kwargs = {"groups_of": groups_of} if groups_of else {}
    return [s.name for s in ALL if matches(s, flt, **kwargs)]


def test_empty_filter_matches_every_repo_even_unread() -> None:
    assert SelectionFilter().empty
    assert _names(SelectionFilter()) == [s.name for s in ALL]
    assert matches(RepoView(path="/w/x", name="x", project="p"), SelectionFilter())


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("dirty", ["dirty", "untracked", "conflict"]),
        ("ahead", ["ahead", "diverged"]),
        ("behind", ["behind", "diverged"]),
        ("diverged", ["diverged"]),
        ("conflict", ["conflict"]),
        ("detached", ["detached"]),
    ],
)
def test_each_state(state: str, expected: list[str]) -> None:
    assert _names(SelectionFilter(states=frozenset({state}))) == expected  # type: ignore[arg-type]


def test_states_or_within_and_across_fields() -> None:
    flt = SelectionFilter(states=frozenset({"ahead", "detached"}))
    assert _names(flt) == ["ahead", "diverged", "detached"]
    flt = SelectionFilter(states=frozenset({"ahead", "detached"}), categories=frozenset({"lib"}))
    assert _names(flt) == ["detached"]


def test_bands() -> None:
    assert _names(SelectionFilter(bands=frozenset({"poor"}))) == ["conflict"]
    assert _names(SelectionFilter(bands=frozenset({"fair", "good"}))) == [
        "ahead",
        "diverged",
        "detached",
    ]


def test_unknown_state_or_band_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown state 'stale'"):
        SelectionFilter(states=frozenset({"stale"}))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown health band 'great'"):
        SelectionFilter(bands=frozenset({"great"}))  # type: ignore[arg-type]


def test_groups_name_and_exact_repos() -> None:
    groups = {"/w/ahead": frozenset({"web"}), "/w/clean": frozenset({"web", "ops"})}

    def groups_of(path: str) -> frozenset[str]:
        return groups.get(path, frozenset())

    assert _names(SelectionFilter(groups=frozenset({"web"})), groups_of) == ["clean", "ahead"]
    assert _names(SelectionFilter(groups=frozenset({"web"}))) == []  # default: no groups
    assert _names(SelectionFilter(name="DI")) == ["dirty", "diverged"]
    assert _names(SelectionFilter(name="d*d")) == ["diverged", "detached"]
    assert _names(SelectionFilter(repos=frozenset({"ahead", "/w/behind", "nope"}))) == [
        "ahead",
        "behind",
    ]


def test_unread_view_matches_by_name_but_no_state() -> None:
    view = RepoView(path="/w/api", name="api", project="p", category="svc")
    assert matches(view, SelectionFilter(name="ap", categories=frozenset({"svc"})))
    assert not matches(view, SelectionFilter(states=frozenset({"dirty"})))
    view.status = _status("api", changed=1)
    assert matches(view, SelectionFilter(states=frozenset({"dirty"})))


def test_name_glob_vs_substring() -> None:
    assert name_matches("api-gateway", "GATE")
    assert not name_matches("api-gateway", "gate*")
    assert name_matches("api-gateway", "api-*")
    assert name_matches("x", "")


def test_selection_keeps_insertion_order() -> None:
    sel = Selection()
    for p in ("c", "a", "b", "a"):
        sel.add(p)
    assert sel.paths == ("c", "a", "b")
    assert len(sel) == 3
    sel.remove("a")
    sel.remove("zzz")
    assert sel.paths == ("c", "b")
    assert sel.toggle("a") is True
    assert sel.toggle("c") is False
    assert sel.paths == ("b", "a")
    assert "b" in sel and "c" not in sel
    sel.clear()
    assert len(sel) == 0 and sel.paths == ()


def test_toggle_range_either_direction() -> None:
    rows = ["a", "b", "c", "d", "e"]
    sel = Selection(["c"])
    assert sel.toggle_range(rows, "d", "b") is True
    assert sel.paths == ("c", "b", "d")
    assert sel.toggle_range(rows, "b", "d") is False
    assert sel.paths == ()
    with pytest.raises(ValueError, match="'x' is not among the rows"):
        sel.toggle_range(rows, "a", "x")


def test_select_matching_adds_only() -> None:
    sel = Selection(["/w/clean"])
    added = sel.select_matching(ALL, SelectionFilter(states=frozenset({"behind"})))
    assert added == 2
    assert sel.paths == ("/w/clean", "/w/behind", "/w/diverged")
    assert sel.select_matching(ALL, SelectionFilter(states=frozenset({"behind"}))) == 0


# -- properties ---------------------------------------------------------------------------

_paths = st.lists(st.text(min_size=1, max_size=4), unique=True, min_size=1, max_size=12)


@given(rows=_paths, data=st.data())
def test_toggle_range_selects_exactly_the_block(rows: list[str], data: st.DataObject) -> None:
    pre = data.draw(st.lists(st.sampled_from(rows), unique=True))
    a = data.draw(st.integers(0, len(rows) - 1))
    b = data.draw(st.integers(0, len(rows) - 1))
    sel = Selection(pre)
    selected = sel.toggle_range(rows, rows[a], rows[b])
    block = set(rows[min(a, b) : max(a, b) + 1])
    assert all((p in sel) is selected for p in block)
    assert {p for p in sel.paths if p not in block} == set(pre) - block
    # order: what was there stays first, in its order
    kept = [p for p in pre if p in sel]
    assert list(sel.paths[: len(kept)]) == kept
    assert selected is not block.issubset(pre)


@given(ops=st.lists(st.tuples(st.sampled_from(["add", "remove", "toggle"]), st.text(max_size=2))))
def test_selection_is_an_ordered_set(ops: list[tuple[str, str]]) -> None:
    sel = Selection()
    model: list[str] = []
    for op, p in ops:
        getattr(sel, op)(p)
        if op == "add" and p not in model:
            model.append(p)
        elif op == "remove" and p in model:
            model.remove(p)
        elif op == "toggle":
            if p in model:
                model.remove(p)
            else:
                model.append(p)
    assert list(sel.paths) == model
    assert len(sel) == len(model)


_statuses = st.builds(
    RepoStatus,
    path=st.text(min_size=1, max_size=5),
    name=st.text(min_size=1, max_size=5),
    ahead=st.integers(0, 3),
    behind=st.integers(0, 3),
    changed=st.integers(0, 2),
    untracked=st.integers(0, 2),
    conflicted=st.integers(0, 1),
    detached=st.booleans(),
    health=st.one_of(st.none(), st.integers(0, 100).map(Health)),
    error=st.one_of(st.none(), st.just("boom")),
)


@given(
    status=_statuses,
    a=st.frozensets(st.sampled_from(STATES)),
    b=st.frozensets(st.sampled_from(STATES)),
)
def test_states_union_is_or(status: RepoStatus, a: frozenset, b: frozenset) -> None:  # type: ignore[type-arg]
    both = matches(status, SelectionFilter(states=a | b))
    if not a or not b:
        return  # an empty field means "any"
    assert both == (
        matches(status, SelectionFilter(states=a)) or matches(status, SelectionFilter(states=b))
    )


@given(status=_statuses, states=st.frozensets(st.sampled_from(STATES), min_size=1))
def test_errored_status_matches_no_state(status: RepoStatus, states: frozenset) -> None:  # type: ignore[type-arg]
    if status.error is not None:
        assert not matches(status, SelectionFilter(states=states))
