"""The answer's opening fence, begun in the prompt: logic with scripted backends, then the real
small model in this process and through a real server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from codeassist.backends.base import Message, Options
from codeassist.backends.fake import FakeBackend
from codeassist.pipeline import Request, opening, run

USER = [Message("system", "You write shell commands."), Message("user", "list files")]


@dataclass
class Continuing(FakeBackend):
    """A scripted backend that continues a final assistant message, as llama.cpp does."""

    continues: bool = True


def pieces(*texts: str) -> Iterator[str]:
    yield from texts


def test_the_opening_comes_back_with_the_first_piece() -> None:
    assert list(opening.prefixed("```bash\n", pieces("ls", " -la", "\n```"))) == [
        "```bash\nls",
        " -la",
        "\n```",
    ]


def test_pieces_that_could_open_a_fence_are_held_until_they_cannot() -> None:
    assert list(opening.prefixed("```bash\n", pieces("`", "which", " ls`"))) == [
        "```bash\n`which",
        " ls`",
    ]


def test_a_reply_that_opens_its_own_fence_passes_as_it_is() -> None:
    """A server older than the client answers the begun turn with a whole answer of its own."""
    reply = ["``", "`bash", "\nls", "\n```"]
    assert "".join(opening.prefixed("```bash\n", pieces(*reply))) == "".join(reply)
    assert opening.completed("```bash\n", "```sh\nls\n```") == "```sh\nls\n```"
    assert opening.completed("```bash\n", "ls\n```") == "```bash\nls\n```"


def test_nothing_streamed_stays_nothing() -> None:
    assert list(opening.prefixed("```bash\n", pieces())) == []
    assert list(opening.prefixed("", pieces("a", "b"))) == ["a", "b"]


def test_closing_the_stream_closes_the_backends() -> None:
    closed = []

    def stream() -> Iterator[str]:
        try:
            yield from ("ls", " -la", "\n```", "more")
        finally:
            closed.append(True)

    out = opening.prefixed("```bash\n", stream())
    assert next(out) == "```bash\nls"
    out.close()
    assert closed == [True]


def test_only_a_backend_that_continues_gets_an_opening() -> None:
    assert opening.opening(FakeBackend(), "shell", Options()) == ""
    assert opening.opening(Continuing(), "shell", Options()) == "```bash\n"
    assert opening.opening(Continuing(), "python", Options()) == "```python\n"
    assert opening.opening(Continuing(), "sql", Options()) == "```sql\n"
    assert opening.opening(Continuing(), "shell", Options(grammar='root ::= "ls"')) == ""


def test_the_pipeline_begins_the_answer_and_reads_it_whole(tmp_path: Path) -> None:
    backend = Continuing(replies=["ls -la\n```\nthat lists files"])
    result = run(Request("list files", language="shell", cwd=tmp_path, verify=False), backend)
    assert result.code == "ls -la"
    assert result.reply.startswith("```bash\nls -la\n```")
    assert "lists" not in result.reply  # read up to the closing fence only
    sent, _ = backend.history[-1]
    assert sent[-1] == Message("assistant", "```bash\n")
    assert sent[-2].role == "user"


def test_a_backend_that_cannot_continue_gets_the_messages_as_they_were(tmp_path: Path) -> None:
    backend = FakeBackend(replies=["```bash\nls -la\n```"])
    result = run(Request("list files", language="shell", cwd=tmp_path, verify=False), backend)
    assert result.code == "ls -la"
    assert backend.history[-1][0][-1].role == "user"


def test_repairs_and_extra_samples_are_begun_too(tmp_path: Path) -> None:
    """A failed check asks again: the repair's answer is begun like the first one; so are the
    candidates of best of k (drawn whole: the opening goes in front of each)."""
    backend = Continuing(replies=["nosuchprogram-xyz -l\n```", "ls -l\n```"])
    result = run(Request("list files", language="shell", cwd=tmp_path), backend)
    assert result.code == "ls -l" and result.repairs == 1
    assert all(sent[-1] == Message("assistant", "```bash\n") for sent, _ in backend.history)
    many = Continuing(replies=["nosuchprogram-xyz -l\n```", "ls -l\n```", "ls -l\n```"])
    chosen = run(Request("list files", language="shell", cwd=tmp_path, samples=3), many)
    assert chosen.code == "ls -l"
    assert chosen.samples is not None
    first, *drawn = chosen.samples.candidates
    assert first.checks_failed == 1 and [s.checks_failed for s in drawn] == [0, 0]


# -- the real model ------------------------------------------------------------------------


@pytest.mark.model
def test_the_real_model_writes_on_from_the_begun_answer_as_it_would_have(
    small_model: Path,
) -> None:
    """Greedy: begun with its own first three tokens, the model writes what it wrote after them.

    The begun prompt is token for token the prompt and those three tokens, so it is found in
    the KV cache (nothing evaluated in a batch that was decoded one by one before)."""
    from codeassist import models
    from codeassist.backends.llamacpp import LlamaCppBackend

    llm = LlamaCppBackend.load(models.resolve("smollm2-135m"), n_ctx=2048)
    base = llm.tokenize(llm.format(USER))
    whole = list(llm.stream(USER, Options(max_tokens=16)))
    generated = llm.cached_tokens[len(base) :]
    begun = [*USER, Message("assistant", "".join(whole[:3]))]
    assert llm.format(begun) == llm.format(USER) + "".join(whole[:3])
    assert llm.tokenize(llm.format(begun)) == base + generated[:3]
    rest = "".join(llm.stream(begun, Options(max_tokens=13)))
    assert llm.last.reused >= len(base) + 2
    assert rest == "".join(whole[3:])
    assert llm.last.generated == 13


@pytest.mark.model
def test_the_server_writes_on_from_the_begun_answer(short_home: Path) -> None:
    """Through a real server: the prompt it evaluates ends with the begun answer (a closed
    assistant turn would add the template's end of turn and a new one)."""
    from codeassist import models
    from codeassist.backends.client import ClientBackend
    from codeassist.backends.llamacpp import LlamaCppBackend
    from codeassist.serve import protocol
    from tests.test_serve import start, wait_listening

    path = protocol.socket_path("smollm2-135m")
    proc = start("--idle-timeout", "120")
    try:
        wait_listening(path, proc)
        client = ClientBackend(path, "smollm2-135m")
        llm = LlamaCppBackend.load(models.resolve("smollm2-135m"), n_ctx=2048)
        begun = [*USER, Message("assistant", "```bash\n")]
        rest = "".join(client.stream(begun, Options(max_tokens=8)))
        assert rest and client.last["generated"] == 8
        prompt = llm.tokenize(llm.format(USER) + "```bash\n")
        assert client.last["reused"] + client.last["evaluated"] == len(prompt)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
