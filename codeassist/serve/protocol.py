"""The JSON-lines protocol between codeassist and its resident server (docs/protocol.md).

One request per connection: the client writes one JSON object on one line, the server
answers with one or more lines and closes the connection.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codeassist import paths
from codeassist.backends.base import Message, Options
from codeassist.errors import BackendError, UsageError

VERSION = 1
CONNECT_TIMEOUT = 0.25  # seconds; a live server accepts at once, a dead one refuses at once
SUN_PATH_MAX = 107  # bytes in sockaddr_un.sun_path, less the terminating NUL


def runtime_dir() -> Path:
    """The private directory for sockets (created 0700); a temp dir when the default is absent."""
    wanted = paths.runtime_dir()
    for candidate in (wanted, Path(tempfile.gettempdir()) / f"codeassist-{os.getuid()}"):
        try:
            candidate.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            continue
        st = candidate.stat()
        if st.st_uid == os.getuid():
            if st.st_mode & 0o077:
                candidate.chmod(0o700)
            return candidate
    raise UsageError(f"cannot create a private runtime directory at {wanted}")


def socket_name(spec: str) -> str:
    """The socket's file name for a model: its manifest name, or a name derived from its path."""
    from codeassist.models.manifest import looks_like_path

    if not looks_like_path(spec):
        return f"{spec}.sock"
    path = Path(spec).expanduser().resolve()
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
    return f"{path.stem[:40]}-{digest}.sock"


def socket_path(spec: str) -> Path:
    return runtime_dir() / socket_name(spec)


def check_length(path: Path) -> None:
    if len(os.fsencode(path)) > SUN_PATH_MAX:
        raise UsageError(
            f"socket path too long for a Unix socket: {path}",
            hint="pass a shorter --socket path or set XDG_RUNTIME_DIR / CODEASSIST_HOME",
        )


def connect(path: Path, timeout: float = CONNECT_TIMEOUT) -> socket.socket | None:
    """A connection to the server at `path`, or None when none listens there."""
    if not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(os.fsencode(path))
    except OSError:
        sock.close()
        return None
    sock.settimeout(None)
    return sock


def alive(path: Path) -> bool:
    """Whether a server accepts connections on `path` (a probe: connect, then close)."""
    sock = connect(path)
    if sock is None:
        return False
    sock.close()
    return True


def encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def messages_to_json(messages: list[Message]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]


def messages_from_json(data: object) -> list[Message]:
    if not isinstance(data, list) or not data:
        raise ValueError("messages must be a non-empty list")
    out = []
    for m in data:
        if not isinstance(m, dict) or not isinstance(m.get("content"), str):
            raise ValueError("each message needs a role and a string content")
        out.append(Message(str(m.get("role", "user")), m["content"]))
    return out


def options_to_json(options: Options) -> dict[str, Any]:
    return {
        "max_tokens": options.max_tokens, "temperature": options.temperature,
        "seed": options.seed, "stop": list(options.stop), "grammar": options.grammar,
    }  # fmt: skip


def options_from_json(data: object) -> Options:
    if data is None:
        return Options()
    if not isinstance(data, dict):
        raise ValueError("options must be an object")
    return Options(
        max_tokens=int(data.get("max_tokens", 512)),
        temperature=float(data.get("temperature", 0.0)),
        seed=int(data.get("seed", 0)),
        stop=tuple(str(s) for s in data.get("stop") or ()),
        grammar=data.get("grammar") or None,
    )


def request(
    path: Path, payload: dict[str, Any], timeout: float | None = None
) -> Iterator[dict[str, Any]]:
    """Send one request and yield the server's answer lines; errors become BackendError."""
    sock = connect(path)
    if sock is None:
        raise BackendError(
            f"no codeassist server listens on {path}", hint="start one with: codeassist serve"
        )
    with sock:
        sock.settimeout(timeout)
        sock.sendall(encode(payload))
        reader = sock.makefile("rb")
        done = False
        for line in reader:
            answer = json.loads(line)
            if "error" in answer:
                raise BackendError(str(answer["error"]), hint=str(answer.get("hint", "")))
            done = bool(answer.get("done"))
            yield answer
            if done:
                return
        if not done:
            raise BackendError(
                "the codeassist server closed the connection mid-answer",
                hint="see `codeassist serve --status`; restart it with `codeassist serve`",
            )


def call(path: Path, payload: dict[str, Any], timeout: float | None = 10.0) -> dict[str, Any]:
    """A request answered by one line (status, stop, count_tokens)."""
    answers = list(request(path, payload, timeout))
    return answers[-1]
