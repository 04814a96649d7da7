"""Shell completion scripts for bash, zsh and fish, written from the parser's tree.

Each script holds the tree as data (per command path: its sub-commands, its options,
the options that take a value, and the values some of them accept) and one small
function that walks the words typed so far to find the command path. Nothing calls
``coditect`` while completing, so a completion costs no Python start-up.
"""

from __future__ import annotations

from collections.abc import Iterable

from coditect_tui import __version__
from coditect_tui.commands.tree import CommandSpec, OptionSpec


def _posix(word: str) -> str:
    """``word`` single-quoted for bash and zsh."""
    return "'" + word.replace("'", "'\\''") + "'"


def _fish(word: str) -> str:
    """``word`` single-quoted for fish (backslash and quote escaped)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _path(command: CommandSpec) -> str:
    return " ".join(command.path)


def _flags(options: Iterable[OptionSpec], *, values: bool | None = None) -> list[str]:
    return [
        flag
        for option in options
        if values is None or option.takes_value == values
        for flag in option.flags
    ]


def _words(command: CommandSpec) -> list[str]:
    """What a non-option word may be here: sub-commands, then positional choices."""
    words = [sub.path[-1] for sub in command.subcommands]
    for positional in command.positionals:
        words.extend(positional.choices)
    return words


def _takes_files(command: CommandSpec) -> bool:
    """Whether a positional here may be anything (a path, a name): files are offered."""
    return any(not p.choices for p in command.positionals)


def _value_choices(tree: CommandSpec) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (_path(command), flag, option.choices)
        for command in tree.walk()
        for option in command.options
        if option.takes_value and option.choices
        for flag in option.flags
    ]


def _header(shell: str) -> list[str]:
    return [
        f"# {shell} completion for coditect {__version__}",
        f"# generated from its parser by `coditect completion {shell}`; do not edit",
    ]


def bash_script(tree: CommandSpec) -> str:
    """The bash script: ``complete -F _coditect coditect`` (bash 3.2 and later).

    Args:
        tree: the parser's tree (:func:`coditect_tui.commands.tree.full_tree`).

    Returns:
        The script, to source or to put in bash-completion's completions folder.
    """
    lines = [
        *_header("bash"),
        "",
        "# $1: a command path; sets the words, options and value-taking options there",
        "_coditect_spec() {",
        '    case "$1" in',
    ]
    for command in tree.walk():
        lines += [
            f"        {_posix(_path(command))})",
            f"            _coditect_words={_posix(' '.join(_words(command)))}",
            f"            _coditect_opts={_posix(' '.join(_flags(command.options)))}",
            f"            _coditect_vals={_posix(' '.join(_flags(command.options, values=True)))}",
            f"            _coditect_files={int(_takes_files(command))} ;;",
        ]
    lines += [
        "        *) return 1 ;;",
        "    esac",
        "}",
        "",
        "# $1: a command path, $2: an option that takes a value; prints the values it accepts",
        "_coditect_choices() {",
        '    case "$1|$2" in',
    ]
    for path, flag, choices in _value_choices(tree):
        lines.append(f"        {_posix(f'{path}|{flag}')}) echo {_posix(' '.join(choices))} ;;")
    lines += [
        "    esac",
        "}",
        "",
        "_coditect() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" path="" i word choices',
        "    local _coditect_words _coditect_opts _coditect_vals _coditect_files",
        '    _coditect_spec ""',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        word="${COMP_WORDS[i]}"',
        '        if [[ " $_coditect_vals " == *" $word "* ]]; then',
        "            ((i++))",
        '        elif [[ $word != -* && " $_coditect_words " == *" $word "* ]]; then',
        '            _coditect_spec "${path:+$path }$word" && path="${path:+$path }$word"',
        "        fi",
        "    done",
        '    _coditect_spec "$path"',
        "    if ((i == COMP_CWORD + 1)); then  # the word is the value of the option before it",
        '        choices="$(_coditect_choices "$path" "${COMP_WORDS[COMP_CWORD - 1]}")"',
        "        if [[ -n $choices ]]; then",
        '            COMPREPLY=($(compgen -W "$choices" -- "$cur"))',
        "        else",
        "            compopt -o filenames 2>/dev/null",
        '            COMPREPLY=($(compgen -f -- "$cur"))',
        "        fi",
        "    elif [[ $cur == -* ]]; then",
        '        COMPREPLY=($(compgen -W "$_coditect_opts" -- "$cur"))',
        "    else",
        '        COMPREPLY=($(compgen -W "$_coditect_words" -- "$cur"))',
        "        if ((${#COMPREPLY[@]} == 0 && _coditect_files)); then",
        "            compopt -o filenames 2>/dev/null",
        '            COMPREPLY=($(compgen -f -- "$cur"))',
        "        fi",
        "    fi",
        "}",
        "",
        "complete -F _coditect coditect",
        "",
    ]
    return "\n".join(lines)


def _described(name: str, help: str) -> str:
    """A ``name:help`` entry of zsh's ``_describe`` (a colon in the name escaped)."""
    return _posix(f"{name.replace(':', chr(92) + ':')}:{help}")


def zsh_script(tree: CommandSpec) -> str:
    """The zsh script: a ``#compdef coditect`` function (fpath) that also works sourced.

    Args:
        tree: the parser's tree.

    Returns:
        The script, to save as ``_coditect`` in a folder of ``$fpath``, or to source after
        ``compinit``.
    """
    lines = [
        "#compdef coditect",
        *_header("zsh"),
        "",
        "# $1: a command path; sets its sub-commands and options (name:help), the other",
        "# words a positional takes, the options that take a value, whether files fit",
        "_coditect_spec() {",
        "    case $1 in",
    ]
    for command in tree.walk():
        subs = " ".join(_described(s.path[-1], s.help) for s in command.subcommands)
        opts = " ".join(
            _described(flag, option.help) for option in command.options for flag in option.flags
        )
        pos = " ".join(_posix(c) for p in command.positionals for c in p.choices)
        vals = " ".join(_posix(f) for f in _flags(command.options, values=True))
        lines += [
            f"        ({_posix(_path(command))})",
            f"            _coditect_subs=({subs})",
            f"            _coditect_opts=({opts})",
            f"            _coditect_pos=({pos})",
            f"            _coditect_vals=({vals})",
            f"            _coditect_files={int(_takes_files(command))} ;;",
        ]
    lines += [
        "        (*) return 1 ;;",
        "    esac",
        "}",
        "",
        "# $1: a command path, $2: an option that takes a value; sets reply to its values",
        "_coditect_choices() {",
        '    case "$1|$2" in',
    ]
    for path, flag, choices in _value_choices(tree):
        values = " ".join(_posix(c) for c in choices)
        lines.append(f"        ({_posix(f'{path}|{flag}')}) reply=({values}) ;;")
    lines += [
        "        (*) reply=() ;;",
        "    esac",
        "}",
        "",
        "_coditect() {",
        "    local -a _coditect_subs _coditect_opts _coditect_pos _coditect_vals reply",
        "    local _coditect_files cmdpath='' word i ret=1",
        "    _coditect_spec ''",
        "    for (( i = 2; i < CURRENT; i++ )); do",
        "        word=${words[i]}",
        "        if (( ${_coditect_vals[(Ie)$word]} )); then",
        "            (( i++ ))",
        "        elif [[ $word != -* ]] && (( ${_coditect_subs[(I)${(b)word}:*]} )); then",
        '            _coditect_spec "${cmdpath:+$cmdpath }$word" && '
        'cmdpath="${cmdpath:+$cmdpath }$word"',
        "        fi",
        "    done",
        '    _coditect_spec "$cmdpath"',
        "    if (( i == CURRENT + 1 )); then  # the word is the value of the option before it",
        '        _coditect_choices "$cmdpath" "${words[CURRENT-1]}"',
        "        if (( $#reply )); then compadd -a reply; else _files; fi",
        "    elif [[ $PREFIX == -* ]]; then",
        "        _describe -t options option _coditect_opts",
        "    else",
        "        (( $#_coditect_subs )) && _describe -t commands command _coditect_subs && ret=0",
        "        (( $#_coditect_pos )) && compadd -a _coditect_pos && ret=0",
        "        (( ret && _coditect_files )) && _files",
        "    fi",
        "}",
        "",
        'if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _coditect "$@"',
        "else compdef _coditect coditect; fi",
        "",
    ]
    return "\n".join(lines)


def fish_script(tree: CommandSpec) -> str:
    """The fish script: ``complete -c coditect`` lines, each for one command path.

    Args:
        tree: the parser's tree.

    Returns:
        The script, to save as ``~/.config/fish/completions/coditect.fish``.
    """
    lines = [
        *_header("fish"),
        "",
        "set -g __coditect_paths " + " ".join(_fish(_path(c)) for c in tree.walk()[1:]),
        "",
        "# $argv[1]: a command path; sets its sub-commands and value-taking options",
        "function __coditect_spec --argument-names cmdpath",
        '    switch "$cmdpath"',
    ]
    for command in tree.walk():
        subs = " ".join(_fish(s.path[-1]) for s in command.subcommands)
        vals = " ".join(_fish(f) for f in _flags(command.options, values=True))
        lines += [
            f"        case {_fish(_path(command))}",
            f"            set -g __coditect_subs {subs}",
            f"            set -g __coditect_vals {vals}",
        ]
    lines += [
        "        case '*'",
        "            return 1",
        "    end",
        "end",
        "",
        "# the command path of the words before the cursor (kept for the same command line)",
        "function __coditect_path",
        "    set -l line (commandline -cp)",
        '    if test "$line" = "$__coditect_line"',
        "        echo $__coditect_cached",
        "        return",
        "    end",
        "    set -l tokens (commandline -opc)",
        "    set -e tokens[1]",
        "    set -l cmdpath ''",
        "    set -l skip 0",
        "    __coditect_spec ''",
        "    for word in $tokens",
        "        if test $skip -eq 1",
        "            set skip 0",
        "        else if contains -- $word $__coditect_vals",
        "            set skip 1",
        "        else if not string match -q -- '-*' $word; and contains -- $word $__coditect_subs",
        '            set -l next (string trim -- "$cmdpath $word")',
        "            if contains -- $next $__coditect_paths",
        "                set cmdpath $next",
        "                __coditect_spec $next",
        "            end",
        "        end",
        "    end",
        '    set -g __coditect_line "$line"',
        '    set -g __coditect_cached "$cmdpath"',
        "    echo $cmdpath",
        "end",
        "",
        "function __coditect_at --argument-names want",
        "    set -l here (__coditect_path)",
        '    test "$here" = "$want"',
        "end",
        "",
        "complete -c coditect -f",
    ]
    for command in tree.walk():
        at = "-n " + _fish(f"__coditect_at {_fish(_path(command))}")
        for sub in command.subcommands:
            lines.append(f"complete -c coditect {at} -a {_fish(sub.path[-1])} -d {_fish(sub.help)}")
        for positional in command.positionals:
            if positional.choices:
                words = _fish(" ".join(positional.choices))
                lines.append(f"complete -c coditect {at} -a {words} -d {_fish(positional.help)}")
        if _takes_files(command):
            lines.append(f"complete -c coditect {at} -F")
        for option in command.options:
            spec = []
            for flag in option.flags:
                if flag.startswith("--"):
                    spec.append(f"-l {flag[2:]}")
                elif len(flag) == 2:
                    spec.append(f"-s {flag[1]}")
                else:
                    spec.append(f"-o {flag[1:]}")
            if option.choices:
                spec.append(f"-x -a {_fish(' '.join(option.choices))}")
            elif option.takes_value:
                spec.append("-r -F")
            lines.append(f"complete -c coditect {at} {' '.join(spec)} -d {_fish(option.help)}")
    lines.append("")
    return "\n".join(lines)


def script(shell: str, tree: CommandSpec) -> str:
    """The completion script of ``shell`` (one of :data:`SHELLS`)."""
    writers = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}
    return writers[shell](tree)
