"""``change_groups`` under random sequences of changes: the file always holds exactly the
groups asked for, every comment and every other key stays, and it stays valid."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coditect_tui.core.groups_file import change_groups
from coditect_tui.core.settings import load_settings
from coditect_tui.core.yamlio import scalar

CONFIG = """\
# top comment
default_tenant: a
tenants:
  - name: a   # first
    role: owner
    workspace_roots: []
    # inside a
  - name: b
    workspace_roots: []   # b's roots
    groups:
      old:   # a group with a comment
        - x  # an item comment
        - y
# between
ui:
  theme: coditect-dark  # end
"""

NAMES = st.sampled_from(["g", "old", "web", "yes", "1", "café", "a.b-c"])
ENTRIES = st.sampled_from(["x", "y", "client/api", "null", "~/p", "we ird", "a\x1bb", "é"])
STEP = st.tuples(
    st.sampled_from(["a", "b"]), st.sampled_from(["add", "remove", "delete"]), NAMES, ENTRIES
)


def _apply(groups: dict[str, list[str]], verb: str, name: str, entry: str) -> dict[str, list[str]]:
    if verb == "add":
        entries = groups.setdefault(name, [])
        if entry not in entries:
            entries.append(entry)
    elif verb == "remove" and name in groups:
        groups[name] = [e for e in groups[name] if e != entry]
    elif verb == "delete":
        groups.pop(name, None)
    return groups


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(STEP, max_size=8))
def test_any_sequence_keeps_comments_and_gives_the_groups_asked(
    tmp_path: Path, steps: list[tuple[str, str, str, str]]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    expected = {"a": {}, "b": {"old": ["x", "y"]}}
    for tenant, verb, name, entry in steps:
        change_groups(config, tenant, lambda g, v=verb, n=name, e=entry: _apply(g, v, n, e))
        _apply(expected[tenant], verb, name, entry)
        loaded = load_settings(config, env={}).settings
        assert {t: loaded.profile(t).groups for t in "ab"} == expected
    text = config.read_text()
    for comment in ("# top comment", "# first", "# inside a", "# b's roots", "# between", "# end"):
        assert comment in text
    assert load_settings(config, env={}).settings.ui.theme == "coditect-dark"


def test_scalars_read_back_as_the_same_string() -> None:
    import yaml

    for value in ("yes", "null", "1", "1.5", "~", "-x", "a: b", "#c", "x\x1b\x9by", "\u202e", "é"):
        assert yaml.safe_load(scalar(value)) == value, value
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in scalar(value))
    assert scalar("client/api") == "client/api"
    assert json.loads(scalar("a\x9b")) == "a\x9b"
