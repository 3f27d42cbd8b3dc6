"""Generation speed: codeassist's decode path against the fastest loop Python can drive.

    python benchmarks/generation.py [--model qwen2.5-coder-1.5b] [--tokens 128] [--rounds 3]

Side by side, on the same model, prompt and greedy settings, in one process:
  * reference: `llama_decode` one token at a time, a greedy `llama_sampler` chain in C;
  * codeassist: `pipeline.run` through the in-process llama.cpp backend (what `gen` runs);
  * llama-cpp-python's high-level `create_completion(stream=True)`, for comparison.
Rounds alternate between the three, each starting from an empty KV cache.
Goal: codeassist decode tokens/s >= 0.95 of the reference loop.
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import llama_cpp

from codeassist import config, pipeline
from codeassist.backends.base import Options
from codeassist.backends.llamacpp import LlamaCppBackend, threads
from codeassist.backends.select import open_local

REQUEST = "a Python function that parses an ISO 8601 date string and returns a datetime, with tests"


@dataclass
class Run:
    ttft_s: float
    total_s: float
    tokens: int

    @property
    def decode_tps(self) -> float:
        return (self.tokens - 1) / (self.total_s - self.ttft_s) if self.tokens > 1 else 0.0


def reference_loop(backend: LlamaCppBackend, prompt: list[int], max_tokens: int) -> Run:
    """The floor: decode the prompt, then sample greedily in C and decode one token at a time."""
    backend.reset()
    seq = backend.sequence  # driven directly: the floor under any Python logic
    ctx, vocab, n_batch = seq.ctx, seq.vocab, seq.n_batch
    start = time.perf_counter()
    for i in range(0, len(prompt), n_batch):
        chunk = prompt[i : i + n_batch]
        tokens = (llama_cpp.llama_token * len(chunk))(*chunk)  # must outlive the decode
        llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(tokens, len(chunk)))
    chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
    one = (llama_cpp.llama_token * 1)()
    buf = ctypes.create_string_buffer(256)
    ttft, n = 0.0, 0
    while n < max_tokens:
        token = llama_cpp.llama_sampler_sample(chain, ctx, -1)
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            break
        llama_cpp.llama_token_to_piece(vocab, token, buf, 256, 0, False)
        n += 1
        if n == 1:
            ttft = time.perf_counter() - start
        one[0] = token
        llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(one, 1))
    total = time.perf_counter() - start
    llama_cpp.llama_sampler_free(chain)
    backend.reset()
    return Run(ttft, total, n)


def codeassist_run(backend: LlamaCppBackend, max_tokens: int) -> Run:
    backend.reset()
    req = pipeline.Request(REQUEST, language="python", explain=True, verify=False,
                           options=Options(max_tokens=max_tokens))  # fmt: skip
    result = pipeline.run(req, backend)
    t = result.timings
    return Run(t.ttft_s or 0.0, t.total_s or 0.0, t.tokens)


def high_level(backend: LlamaCppBackend, prompt_text: str, max_tokens: int) -> Run:
    backend.reset()
    llm = backend.llm
    llm.reset()
    start = time.perf_counter()
    ttft, n = 0.0, 0
    for _ in llm.create_completion(prompt_text, max_tokens=max_tokens, temperature=0.0,
                                   top_k=1, stream=True):  # fmt: skip
        n += 1
        if n == 1:
            ttft = time.perf_counter() - start
    total = time.perf_counter() - start
    llm.reset()
    backend.reset()
    return Run(ttft, total, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    local = open_local(config.load(), args.model)  # exactly as `gen` opens it in-process
    assert isinstance(local, LlamaCppBackend)
    backend = local
    req = pipeline.Request(REQUEST, language="python", explain=True)
    prompt_text = backend.format(pipeline.messages_for(req, "python"))
    prompt = backend.tokenize(prompt_text)
    cases: dict[str, Callable[[], Run]] = {
        "reference C-sampler loop": lambda: reference_loop(backend, prompt, args.tokens),
        "codeassist gen (in-process)": lambda: codeassist_run(backend, args.tokens),
        "llama-cpp-python create_completion": lambda: high_level(backend, prompt_text, args.tokens),
    }
    runs: dict[str, list[Run]] = {name: [] for name in cases}
    for case in cases.values():  # warm-up: page the weights in
        case()
    for _ in range(args.rounds):
        for name, case in cases.items():
            runs[name].append(case())

    ref = runs["reference C-sampler loop"]
    ref_tps = statistics.median(r.decode_tps for r in ref)
    ref_ttft = statistics.median(r.ttft_s for r in ref)
    print(f"model {args.model}, prompt {len(prompt)} tokens, up to {args.tokens} new tokens, "
          f"{args.rounds} rounds, {threads()} threads, "
          f"speculation {'on' if backend.speculative else 'off'}")  # fmt: skip
    print(
        f"{'case':<36} {'tokens':>6} {'decode tok/s':>12} {'ratio':>6} {'TTFT ms':>8} {'ratio':>6}"
    )
    for name, rs in runs.items():
        tps = statistics.median(r.decode_tps for r in rs)
        ttft = statistics.median(r.ttft_s for r in rs)
        tokens = statistics.median(r.tokens for r in rs)
        print(f"{name:<36} {tokens:>6.0f} {tps:>12.1f} {tps / ref_tps:>5.2f}x "
              f"{ttft * 1000:>8.0f} {ttft / ref_ttft:>5.2f}x")  # fmt: skip
    print("goal: codeassist decode tok/s >= 0.95x the reference loop")


if __name__ == "__main__":
    main()
