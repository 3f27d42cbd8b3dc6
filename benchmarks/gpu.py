"""Decode speed against the memory-bandwidth bound, and what speculation would buy: one script
for a GPU machine (it runs on a CPU build too, for a smoke test).

    python benchmarks/gpu.py MODEL.gguf [MODEL.gguf ...] [--bandwidth GBS] [--tokens 128]

Without network or real weights on the GPU machine, synthesize the models there first from
the skeletons in shared/tools/gpu (the real architecture and tensor types, random valid
blocks; speed does not depend on the weights' values):

    python shared/tools/gpu/synth_gguf.py shared/tools/gpu/skel/q15 /tmp/q15.gguf
    python shared/tools/gpu/synth_gguf.py shared/tools/gpu/skel/q7 /tmp/q7.gguf
    python benchmarks/gpu.py /tmp/q15.gguf /tmp/q7.gguf

Per model it prints: the bytes read per generated token (every weight except the token
embedding, of which one row is read), the bound (bandwidth / those bytes), decode tok/s of a
bare loop sampling in C and of codeassist's own loop, their share of the bound, the cost of a
verify batch of k tokens in single steps, whether those batches are bit-identical to one-token
decoding (exact_batch), and the speed-up speculation would give at the decode steps per token
that benchmarks/serve.py measures with the real weights (0.47 for prompt lookup on edits,
0.18 with the 0.5B drafting), counting every step as a full batch and leaving out the 0.5B's
own steps. Bandwidth is a device-to-device copy (PyTorch) unless given.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import llama_cpp  # noqa: E402

from codeassist.backends.base import Options  # noqa: E402
from codeassist.backends.llamacpp import DRAFT_MAX, LlamaCppBackend  # noqa: E402
from codeassist.models.manifest import ModelRef  # noqa: E402

STEPS_PER_TOKEN = {"lookup, edits": 0.47, "lookup + 0.5B draft": 0.18}  # benchmarks/serve.py


def bandwidth_gbs() -> float | None:
    """Device-to-device copy bandwidth (read + write), or None without PyTorch and CUDA."""
    try:
        import torch  # type: ignore[import-not-found]

        if not torch.cuda.is_available():
            return None
        x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
        y = torch.empty_like(x)
        for _ in range(3):
            y.copy_(x)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(20):
            y.copy_(x)
        torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
        del x, y
        torch.cuda.empty_cache()
        return float(2 * 20 * (1 << 30) / seconds / 1e9)
    except ImportError:
        return None


def bytes_per_token(path: Path, llm: Any) -> tuple[int, str]:
    """Weight bytes a decode step reads: all tensors but the embedding table (one row)."""
    try:
        import gguf  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return int(llama_cpp.llama_model_size(llm._model.model)), "model size (no gguf package)"
    reader = gguf.GGUFReader(str(path))
    total = sum(int(t.n_bytes) for t in reader.tensors if t.name != "token_embd.weight")
    tied = not any(t.name == "output.weight" for t in reader.tensors)
    if tied:  # the embedding is the output matrix too: read whole every step
        total += sum(int(t.n_bytes) for t in reader.tensors if t.name == "token_embd.weight")
    return total, "tensors read per step"


def c_loop(backend: LlamaCppBackend, n: int) -> float:
    """Tokens/s of greedy decoding with the sampler in C, one llama_decode per token."""
    chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
    one = (llama_cpp.llama_token * 1)()
    ctx = backend.sequence.ctx  # driven directly: the floor under any Python logic
    t0 = time.perf_counter()
    for _ in range(n):
        one[0] = llama_cpp.llama_sampler_sample(chain, ctx, -1)
        llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(one, 1))
    seconds = time.perf_counter() - t0
    llama_cpp.llama_sampler_free(chain)
    return n / seconds


def step_costs(backend: LlamaCppBackend, prompt: list[int]) -> dict[int, float]:
    """Seconds of one verify step of k tokens (best of 5), k = 1 .. DRAFT_MAX + 1."""
    backend.reset()
    backend.evaluate(prompt)
    seq = backend.sequence
    at = len(seq)
    costs = {}
    for k in range(1, DRAFT_MAX + 2):
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            seq.decode(prompt[:k])
            llama_cpp.llama_synchronize(seq.ctx)
            best = min(best, time.perf_counter() - t0)
            seq.rewind(at)
        costs[k] = best
    return costs


def bench(path: Path, tokens: int, bandwidth: float | None) -> list[tuple[str, str]]:
    t0 = time.perf_counter()
    backend = LlamaCppBackend.load(ModelRef(path, None), n_ctx=4096, flash_attn="auto")
    rows = [("load", f"{time.perf_counter() - t0:.2f} s")]
    rows.append(("layers on the GPU", f"{backend.offloaded_layers} of {backend.n_layers}"))
    nbytes, how = bytes_per_token(path, backend.llm)
    rows.append(("bytes per token", f"{nbytes / 1e9:.3f} GB ({how})"))
    bound = bandwidth * 1e9 / nbytes if bandwidth else None
    rows.append(("bandwidth bound", f"{bound:.0f} tok/s" if bound else "n/a"))
    prompt = backend.tokenize("def fibonacci(n):\n    " * 40)[:256]

    backend.reset()
    backend.evaluate(prompt)
    c_rate = c_loop(backend, tokens)
    share = f", {c_rate / bound:.0%} of the bound" if bound else ""
    rows.append(("decode, bare C-sampler loop", f"{c_rate:.1f} tok/s{share}"))

    backend.reset()  # loaded without speculation: the plain loop
    first = end = 0.0
    count = 0
    started = time.perf_counter()
    for _ in backend.generate(prompt, Options(max_tokens=tokens, stop=())):
        count += 1
        end = time.perf_counter()
        first = first or end
    rate = (count - 1) / (end - first) if count > 1 else float("nan")
    rows.append(("decode, codeassist loop", f"{rate:.1f} tok/s ({rate / c_rate:.2f} of C loop)"))
    rows.append(("first token after 256 tokens", f"{first - started:.3f} s"))

    costs = step_costs(backend, prompt)
    ratio = {k: costs[k] / costs[1] for k in costs}
    shown = ", ".join(f"{k}: {ratio[k]:.2f}" for k in sorted(ratio))
    rows.append(("verify batch cost (single steps)", shown))
    rows.append(("batches exact up to", f"{backend.exact_batch()} tokens"))
    full = ratio[DRAFT_MAX + 1]  # conservative: every step a full batch
    for name, steps in STEPS_PER_TOKEN.items():
        rows.append((f"projected speed-up, {name}", f">= {1 / (steps * full):.2f}x"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--bandwidth", type=float, help="GB/s, when PyTorch cannot measure it")
    ap.add_argument("--tokens", type=int, default=128)
    args = ap.parse_args()
    bandwidth = args.bandwidth or bandwidth_gbs()
    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    print(f"llama-cpp-python {llama_cpp.__version__}, GPU offload: {gpu}, bandwidth: "
          f"{f'{bandwidth:.0f} GB/s' if bandwidth else 'n/a'}")  # fmt: skip
    for path in args.models:
        print(f"\n{path.name}")
        rows = bench(path, args.tokens, bandwidth)
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"  {name:<{width}}  {value}")


if __name__ == "__main__":
    main()
