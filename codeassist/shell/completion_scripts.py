"""The completion scripts themselves: one renderer per shell from the nodes of completion.py.

Each script finds the command being typed by walking the words before the cursor through the
known command paths (`/model/install`), then offers the values of the option before the
cursor, else options (after `-`), else subcommands and argument values. Words and names are
plain (letters, digits, dashes), so they need no quoting; descriptions were made safe.

File names are the shell's own completion (bash: readline's, through `compopt -o default`;
zsh `_files`; fish `-F`): a name with a space or a newline stays one word, quoted as it must be.
bash's `compgen -f` prints one name a line, so a name with a newline came back as two.
"""

from __future__ import annotations

from codeassist.shell.completion import FILES, Node, Option


def _at(node: Node) -> str:
    return "".join(f"/{part}" for part in node.path)


def _valued(nodes: list[Node]) -> list[tuple[str, Option]]:
    """(path, option) for every option that takes a value."""
    return [(_at(n), o) for n in nodes for o in n.options if o.values is not None]


def bash(nodes: list[Node], prog: str) -> str:
    paths = "|".join(_at(n) for n in nodes if n.path)
    lines = [
        f"# {prog} tab completion for bash: a static script, no process per Tab.",
        "__codeassist_complete() {",
        "    local cur=${COMP_WORDS[COMP_CWORD]} prev= at= i vals= files=",
        "    ((COMP_CWORD > 1)) && prev=${COMP_WORDS[COMP_CWORD-1]}",
        "    [[ $cur == = ]] && { prev=$prev=; cur=; }",
        "    [[ $prev == = && COMP_CWORD -gt 2 ]] && prev=${COMP_WORDS[COMP_CWORD-2]}",
        "    prev=${prev%=}",
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        f'        case "$at/${{COMP_WORDS[i]}}" in {paths}) at=$at/${{COMP_WORDS[i]}} ;; esac',
        "    done",
        '    case "$at $prev" in',
    ]
    for at, option in _valued(nodes):
        pattern = "|".join(f"'{at} {name}'" for name in option.names)
        assert option.values is not None
        if option.values == [FILES]:
            action = "files=1"
        else:
            action = f"vals='{' '.join(option.values)}'" if option.values else "return 0"
        lines.append(f"    {pattern}) {action} ;;")
    lines += ["    *)", "        case $at in"]
    for node in nodes:
        opts = " ".join(name for o in node.options for name in o.names)
        lines.append(f"        '{_at(node)}') vals='{' '.join(node.commands + node.arguments)}'")
        lines.append(f"            [[ $cur == -* ]] && vals='{opts}' ;;")
    lines += [
        "        esac ;;",
        "    esac",
        "    if [[ -n $files ]]; then # no match of ours: readline completes the file name itself",
        "        compopt -o default 2>/dev/null",
        "        COMPREPLY=()",
        "    else",
        '        mapfile -t COMPREPLY < <(compgen -W "$vals" -- "$cur")',
        "    fi",
        "}",
        f"complete -F __codeassist_complete {prog}",
    ]
    return "\n".join(lines) + "\n"


def zsh(nodes: list[Node], prog: str) -> str:
    paths = "|".join(_at(n) for n in nodes if n.path)
    lines = [
        f"# {prog} tab completion for zsh: a static script, no process per Tab.",
        "__codeassist_complete() {",
        "    local cur=${words[CURRENT]} prev=${words[CURRENT-1]} at= i",
        "    local -a vals",
        "    if [[ $cur == --*=* ]]; then prev=${cur%%=*}; compset -P '*='; fi",
        "    for ((i = 2; i < CURRENT; i++)); do",
        f'        case "$at/${{words[i]}}" in ({paths}) at=$at/${{words[i]}} ;; esac',
        "    done",
        '    case "$at $prev" in',
    ]
    for at, option in _valued(nodes):
        pattern = "|".join(f"'{at} {name}'" for name in option.names)
        assert option.values is not None
        if option.values == [FILES]:
            action = "_files; return"
        else:
            action = (
                f"compadd -- {' '.join(option.values)}; return" if option.values else "return 1"
            )
        lines.append(f"    ({pattern}) {action} ;;")
    lines += ["    esac", "    case $at in"]
    for node in nodes:
        opts = " ".join(name for o in node.options for name in o.names)
        lines.append(f"    ('{_at(node)}') vals=({' '.join(node.commands + node.arguments)})")
        lines.append(f"        [[ $cur == -* ]] && vals=({opts}) ;;")
    lines += [
        "    esac",
        "    compadd -- $vals",
        "}",
        "if (($+functions[compdef])); then",
        f"    compdef __codeassist_complete {prog}",
        "else # compinit has not run yet: register at the first prompt, if it has by then",
        "    __codeassist_compdef() {",
        f"        (($+functions[compdef])) && compdef __codeassist_complete {prog}",
        "        add-zsh-hook -d precmd __codeassist_compdef",
        "    }",
        "    autoload -Uz add-zsh-hook",
        "    add-zsh-hook precmd __codeassist_compdef",
        "fi",
    ]
    return "\n".join(lines) + "\n"


def fish(nodes: list[Node], prog: str) -> str:
    lines = [
        f"# {prog} tab completion for fish: a static script, no process per Tab.",
        "function __codeassist_at --description 'Is the command being typed this one?'",
        "    set -l at ''",
        f"    set -l known {' '.join(_at(n) for n in nodes if n.path)}",
        "    for word in (commandline -opc)[2..-1]",
        '        contains -- "$at/$word" $known; and set at "$at/$word"',
        "    end",
        '    test "$at" = "$argv[1]"',
        "end",
        f"complete -c {prog} -e",
        f"complete -c {prog} -f",
    ]
    for node in nodes:
        when = f"-n '__codeassist_at {_at(node)}'" if node.path else "-n '__codeassist_at \"\"'"
        children = {n.path[-1]: n.help for n in nodes if n.path[:-1] == node.path and n.path}
        for name in node.commands:
            lines.append(f"complete -c {prog} {when} -a {name} -d '{children.get(name, '')}'")
        if node.arguments:
            lines.append(f"complete -c {prog} {when} -a '{' '.join(node.arguments)}'")
        for option in node.options:
            flags = " ".join(
                f"-l {n[2:]}" if n.startswith("--") else f"-s {n[1:]}" for n in option.names
            )
            if option.values == [FILES]:
                flags += " -r -F"
            elif option.values:
                flags += f" -x -a '{' '.join(option.values)}'"
            elif option.values is not None:
                flags += " -x"
            lines.append(f"complete -c {prog} {when} {flags} -d '{option.help}'")
    return "\n".join(lines) + "\n"
