"""What `codeassist doctor` checks: the llama.cpp build, GPU, models, server, and speed."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeassist.config import Config
from codeassist.errors import CodeassistError

BENCH_PROMPT = "Write a python function that returns the n-th Fibonacci number."
GPU_BACKENDS = ("CUDA", "Metal", "Vulkan", "ROCm", "HIP", "SYCL")


@dataclass
class Report:
    """Rows of (check, finding) and whether anything is wrong."""

    rows: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, value: str, **data: Any) -> None:
        self.rows.append((key, value))
        self.data[key] = data or value


def build() -> dict[str, Any]:
    """Which llama.cpp backend this llama-cpp-python was built with."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    found = [b for b in GPU_BACKENDS if b.upper() in info.upper()]
    return {
        "version": llama_cpp.__version__,
        "backend": found[0] if gpu and found else "CPU",
        "gpu_offload": gpu,
        "system_info": info.strip(),
    }


def vram() -> str | None:
    """Used / total GPU memory from nvidia-smi, when there is one."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return None
    query = "--query-gpu=name,memory.used,memory.total"
    try:
        out = subprocess.run(
            [exe, query, "--format=csv,noheader"], capture_output=True, text=True, timeout=5,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return "; ".join(line.strip() for line in out.stdout.splitlines() if line.strip()) or None


def installed_models() -> list[tuple[str, str]]:
    from codeassist import models

    rows = []
    for m in models.manifests().values():
        if not m.installed:
            rows.append((m.name, "not installed"))
            continue
        try:
            models.verify(m)
            rows.append((m.name, "installed, verified"))
        except CodeassistError as exc:
            rows.append((m.name, f"BAD: {exc.message}"))
    return rows


def bench(config: Config, spec: str, tokens: int) -> dict[str, Any]:
    """Load `spec` in this process and time a short greedy generation."""
    from codeassist.backends.base import Message, Options
    from codeassist.backends.select import open_local

    started = time.perf_counter()
    backend: Any = open_local(config, spec)
    load_s = time.perf_counter() - started
    backend.reset()
    messages = [Message("user", BENCH_PROMPT)]
    t0 = time.perf_counter()
    first: float | None = None
    for _ in backend.stream(messages, Options(max_tokens=tokens)):
        first = first or time.perf_counter()
    end = time.perf_counter()
    stats = backend.last
    decode_s = end - (first or end)
    return {
        "model": spec, "load_s": round(load_s, 2),
        "prompt_tokens": stats.evaluated, "first_token_s": round((first or end) - t0, 3),
        "generated": stats.generated,
        "decode_tok_s": round((stats.generated - 1) / decode_s, 1) if decode_s > 0 else None,
        "offloaded_layers": backend.offloaded_layers,
        "layers": backend.n_layers,
        "speculative": backend.speculative, "draft_max": backend.draft_max,
        "exact_batch": backend.exact_batch(),
        "prefill": backend.prefill_mode,
        "draft_model": backend.draft_model.name if backend.draft_model else None,
    }  # fmt: skip


def sandbox_row(reason: str | None) -> str:
    """Whether examples in requests can run here, and how to make it so when they cannot."""
    from codeassist.verify import sandbox

    if reason is None:
        return "namespaces (read-only files, tmpfs work dir, no network): examples run"
    return f"none ({reason}): examples are not run; to get one, {sandbox.HINT}"


def configured_model_problem(spec: str) -> str | None:
    """What is wrong with the configured model's name or path ("" is checked by config.py):
    unknown, or a file that is not there. A known model not installed yet is no problem here:
    the model rows say so."""
    from codeassist import models

    if models.looks_like_path(spec):
        path = Path(spec).expanduser()
        return None if path.is_file() else f"model file not found: {path}"
    try:
        models.get(spec)
    except CodeassistError as exc:
        return exc.message
    return None


def diagnose(config: Config, *, run_bench: bool = True, tokens: int = 32) -> Report:
    from codeassist import models
    from codeassist.serve import control
    from codeassist.verify import sandbox, shell_lint

    report = Report()
    b = build()
    report.add("llama-cpp-python", b["version"])
    backend = b["backend"] + ("" if b["gpu_offload"] else " (no GPU offload in this build)")
    report.add("backend", backend, **b)
    report.add("flash attention", config.flash_attn)
    report.add("KV cache type", config.kv_cache_type)
    report.add("VRAM", vram() or "n/a (no NVIDIA GPU found)")
    rows = installed_models()
    for name, state in rows:
        report.add(f"model {name}", state)
        if state.startswith("BAD"):
            report.problems.append(f"model {name} is corrupt")
    wrong = configured_model_problem(config.model)
    if wrong:  # gen would fail on it at once: the report must not say all is well
        report.add("configured model", wrong)
        report.problems.append(f"the configured model: {wrong}")
    else:  # (its server's socket is named after it)
        path = control.default_socket(config.model)
        info = control.status(path)
        running = (
            f"running (pid {info['pid']}, {info['requests']} requests)" if info else "not running"
        )
        report.add("server", f"{running} on {path}")
    forks = control.fork_server()
    report.add("fork server", f"running on {forks}" if forks else "not running", socket=forks)
    reason = sandbox.unavailable()
    report.add("sandbox", sandbox_row(reason), available=reason is None, reason=reason)
    linter = shell_lint.describe()
    report.add("shellcheck", linter, found=shell_lint.executable() is not None, detail=linter)
    if not run_bench:
        report.add("speculative decoding", f"setting: {config.speculative}")
    if run_bench:
        ok = {name for name, state in rows if state == "installed, verified"}
        usable = not wrong and (config.model in ok or models.looks_like_path(config.model))
        spec = config.model if usable else None
        spec = spec or next(iter(sorted(ok, key=lambda n: models.get(n).size)), None)
        if spec is None:
            report.add("speed", "no model installed: run `codeassist model install`")
            report.problems.append("no model installed")
        else:
            r = bench(config, spec, tokens)
            report.add("offloaded layers", f"{r['offloaded_layers']} of {r['layers']}")
            report.add(
                "speed",
                f"{spec}: load {r['load_s']} s, first token {r['first_token_s']} s "
                f"({r['prompt_tokens']} prompt tokens), decode {r['decode_tok_s']} tok/s",
                **r,
            )
            on = f"prompt lookup, drafts of up to {r['draft_max']} tokens"
            on += f", then {r['draft_model']} drafts" if r["draft_model"] else ""
            exact = r["exact_batch"]
            measured = (
                f"verify batches of up to {exact} tokens give the logits of one-token decoding"
                if exact > 1
                else "a 2-token verify batch already changes the logits of one-token decoding"
            )
            prefill = {
                "on": "through unrepacked weights"
                + (" (measured faster here)" if config.prefill == "auto" else ""),
                "off": "through the decoding weights",
                "auto": "not measured yet (at the first prompt over 256 tokens)",
            }[r["prefill"]]
            report.add("prompt evaluation", f"{prefill} (setting: {config.prefill})")
            report.add(
                "speculative decoding",
                f"{on if r['speculative'] else 'off'} (setting: {config.speculative}); "
                f"{measured} here",
            )
    return report
