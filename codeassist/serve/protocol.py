"""The JSON-lines protocol between codeassist and its resident server (docs/protocol.md).

One request per connection: the client writes one JSON object on one line, the server
answers with one or more lines and closes the connection.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import stat
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from codeassist import paths
from codeassist.backends.base import Message, Options
from codeassist.errors import BackendError, UsageError

VERSION = 2  # 2: `generate` and `warm` are acknowledged at once (an `accepted` line)
CONNECT_TIMEOUT = 2.0  # seconds a connect waits for room in a busy server's accept queue
ACCEPT_TIMEOUT = 10.0  # seconds a server may take to acknowledge a request: else it is stuck
NO_SERVER_HINT = "CODEASSIST_NO_SERVER=1 runs the model in this process instead"
RETRY_S = 0.02  # between connects refused while the server process lives (it is starting)
SUN_PATH_MAX = 107  # bytes in sockaddr_un.sun_path, less the terminating NUL


def runtime_dir() -> Path:
    """The private directory for sockets (created 0700); a temp dir when the default is absent
    or unusable (platformdirs refuses a /tmp/runtime-<uid> that another user made first)."""
    fallback = paths.runtime_fallback()
    try:
        wanted = paths.runtime_dir()
    except OSError:
        wanted = fallback
    for candidate in dict.fromkeys((wanted, fallback)):
        try:
            candidate.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            continue
        st = candidate.stat()
        if st.st_uid == os.getuid():
            if st.st_mode & 0o077:
                try:
                    candidate.chmod(0o700)
                except OSError:  # a read-only mount: not private, and not ours to mend
                    continue
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


def check_free(path: Path) -> None:
    """`path` is nothing yet, or a socket (perhaps a stale one, safe to replace): never a file,
    a folder or a link of the user's, which replacing it would delete."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(
            f"cannot use {path}: {exc.strerror}", hint="pick another --socket"
        ) from None
    if not stat.S_ISSOCK(mode):
        raise UsageError(
            f"{path} exists and is not a socket: it is left as it is",
            hint="pick another --socket path",
        )


def owner_alive(path: Path) -> bool:
    """Whether the server process named in the socket's lock file lives (it may be starting)."""
    return owner(path) is not None


def owner(path: Path) -> int | None:
    """The pid in the socket's lock file while that process lives; None otherwise."""
    try:
        pid = int(path.with_name(path.name + ".lock").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None  # no lock file, no pid in it, or that process is gone
    return pid if pid > 0 else None


def _send_timeout(sock: socket.socket, seconds: float) -> None:
    """SO_SNDTIMEO: how long a blocking connect waits for room in the accept queue (0: always)."""
    whole = int(seconds)
    timeval = struct.pack("ll", whole, int((seconds - whole) * 1e6))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)


def connect(path: Path, timeout: float = CONNECT_TIMEOUT) -> socket.socket | None:
    """A connection to the server at `path`; None, at once, when nothing listens there.

    The connect blocks: a burst of clients waits for room in the server's accept queue (up to
    `timeout`, then BackendError: the server is stuck). A refused connect is retried while the
    process in the socket's lock file lives, since that server is between bind and listen.
    """
    deadline = time.monotonic() + timeout
    while path.exists():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        _send_timeout(sock, max(0.001, deadline - time.monotonic()))
        try:
            sock.connect(os.fsencode(path))
        except (ConnectionRefusedError, FileNotFoundError):
            sock.close()
            if not owner_alive(path) or time.monotonic() >= deadline:
                return None  # a socket file nobody listens on: what a crash leaves
            time.sleep(RETRY_S)
            continue
        except BlockingIOError:  # EAGAIN: the accept queue stayed full for `timeout`
            sock.close()
            raise BackendError(
                f"the codeassist server on {path} accepts no connection (waited {timeout:g} s)",
                hint="it may be stuck: stop it with `codeassist serve --stop`, or kill its pid",
            ) from None
        except OSError:
            sock.close()
            return None  # not a socket, or not ours to open
        _send_timeout(sock, 0)
        return sock
    return None


def alive(path: Path) -> bool:
    """Whether a server runs on `path` (a probe: connect, then close); a stuck one counts."""
    try:
        sock = connect(path)
    except BackendError:
        return True
    if sock is None:
        return False
    sock.close()
    return True


def encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def messages_to_json(messages: list[Message]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]


def options_to_json(options: Options) -> dict[str, Any]:
    return {
        "max_tokens": options.max_tokens, "temperature": options.temperature,
        "seed": options.seed, "stop": list(options.stop), "grammar": options.grammar,
    }  # fmt: skip


def request(
    path: Path, payload: dict[str, Any], timeout: float | None = None
) -> Iterator[dict[str, Any]]:
    """Send one request and yield the server's answer lines; errors become BackendError.

    A `generate` or `warm` request is taken at once (an `accepted` line, before it waits for
    the model), so a server that says nothing for ACCEPT_TIMEOUT is stuck or stopped (`kill
    -STOP`), not busy: the request fails then instead of after `timeout`."""
    sock = connect(path)
    if sock is None:
        raise BackendError(
            f"no codeassist server listens on {path}", hint="start one with: codeassist serve"
        )
    acked = payload.get("op") in ("generate", "warm")
    with sock:
        longer = timeout is None or timeout > ACCEPT_TIMEOUT
        waited = ACCEPT_TIMEOUT if acked and longer else timeout
        sock.settimeout(waited)
        try:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(encode(payload))  # refused early (too long): its answer says why
            for answer in _answers(sock.makefile("rb"), path):
                if "error" in answer:
                    raise BackendError(str(answer["error"]), hint=str(answer.get("hint", "")))
                if answer.get("accepted"):
                    sock.settimeout(waited := timeout)
                    continue
                yield answer
                if answer.get("done"):
                    return
        except TimeoutError:
            raise BackendError(
                f"the codeassist server on {path} said nothing for {waited:g} s",
                hint="it may be stuck or stopped: `codeassist serve --stop`, or kill its pid; "
                f"{NO_SERVER_HINT}",
            ) from None
        raise BackendError(
            "the codeassist server closed the connection mid-answer",
            hint="see `codeassist serve --status`; restart it with `codeassist serve`",
        )


def _answers(reader: IO[bytes], path: Path) -> Iterator[dict[str, Any]]:
    """The server's answer lines, until it closes the connection; each must be a JSON object."""
    with contextlib.suppress(ConnectionResetError):
        for line in reader:
            try:
                answer = json.loads(line)
            except ValueError:  # not JSON, not UTF-8
                answer = None
            if not isinstance(answer, dict):
                raise foreign(path)
            yield answer


def foreign(path: Path) -> BackendError:
    """What a socket that answers, but not in codeassist's protocol, gets said of it."""
    return BackendError(
        f"what answers on {path} is not a codeassist server",
        hint="stop whatever listens there, or pass another --socket",
    )


def call(
    path: Path, payload: dict[str, Any], timeout: float | None = 10.0, key: str = "done",
    kind: type = object,
) -> Any:  # fmt: skip
    """A request answered by one line (status, stop, count_tokens): its `key`, which must be
    there and of `kind` (a server that answers otherwise is not ours)."""
    answer = list(request(path, payload, timeout))[-1]
    if key not in answer or not isinstance(answer[key], kind):
        raise foreign(path)
    return answer if key == "done" else answer[key]
