"""The commands: section of the config: every bad entry is one line with file, line, key."""

from __future__ import annotations

from pathlib import Path

import pytest

from coditect_tui.core.errors import ConfigError
from coditect_tui.core.settings import load_settings

HEAD = """\
tenants:
  - name: t1
ui:
  keymap: {app.refresh: "R"}
commands:
  - name: ok
    command: [git, -C, "{path}", status]
"""


def _load(tmp_path: Path, entry: str) -> str:
    config = tmp_path / "config.yaml"
    config.write_text(HEAD + entry)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{config}:")
    return message


@pytest.mark.parametrize(
    ("entry", "line", "words"),
    [
        ("  - name: x\n    command: [echo, '{nope}']\n", 9, "unknown placeholder {nope}"),
        ("  - name: x\n    command: [echo, 'a{b']\n", 9, "lone '{'"),
        ('  - name: x\n    command: "echo \'open"\n', 9, "closing quotation"),
        ("  - name: x\n    command: ['{path}/run']\n", 9, "program may not be a placeholder"),
        (
            "  - name: x\n    command: [python3, -c, 'print(\"{repo}\")']\n",
            9,
            "python3 reads code",
        ),
        (
            "  - name: x\n    command: [sh, -c, 'echo \"{repo}\"']\n",
            9,
            "{repo} is inside double quotes",
        ),
        ("  - name: x\n    command: [sh, -c, \"echo '{repo}'\"]\n", 9, "inside single quotes"),
        ("  - name: x\n    command: [bash, -ec, 'echo `{branch}`']\n", 9, "inside backticks"),
        ("  - name: x\n    command: [sh, -c, 'echo ${{x:-{repo}}}']\n", 9, "inside ${…}"),
        ("  - name: x\n    command: [sh, -c, 'echo $(( {repo} ))']\n", 9, "inside $((…))"),
        ("  - name: x\n    command: [sh, -c, 'cat <<E\n{repo}\nE']\n", 9, "here-document"),
        ("  - name: x\n    command: [env, A=1, sh, -c, 'x \\{repo}']\n", 9, "backslash"),
        ("  - name: x\n    command: [sh, -c, 'ls # {repo}']\n", 9, "inside a # comment"),
        ("  - name: x\n    command: [bash, -c, \"echo $'\\\\' {repo} '\"]\n", 9, "$'…' quoting"),
        ("  - name: x\n    command: [sh, -c, '(( {repo} ))']\n", 9, "runs '(('"),
        ("  - name: x\n    command: [sh, -c, 'let n={repo}']\n", 9, "runs 'let'"),
        ("  - name: x\n    command: [bash, -c, 'printf -v {repo} x']\n", 9, "runs 'printf -v'"),
        ("  - name: x\n    command: [bash, -c, 'read {repo}']\n", 9, "runs 'read'"),
        ("  - name: x\n    command: [sh, -c, '[[ -n {repo} ]]']\n", 9, "runs '[['"),
        ("  - name: x\n    command: [sh, -c, 'cd /; eval {repo}']\n", 9, "runs 'eval'"),
        ("  - name: x\n    command: [bash, -c, 'sh -c {repo}']\n", 9, "runs 'sh'"),
        ("  - name: x\n    command: [bash, -c, 'ssh host ls {path}']\n", 9, "runs 'ssh'"),
        ("  - name: x\n    command: [timeout, '5', perl, -e, '{repo}']\n", 9, "perl reads code"),
        ("  - name: x\n    command: [xargs, python3, '{path}']\n", 9, "python3 reads code"),
        ("  - name: x\n    scope: tenant\n    command: [ls, '{path}']\n", 8, "{path} has no value"),
        ("  - name: x\n    command: [ls]\n    output: popup\n", 10, "commands.1.output"),
        ("  - name: x\n    command: [ls]\n    mutatng: false\n", 10, "did you mean 'mutating'"),
        ("  - name: x\n    command: []\n", 9, "commands.1.command"),
        ("  - name: x\n    command: [ls]\n    key: 's'\n", 10, "app's key for session.start"),
        ("  - name: x\n    command: [ls]\n    key: R\n", 10, "app's key for app.refresh"),
        ("  - name: x\n    command: [ls]\n    key: ctrl+p\n", 10, "the command palette"),
        ("  - name: x\n    command: [ls]\n    key: 'ctrl+'\n", 10, "is not a key name"),
        ("  - name: ok\n    command: [ls]\n", 8, "'ok' is already commands.0"),
        (
            "  - name: a\n    command: [ls]\n    key: z\n"
            "  - name: b\n    command: [ls]\n    key: z\n",
            13,
            "already commands.1.key",
        ),
        ('  - name: "a\\tb"\n    command: [ls]\n', 8, "printable text"),
    ],
)
def test_a_bad_entry_is_one_line_with_its_line(
    tmp_path: Path, entry: str, line: int, words: str
) -> None:
    message = _load(tmp_path, entry)
    assert f"config.yaml:{line}:" in message, message
    assert words in message, message
    assert "commands.1" in message or "unknown key" in message, message


def test_good_entries_load_with_their_defaults(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        HEAD
        + "  - name: log\n    key: z\n    command: git log -1 --format=%s {branch}\n"
        + "  - name: where\n    scope: tenant\n    mutating: false\n    output: panel\n"
        + "    command: [sh, -c, 'echo {tenant} $(ls {{}} | wc -l) \"$1\"', sh, '{tenant}']\n"
        + "  - name: r\n    key: r\n    command: [ls]\n"  # r is free: app.refresh moved to R
    )
    commands = load_settings(config, env={}).settings.commands
    ok, log, where, _ = commands
    assert (ok.scope, ok.mutating, ok.confirm, ok.output) == ("repo", True, False, "notify")
    assert log.command == ["git", "log", "-1", "--format=%s", "{branch}"]
    assert where.scope == "tenant" and where.output == "panel" and not where.mutating
