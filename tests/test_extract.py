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
