"""The shell prompt shows the working directory as context and asks for relative paths."""

from __future__ import annotations

from codeassist.pipeline import prompts

ENV_A = prompts.Environment(os="Linux (GNU tools)", shell="bash", cwd="/home/ada/project")
ENV_B = prompts.Environment(os="Linux (GNU tools)", shell="bash", cwd="/srv/other/place")


def test_the_shell_rules_ask_for_relative_paths_and_keep_program_names() -> None:
    rules = prompts.system_prompt("shell")
    assert "relative to it" in rules
    assert "absolute path only where the request names one" in rules
    assert "`$(which grep)`" in rules and "never paths in the working directory" in rules


def test_the_system_message_is_the_same_for_every_request_and_folder() -> None:
    first = prompts.build("show notes.txt", "shell", env=ENV_A)
    second = prompts.build("count lines in *.py", "shell", env=ENV_B)
    assert first[0] == second[0] == prompts.stable_messages("shell", env=ENV_A)[0]
    assert ENV_A.cwd not in first[0].content and ENV_B.cwd not in second[0].content


def test_the_operating_system_and_shell_are_in_the_system_message_that_warm_evaluates() -> None:
    """The same on every request from this machine: the server can hold it before the first."""
    system, user = prompts.build("show notes.txt", "shell", env=ENV_A, stable="Files here: a")
    line = "Operating system: Linux (GNU tools). Shell: bash."
    assert line in system.content and line not in user.content
    assert system.content.index(line) < system.content.index("Files here: a")
    assert user.content.startswith("Working directory: /home/ada/project")


def test_the_working_directory_is_context_in_the_request_and_named_once() -> None:
    messages = prompts.build("show notes.txt", "shell", env=ENV_A)
    user = messages[1].content
    assert (
        "Working directory: /home/ada/project (where the command runs; paths are relative to it)."
        in user
    )
    assert sum(m.content.count(ENV_A.cwd) for m in messages) == 1
    assert user.index("Working directory") < user.index("Request: show notes.txt")


def test_workspace_facts_that_name_the_directory_are_not_repeated() -> None:
    stable = "Working directory: /home/ada/project\nFiles here: notes.txt\n"
    messages = prompts.build("show notes.txt", "shell", env=ENV_A, stable=stable)
    assert "Working directory" not in messages[1].content
    assert sum(m.content.count(ENV_A.cwd) for m in messages) == 1
    assert messages[0].content.startswith(prompts.system_prompt("shell"))


def test_other_languages_do_not_get_the_path_rule() -> None:
    for language in ("python", "sql"):
        assert "working directory" not in prompts.system_prompt(language)
