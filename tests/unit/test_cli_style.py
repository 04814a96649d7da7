"""One CLI style everywhere: the parser is walked so a new command cannot drift from it,
the README's command table is checked against the parser, and the commands that change
things print one JSON object with ``--json`` (real stores, real files)."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from coditect_tui.cli import build_parser, main
from coditect_tui.commands.output import ALIASES, FORMATS, SHORTHANDS
from tests.conftest import REPO_ROOT
from tests.git.helpers import write_config

#: Leaf commands without machine-readable output, and why.
NO_OUTPUT = {
    ("serve",): "runs the server until interrupted; prints one start line",
    ("web",): "serves the app to browsers until interrupted",
    ("completion",): "prints a shell script",
    ("man",): "prints the man page (roff)",
}


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:  # type: ignore[type-arg]
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def _leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    sub = _subparsers(parser)
    if sub is None:
        yield path, parser
        return
    for name, child in sub.choices.items():
        yield from _leaves(child, (*path, name))


LEAVES = dict(_leaves(build_parser()))


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {flag: action for action in parser._actions for flag in action.option_strings}


@pytest.mark.parametrize("path", sorted(LEAVES), ids=" ".join)
def test_every_command_follows_the_output_style(path: tuple[str, ...]) -> None:
    parser = LEAVES[path]
    options = _options(parser)
    format_like = {"--format", "--jsonl", "--table", *(f"--{n}" for n in (*SHORTHANDS, *ALIASES))}
    flags = format_like & set(options)
    if path in NO_OUTPUT:
        assert not flags, f"{path} prints no machine-readable output, yet has {flags}"
        return
    formats = parser._defaults.get("output_formats")
    assert formats, f"coditect {' '.join(path)}: no --format (use output.add_format_options)"
    assert set(formats) <= set(FORMATS) and {"json", "jsonl"} & set(formats)
    wanted = {"--format"} | {f"--{name}" for name in SHORTHANDS if name in formats}
    assert flags == wanted, path
    actions = {options[flag] for flag in wanted}
    assert {a.dest for a in actions} == {"format"}
    groups = [g for g in parser._mutually_exclusive_groups if actions <= set(g._group_actions)]
    assert groups, f"{path}: --format and its shorthands are not mutually exclusive"
    fmt = options["--format"]
    assert fmt.metavar == "FMT"
    assert not any(re.search(rf"\b{alias}\b", fmt.help or "") for alias in ALIASES)
    # every format and every alias parses to the canonical name; the shorthands too
    for name in formats:
        assert parser.parse_args(_positionals(parser, "--format", name)).format == name
    for alias, name in ALIASES.items():
        if name in formats:
            args = parser.parse_args(_positionals(parser, "--format", alias.upper()))
            assert args.format == name
    for name in SHORTHANDS:
        if name in formats:
            assert parser.parse_args(_positionals(parser, f"--{name}")).format == name


def _positionals(parser: argparse.ArgumentParser, *flags: str) -> list[str]:
    """``flags`` plus a placeholder for each required positional argument."""
    needed = [
        "x"
        for a in parser._actions
        if not a.option_strings and a.nargs not in ("*", "?") and a.required
    ]
    return [*flags, *needed]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["tenants", "--format", "xml"],
            "'xml' is not a format of this command (choose table, json)",
        ),
        (["status", "--json", "--csv"], "argument --csv: not allowed with argument --json"),
        (["audit", "export", "--format", "json"], "'json' is not a format of this command"),
    ],
)
def test_an_unknown_or_doubled_format_is_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err, err


def test_init_help_shows_only_the_options_that_apply(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["init", "--help"])
    out = capsys.readouterr().out
    assert "--config FILE" in out and "--read-only" in out and "--json" in out
    assert "--tenant" not in out


def test_serve_offers_no_read_only(capsys: pytest.CaptureFixture[str]) -> None:
    """The server has no read-only mode: not offered, and refused before the command."""
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--config FILE" in out and "--tenant NAME" in out and "--read-only" not in out
    assert main(["--read-only", "serve", "--db", "unused.db"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("coditect: error: serve has no --read-only")
    assert err.count("\n") == 1


def _readme_rows() -> dict[str, set[str]]:
    """README's command table: command -> the actions its rows name."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Commands", 1)[1].split("\n\n", 2)[1]
    rows: dict[str, set[str]] = {}
    for line in table.splitlines()[2:]:
        cell = re.split(r"(?<!\\)\|", line)[1].strip().strip("`")
        words = cell.split()
        assert words[0] == "coditect", line
        if len(words) == 1 or words[1].startswith(("[", "-")):
            rows.setdefault("", set())
            continue
        command = words[1]
        actions = rows.setdefault(command, set())
        if len(words) > 2 and re.fullmatch(r"[a-z-]+(\\\|[a-z-]+)*", words[2]):
            actions |= set(words[2].split("\\|"))
    return rows


def test_readme_command_table_lists_every_command() -> None:
    parser = build_parser()
    sub = _subparsers(parser)
    assert sub is not None
    expected: dict[str, set[str]] = {"": set()}
    for name, child in sub.choices.items():
        actions = _subparsers(child)
        expected[name] = set(actions.choices) if actions else set()
    assert _readme_rows() == expected


def _documented_formats() -> dict[tuple[str, ...], tuple[str, ...] | None]:
    """docs/cli.md's table of formats: command path -> formats (None: no output)."""
    text = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    table = text.split("| command | formats (default first) |", 1)[1].split("\n\n", 1)[0]
    documented: dict[tuple[str, ...], tuple[str, ...] | None] = {}
    for line in table.strip().splitlines()[1:]:
        commands, formats = (cell.strip() for cell in line.strip("|").split("|"))
        names = None if formats.startswith("none") else formats.split(" (")[0].split(", ")
        group: tuple[str, ...] = ()
        for item in re.findall(r"`([^`]+)`", commands):
            words = tuple(item.split())
            path = words if len(words) > 1 or not group else (*group, *words)
            group = path[:1]
            documented[path] = tuple(names) if names else None
    return documented


def test_docs_list_the_formats_of_every_command() -> None:
    actual = {path: parser._defaults.get("output_formats") for path, parser in LEAVES.items()}
    assert _documented_formats() == actual


# -- --json on the commands that change things ----------------------------------------------


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(list(argv)) == 0
    out, err = capsys.readouterr()
    assert out.startswith("{") and out.endswith("}\n"), (out, err)
    document = json.loads(out)
    assert isinstance(document, dict)
    return document


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code != 0 and out == "" and err.count("\n") == 1, (code, out, err)
    return err


def test_init_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "code"
    root.mkdir()
    config = tmp_path / "cfg" / "config.yaml"
    written = _json(capsys, "init", str(root), "--name", "me", "--config", str(config), "--json")
    assert written == {"config": str(config), "tenant": "me", "workspace_roots": [str(root)]}
    assert "already exists" in _refused(
        capsys, "init", str(root), "--config", str(config), "--json"
    )


def test_members_and_keys_json(
    tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = ["--config", str(write_config(tmp_path, []))]
    added = _json(capsys, "members", "add", "bob", "viewer", "--json", *c)
    assert (added["name"], added["role"]) == ("bob", "viewer")
    changed = _json(capsys, "members", "set-role", "bob", "editor", "--format", "json", *c)
    assert (changed["name"], changed["role"]) == ("bob", "editor")
    assert "role" in _refused(capsys, "members", "add", "carl", "nosuchrole", "--json", *c)
    created = _json(capsys, "keys", "create", "--principal", "bob", "--json", *c)
    info = created["info"]
    assert isinstance(info, dict) and info["principal"] == "bob" and created["secret"]
    revoked = _json(capsys, "keys", "revoke", str(info["id"]), "--json", *c)
    assert revoked["id"] == info["id"] and revoked["revoked_at"]
    assert _json(capsys, "members", "remove", "bob", "--json", *c) == {"removed": "bob"}
    _refused(capsys, "members", "remove", "bob", "--json", *c)


def test_checkpoint_and_import_audit_json(
    tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = ["--config", str(write_config(tmp_path, []))]
    assert "--new-key" in _refused(capsys, "audit", "checkpoint", "--json", *c)
    out = tmp_path / "cp.json"
    made = _json(capsys, "audit", "checkpoint", "--new-key", "--out", str(out), "--json", *c)
    assert made["path"] == str(out) and out.is_file() and made["new_key"] is True
    assert made["tenant"] == "t1" and isinstance(made["seq"], int) and made["key_id"]
    verdict = _json(capsys, "audit", "verify", "--checkpoint", str(out), "--json", *c)
    assert verdict["ok"] is True
    empty = tmp_path / "MEMORY-CONTEXT" / "audit-logs"
    empty.mkdir(parents=True)
    imported = _json(capsys, "memory", "import-audit", str(tmp_path), "--json", *c)
    assert imported == {"files": 0, "events_read": 0, "appended": 0, "problems": []}


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--exit-after-paint"],
        ["--theme", "x", "--read-only", "--config", "c.yaml", "--tenant", "t", "--exit-after-live"],
        ["--theme", "a", "--theme", "b"],
        ["--log-file", "debug.log", "--exit-after-paint"],
        ["--theme", ""],
    ],
)
def test_a_plain_app_start_reads_its_options_as_argparse_would(argv: list[str]) -> None:
    from coditect_tui.cli import app_options

    fast = app_options(argv)
    assert fast is not None
    assert vars(fast) == vars(build_parser(with_commands=False).parse_args(argv))


@pytest.mark.parametrize(
    "argv",
    [["--theme=x"], ["--them", "x"], ["--theme"], ["--theme", "-x"], ["--version"], ["--bogus"]],
)
def test_other_spellings_are_left_to_argparse(argv: list[str]) -> None:
    from coditect_tui.cli import app_options

    assert app_options(argv) is None


def test_the_app_start_imports_no_argparse() -> None:
    """argparse and gettext are imports a plain app start would pay for nothing."""
    import subprocess
    import sys

    code = (
        "import sys; from coditect_tui.cli import app_options; "
        "print(app_options(['--read-only']) is not None, 'argparse' in sys.modules)"
    )
    out = subprocess.check_output([sys.executable, "-c", code], text=True, cwd=REPO_ROOT)
    assert out.split() == ["True", "False"]
