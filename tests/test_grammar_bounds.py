"""The GBNF bounds checked before any grammar reaches llama.cpp (in-process, server, endpoint)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.backends import grammar
from codeassist.backends.base import Message, Options
from codeassist.errors import UsageError

# llama.cpp's own grammars/json.gbnf (the shape its JSON-schema converter produces).
JSON_GBNF = r"""
root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws

object ::=
  "{" ws (
            string ":" ws value
    ("," ws string ":" ws value)*
  )? "}" ws

array  ::=
  "[" ws (
            value
    ("," ws value)*
  )? "]" ws

string ::=
  "\"" (
    [^"\\\x7F\x00-\x1F] |
    "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
  )* "\"" ws

number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [1-9] [0-9]{0,15})? ws

# Optional space: by convention, applied in this grammar after literal chars when allowed
ws ::= | " " | "\n" [ \t]{0,20}
"""

YES_NO = 'root ::= ("yes" | "no") "\\n"'
SHELL_LINE = r'root ::= [a-z]+ (" " [^\n(]+)* "\n"'


def nested(levels: int) -> str:
    return "root ::= " + "(" * levels + '"a"' + ")" * levels


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (JSON_GBNF, 2),
        (YES_NO, 1),
        (SHELL_LINE, 1),  # the "(" inside a character class is not a group
        ('root ::= "((((((" ")))"', 0),  # nor are parentheses in a string
        ('root ::= "\\"(" "a"', 0),  # an escaped quote does not end the string
        ('# ((((\nroot ::= "a"', 0),  # nor in a comment
        ('root ::= [\\](] "a"', 0),  # an escaped "]" does not end the class
        (nested(grammar.MAX_DEPTH), grammar.MAX_DEPTH),
    ],
)
def test_real_grammars_are_accepted_with_their_depth(text: str, depth: int) -> None:
    assert grammar.depth(text) == depth
    assert grammar.check(text) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (nested(grammar.MAX_DEPTH + 1), "nested too deep"),
        (nested(20_000), "nested too deep"),
        ("root ::= " + "(" * 100_000, "too large"),
        ('root ::= "' + "a" * 10_000_000 + '"', "too large"),
        ('root ::= "' + "a" * grammar.MAX_BYTES + '"', "too large"),
        ('root ::= "a\0"', "NUL"),
        ('root ::= "\ud800"', "UTF-8"),
    ],
)
def test_deep_huge_or_broken_grammars_are_refused(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as info:
        grammar.check(text)
    assert "protocol.md" in info.value.hint


@pytest.mark.model
def test_the_in_process_backend_refuses_a_deep_grammar_and_keeps_working(
    small_model: Path,
) -> None:
    """20,000 nested groups crash llama.cpp's parser; the check stops them before it."""
    from codeassist import models
    from codeassist.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend.load(models.resolve("smollm2-135m"), n_ctx=2048)
    ask = [Message("user", "Is water wet? Answer yes or no.")]
    with pytest.raises(UsageError, match="nested too deep"):
        "".join(backend.stream(ask, Options(max_tokens=4, grammar=nested(20_000))))
    answer = "".join(backend.stream(ask, Options(max_tokens=4, grammar=YES_NO)))
    assert answer in ("yes\n", "no\n")
    json_text = "".join(backend.stream(ask, Options(max_tokens=8, grammar=JSON_GBNF)))
    assert json_text.startswith("{")  # llama.cpp took the grammar the check let through


class _Recorder(http.server.BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        reply = b'data: {"choices":[{"delta":{"content":"yes"}}]}\n\ndata: [DONE]\n\n'
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    """A scripted OpenAI-compatible server on 127.0.0.1 that records each request body."""
    _Recorder.bodies = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_an_endpoint_is_never_sent_a_deep_grammar(endpoint: str) -> None:
    from codeassist.backends.openai import OpenAIBackend

    backend = OpenAIBackend(endpoint)
    ask = [Message("user", "yes?")]
    with pytest.raises(UsageError, match="nested too deep"):
        list(backend.stream(ask, Options(grammar=nested(20_000))))
    assert _Recorder.bodies == []
    assert "".join(backend.stream(ask, Options(grammar=YES_NO))) == "yes"
    assert b'"grammar"' in _Recorder.bodies[0]
