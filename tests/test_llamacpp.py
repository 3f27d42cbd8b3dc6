"""The in-process llama.cpp backend on the real small model."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeassist import models
from codeassist.backends.base import Message, Options
from codeassist.backends.llamacpp import LlamaCppBackend, tokenizer

pytestmark = pytest.mark.model

SYSTEM = Message("system", "You are a helpful coding assistant. Answer with code only.")


def backend() -> LlamaCppBackend:
    return LlamaCppBackend.load(models.resolve("smollm2-135m"), n_ctx=2048)


def test_the_model_is_loaded_once_per_process(small_model: Path) -> None:
    assert backend() is backend()


def test_reused_prefix_gives_the_same_output_as_a_cold_cache(small_model: Path) -> None:
    llm = backend()
    first = [SYSTEM, Message("user", "Write a python function that squares a number.")]
    second = [SYSTEM, Message("user", "Write a python function that cubes a number.")]
    opts = Options(max_tokens=48)
    "".join(llm.stream(first, opts))
    warm = "".join(llm.stream(second, opts))
    assert llm.last.reused > 10  # the system prompt came from the cache
    llm.reset()
    cold = "".join(llm.stream(second, opts))
    assert llm.last.reused == 0
    assert warm == cold


def test_stop_strings_end_the_stream_and_are_not_emitted(small_model: Path) -> None:
    llm = backend()
    msgs = [Message("user", "Write a python function that returns the sum of a list.")]
    full = "".join(llm.stream(msgs, Options(max_tokens=40)))
    stop = full[12:16]  # four characters from inside the reply, possibly across tokens
    cut = "".join(llm.stream(msgs, Options(max_tokens=40, stop=(stop,))))
    assert cut == full[: full.find(stop)]


def test_max_tokens_is_respected(small_model: Path) -> None:
    llm = backend()
    "".join(llm.stream([Message("user", "Tell a long story.")], Options(max_tokens=7)))
    assert llm.last.generated == 7


def test_vocab_only_tokenizer_counts_like_the_model(small_model: Path) -> None:
    count = tokenizer(small_model)
    text = "def add(a, b):\n    return a + b\n"
    assert count(text) == backend().count_tokens(text) > 5
    assert count("") == 0


def test_a_rewound_sequence_decodes_as_if_the_run_never_happened(small_model: Path) -> None:
    llm = backend()
    seq = llm.sequence
    prompt = llm.tokenize(llm.format([Message("user", "Name three colors.")]))

    def next_after(run: list[int]) -> bytes:
        llm.reset()
        seq.evaluate(prompt)
        first = seq.greedy_next()
        if run:  # a draft the model rejects: decoded, then rolled back
            seq.decode(run)
            assert seq.tokens == prompt + run
            seq.rewind(len(prompt))
            assert seq.tokens == prompt
        seq.decode([first])
        return seq.logits(-1)

    assert next_after([]) == next_after([11, 12, 13]) == next_after([7])
    assert len(seq) == len(prompt) + 1 and llm.cached_tokens == seq.tokens


CTRL_C_DURING_LOAD = """
import os, signal, sys, threading, time
from pathlib import Path
from codeassist.backends.llamacpp.loader import open_llama
signal.signal(signal.SIGINT, signal.default_int_handler)  # a test run with `&` ignores it
threading.Timer(float(sys.argv[2]), os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    llm = open_llama(Path(sys.argv[1]), n_ctx=512)  # kept: freeing it would run __del__,
    time.sleep(3)  # where Python itself drops an exception, a Ctrl-C included
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted")
"""


@pytest.mark.parametrize("delay", [0.02, 0.05, 0.1, 0.15, 0.2])
def test_ctrl_c_while_the_model_loads_is_never_lost(small_model: Path, delay: float) -> None:
    """ctypes drops an exception raised in llama.cpp's log callback: a Ctrl-C landing there
    was lost, and `codeassist serve` went on serving."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", CTRL_C_DURING_LOAD, str(small_model.resolve()),
                           str(delay)], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.stdout.strip() == "interrupted", proc.stderr[-500:]
