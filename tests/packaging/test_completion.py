"""``coditect completion bash|zsh|fish``: the scripts complete what the parser has.

bash runs the script for real (``complete -F``'s function with ``COMP_WORDS`` and
``compgen``); zsh runs it with the completion system's builtins replaced by printers
(``_describe``, ``compadd``, ``_files``: they only exist inside a completion widget);
fish completes with ``complete -C``, its own completion machinery. Where zsh or fish is
not installed, the script's data is checked against the parser instead.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from coditect_tui.cli import main
from coditect_tui.commands.tree import CommandSpec, full_tree

TREE = full_tree()
#: command paths with sub-commands (``""`` is ``coditect`` itself)
PARENTS = {" ".join(c.path): c for c in TREE.walk() if c.subcommands}


def script(shell: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["completion", shell]) == 0
    path = tmp_path / f"coditect.{shell}"
    path.write_text(capsys.readouterr().out)
    return path


def names(command: CommandSpec) -> list[str]:
    return [sub.path[-1] for sub in command.subcommands]


BASH_DRIVER = r"""
source "$1"; shift
for line in "$@"; do
    read -ra COMP_WORDS <<< "$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _coditect
    echo "${COMPREPLY[*]}"
done
"""


def bash(path: Path, *lines: str) -> list[set[str]]:
    """What the script offers for each line, run in an empty folder (for file names)."""
    empty = path.parent / "empty"
    empty.mkdir(exist_ok=True)
    run = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", BASH_DRIVER, "bash", str(path), *lines],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=empty,
    )
    assert run.stderr == ""
    return [set(out.split()) for out in run.stdout.splitlines()]


def test_bash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = script("bash", tmp_path, capsys)
    (tmp_path / "notes.txt").write_text("")
    queries = {
        "coditect se": {"serve", "session"},
        "coditect --config x.yaml se": {"serve", "session"},
        "coditect --tenant se se": {"serve", "session"},  # 'se' after --tenant is its value
        "coditect mi": {"migrate"},
        "coditect serve --log": {"--log-level"},
        "coditect serve --log-level ": {"critical", "error", "warning", "info", "debug"},
        "coditect serve --log-level w": {"warning"},
        "coditect status --format ": {"table", "json", "csv", "markdown"},
        "coditect completion ": {"bash", "zsh", "fish"},
        "coditect migrate --d": {"--dry-run"},
        "coditect nosuch ": set(names(TREE)),  # an unknown word changes nothing
        f"coditect status {tmp_path}/no": {f"{tmp_path}/notes.txt"},  # PATH: files
        "coditect serve --port ": set(),  # a value without choices: files (none here)
        "coditect --config ": set(),
    }
    queries |= {f"coditect {path} ": set(names(command)) for path, command in PARENTS.items()}
    results = bash(path, *queries)
    for (line, expected), got in zip(queries.items(), results, strict=True):
        assert got == expected, line
    # every option of every command, completed from its first letters
    commands = [c for c in TREE.walk() if c.options]
    lines = [f"coditect {' '.join(c.path)} --".replace("  ", " ") for c in commands]
    for command, got in zip(commands, bash(path, *lines), strict=True):
        assert got == {f for o in command.options for f in o.flags if f.startswith("--")}


ZSH_DRIVER = r"""
compdef() { : }
_describe() { local -a entries; entries=("${(@P)4}"); print -rl -- "${entries[@]%%:*}" }
compadd() { if [[ $1 == -a ]]; then print -rl -- "${(@P)2}"; else print -rl -- "$@"; fi }
_files() { print -- "<files>" }
source "$1"
words=("${(@s: :)2}")
CURRENT=${#words}
PREFIX=${words[CURRENT]}
_coditect
"""


def test_zsh(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = script("zsh", tmp_path, capsys)
    text = path.read_text()
    assert text.startswith("#compdef coditect\n")
    for command in TREE.walk():
        assert f"        ('{' '.join(command.path)}')\n" in text
    if shutil.which("zsh") is None:  # the data above is what can be checked without zsh
        return
    subprocess.run(["zsh", "-n", str(path)], check=True, timeout=60)

    def complete(line: str) -> list[str]:
        run = subprocess.run(
            ["zsh", "-f", "-c", ZSH_DRIVER, "zsh", str(path), line],
            capture_output=True,
            text=True,
            timeout=60,
        )  # its status is the last test's, not a failure
        assert run.stderr == ""
        return run.stdout.split()

    # zsh filters by the typed prefix itself: the function offers the level's words
    assert complete("coditect se") == names(TREE)
    assert complete("coditect --config x session ") == names(PARENTS["session"])
    assert complete("coditect serve --log-level ") == [
        "critical",
        "error",
        "warning",
        "info",
        "debug",
    ]
    assert complete("coditect completion ") == ["bash", "zsh", "fish"]
    assert complete("coditect status ") == ["<files>"]
    assert "--dry-run" in complete("coditect migrate --")


def test_fish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = script("fish", tmp_path, capsys)
    text = path.read_text()
    for command in TREE.walk():
        for sub in command.subcommands:
            at = "'__coditect_at \\'" + " ".join(command.path) + "\\''"
            assert f"complete -c coditect -n {at} -a '{sub.path[-1]}' -d " in text
    if shutil.which("fish") is None:  # the data above is what can be checked without fish
        return

    def complete(line: str) -> list[str]:
        run = subprocess.run(
            ["fish", "--no-config", "-c", f"source {path}; complete -C'{line}'"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert run.stderr == ""
        return [out.split("\t")[0] for out in run.stdout.splitlines()]

    assert sorted(complete("coditect se")) == ["serve", "session"]
    assert sorted(complete("coditect --config x keys ")) == sorted(names(PARENTS["keys"]))
    assert sorted(complete("coditect keys list --f")) == ["--format"]
    assert sorted(complete("coditect serve --log-level ")) == sorted(
        ["critical", "error", "warning", "info", "debug"]
    )
    assert sorted(complete("coditect completion ")) == ["bash", "fish", "zsh"]
