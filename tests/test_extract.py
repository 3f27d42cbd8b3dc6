from codeassist.pipeline.extract import extract


def test_fenced_block_is_taken_without_prose() -> None:
    reply = "Here you go:\n```python\ndef f():\n    return 1\n```\nThis returns 1."
    found = extract(reply, "python")
    assert found.code == "def f():\n    return 1"
    assert found.prose == "Here you go:\n\nThis returns 1."


def test_block_in_the_wanted_language_wins() -> None:
    reply = "```text\noutput\n```\n```sql\nSELECT 1;\n```"
    assert extract(reply, "sql").code == "SELECT 1;"


def test_unclosed_fence_while_streaming() -> None:
    found = extract("```bash\nls -la", "shell")
    assert found.code == "ls -la" and not found.closed


def test_no_fence_is_the_whole_reply_and_shell_prompts_are_dropped() -> None:
    assert extract("$ ls -la\n", "shell").code == "ls -la"
    assert extract("SELECT 1;", "sql").code == "SELECT 1;"


def test_longer_fences_hold_inner_fences() -> None:
    reply = "````markdown\n```py\nx\n```\n````"
    assert extract(reply).code == "```py\nx\n```"


def test_blank_lines_leave_a_shell_answer_but_not_its_strings_or_here_documents() -> None:
    # forty of them put `rm -rf ./victim` above the screen's top, on the line the shell widget
    # fills: the user saw `ls -la` and pressed Enter on both (new-user audit)
    padded = "```bash\nrm -rf ./victim" + "\n" * 40 + "ls -la\n```"
    assert extract(padded, "shell").code == "rm -rf ./victim\nls -la"
    data = "cat <<EOF\n\na\n\nEOF\necho \"x\n\ny\" 'p\n\nq'\n\n  \nls"
    assert extract(f"```bash\n{data}\n```", "shell").code == data.replace("\n\n  \n", "\n")
    assert extract("```python\nx = 1\n\n\ny = 2\n```", "python").code == "x = 1\n\n\ny = 2"
    # after a line continued with \, the blank line ends that command: kept, so `-la` is not
    # joined to `ls`
    assert extract("```bash\nls \\\n\n\n-la\n```", "shell").code == "ls \\\n\n-la"
