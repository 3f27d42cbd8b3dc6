"""Tab completion from `codeassist shell-init`: a static script made from the command tree,
tried in real bash, zsh and fish (tmux); a Tab starts no process."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import typer.main

from codeassist.cli import app
from codeassist.pipeline.language import LANGUAGES
from codeassist.review.hooks import TYPES
from codeassist.shell import completion, widgets
from tests.helpers.cli import run_cli
from tests.helpers.shells import PROMPT, line_after_prompt, start_shell
from tests.helpers.tmux import Tmux, need

CHECK = {"bash": ["bash", "-n"], "zsh": ["zsh", "-n"], "fish": ["fish", "--no-execute"]}


def init_script(shell: str) -> str:
    proc = run_cli("shell-init", shell)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_tree_has_every_command_option_and_fixed_value() -> None:
    nodes = {n.path: n for n in completion.nodes(typer.main.get_command(app))}
    assert {"gen", "fix", "repl", "model", "hook", "shell-init"} <= set(nodes[()].commands)
    assert nodes[("model",)].commands == ["list", "install", "verify", "path", "remove"]
    lang = next(o for o in nodes[("gen",)].options if "--lang" in o.names)
    assert lang.values == ["python", "sql", "shell", "auto"] and "-l" in lang.names
    model = next(o for o in nodes[("gen",)].options if "--model" in o.names)
    assert model.values is not None and "smollm2-135m" in model.values
    db = next(o for o in nodes[("gen",)].options if "--db" in o.names)
    assert db.values == [completion.FILES]
    assert nodes[("shell-init",)].arguments == list(widgets.SHELLS)
    assert ("hook", "run") not in nodes, "hidden commands are not offered"
    assert list(completion.HOOK_TYPES) == list(TYPES)
    assert completion.LANGUAGES == (*LANGUAGES, "auto")


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_the_script_parses_in_its_shell(shell: str, tmp_path: Path) -> None:
    need(shell)
    script = tmp_path / f"init.{shell}"
    script.write_text(init_script(shell))
    proc = subprocess.run([*CHECK[shell], str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "complete" in init_script(shell)
    assert "complete" not in run_cli("shell-init", shell, "--no-completion").stdout


def test_a_bash_tab_costs_no_process_and_little_time(tmp_path: Path) -> None:
    script = tmp_path / "init.bash"
    script.write_text(init_script("bash"))
    probe = (
        f"source {script}; COMP_WORDS=(codeassist gen --lang ''); COMP_CWORD=3; "
        "start=$EPOCHREALTIME; for i in 1 2 3 4 5 6 7 8 9 10; do __codeassist_complete; done; "
        'echo "${COMPREPLY[*]}"; echo "$start $EPOCHREALTIME"'
    )
    proc = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
    offered, times = proc.stdout.splitlines()
    assert offered == "python sql shell auto"
    start, end = (float(t) for t in times.split())
    assert (end - start) / 10 < 0.15


def offers(line: str) -> bool:
    """A line listing the four --lang values (and nothing typed)."""
    return PROMPT not in line and set(line.split()) >= {"python", "sql", "shell", "auto"}


@pytest.fixture
def tmux() -> object:
    session = Tmux()
    yield session
    session.close()


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_tab_completes_commands_lang_values_and_db_files(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    need(shell)
    script = init_script(shell)
    if shell == "zsh":  # compinit after the script, as many rc files do: registered at the prompt
        script += "autoload -Uz compinit && compinit -u\n"
    work = start_shell(tmux, shell, tmp_path, "unused", script=script)
    (work / "shop.db").write_text("")

    tmux.type("codeassist g")
    tmux.keys("Tab")
    tmux.wait_for(lambda s: line_after_prompt(s) == "codeassist gen", 10, "gen completed")

    tmux.type("--lang ")
    tmux.keys("Tab", "Tab")
    tmux.wait_for(lambda s: any(offers(line) for line in s.splitlines()), 10, "the --lang values")

    tmux.keys("C-c")
    tmux.wait_for(lambda s: s.endswith(PROMPT), 10, "an empty prompt")
    tmux.type("codeassist gen --db sh")
    tmux.keys("Tab")
    tmux.wait_for(lambda s: "--db shop.db" in s.rsplit(PROMPT, 1)[-1], 10, "the file name")
    time.sleep(0.2)
    assert not any(line.startswith(("error", "codeassist:")) for line in tmux.screen().splitlines())


NEWLINE_NAME = "new\nline.db"


def test_bash_never_splits_a_file_name_into_bogus_candidates(tmp_path: Path) -> None:
    """`compgen -f` prints one name a line: a name with a newline came back as two names."""
    script = tmp_path / "init.bash"
    script.write_text(init_script("bash"))
    (tmp_path / NEWLINE_NAME).write_text("")
    probe = (
        f"source {script} 2>/dev/null; cd {tmp_path}; "
        "COMP_WORDS=(codeassist gen --db ne); COMP_CWORD=3; __codeassist_complete; "
        "printf '<%s>' \"${COMPREPLY[@]}\""
    )
    proc = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
    assert "<new>" not in proc.stdout and "<line.db>" not in proc.stdout


def test_bash_completes_a_file_name_with_a_space_or_a_newline_as_one_word(
    tmux: Tmux, tmp_path: Path
) -> None:
    need("bash")
    words = "codeassist() { printf '<%s>\\n' \"$@\"; }\n"  # shows the words the command gets
    work = start_shell(tmux, "bash", tmp_path, "unused", script=init_script("bash") + words)
    (work / "my file.db").write_text("")
    (work / NEWLINE_NAME).write_text("")

    tmux.type("codeassist gen --db my")
    tmux.keys("Tab")
    tmux.wait_for(lambda s: "--db my\\ file.db" in s, 10, "the name, its space quoted")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "<my file.db>" in s, 10, "one word")

    tmux.type("clear; codeassist gen --db=ne")
    tmux.keys("Tab")
    tmux.wait_for(lambda s: "--db='new\nline.db'" in s, 10, "the name, its newline quoted")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "<--db=new\nline.db>" in s, 10, "one word")
