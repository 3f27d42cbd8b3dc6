"""The `codeassist` command: registers commands and maps errors to exit codes.

Imports nothing heavy: typer and the standard library only (see tests/test_startup.py).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from click import exceptions as click_exceptions
from typer.core import TyperGroup

from codeassist import __version__
from codeassist.commands import (
    context,
    doctor,
    explain,
    gen,
    hook,
    model,
    repl,
    review,
    risk,
    serve,
    shell,
    warm,
)
from codeassist.commands import fix as fix_command
from codeassist.commands.check import check as check_command
from codeassist.errors import CodeassistError, Exit, InputError, UsageError, not_utf8, too_deep

if TYPE_CHECKING:
    import click


class Group(TyperGroup):
    """Turns CodeassistError and Ctrl-C into an exit code, wherever they are raised; input that
    is not UTF-8, a working directory that is gone and output that cannot be written too."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            _check_surroundings()
            return super().invoke(ctx)
        except CodeassistError as error:
            _fail(error)
        except (UnicodeEncodeError, UnicodeDecodeError) as exc:  # undecodable bytes: argv, stdin
            _fail(not_utf8(exc))
        except KeyboardInterrupt:
            sys.stderr.write("\n")
            raise typer.Exit(int(Exit.INTERRUPTED)) from None
        except RecursionError:  # `( ( ( … ) ) )` a thousand deep, from the user or a model
            _fail(too_deep())
        except click_exceptions.UsageError as exc:  # click's own: a missing argument, a bad value
            where = exc.ctx.command_path if exc.ctx else "codeassist"
            _fail(UsageError(exc.format_message(), hint=f"see `{where} --help`"))
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # the reader went away (`| head`): nothing to say
                raise typer.Exit(int(Exit.OK)) from None
            _fail(_os_error(exc))


def _os_error(exc: OSError) -> InputError:
    """An OSError as the one line it is for the user: a file named, or the output unwritable."""
    said = exc.strerror or str(exc)
    if exc.filename:
        said += f": {exc.filename}"
    elif exc.errno in (errno.ENOSPC, errno.EIO, errno.EBADF, errno.EDQUOT):
        said = f"cannot write the output: {said}"
    return InputError(said, hint=OS_HINT)


OS_HINT = "check that the file or output can be read and written, and that the disk has room"


def _check_surroundings() -> None:
    """Refuse what no command can work with: arguments not in UTF-8, a deleted working dir."""
    for arg in sys.argv[1:]:
        arg.encode("utf-8")  # raises UnicodeEncodeError for undecodable bytes
    try:
        os.getcwd()
    except FileNotFoundError:
        raise InputError(
            "the current directory no longer exists", hint="cd to a directory that exists"
        ) from None


def _fail(error: CodeassistError) -> NoReturn:
    from codeassist.commands._ui import say_on_stderr, show_error

    with contextlib.suppress(OSError):
        show_error(error, say_on_stderr)  # one red line and a hint, on stderr
    raise typer.Exit(int(error.exit_code)) from None


app = typer.Typer(
    cls=Group,
    name="codeassist",
    help="Turn a request in plain words into Python, SQL or shell code, on your own machine.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"codeassist {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Turn a request in plain words into Python, SQL or shell code, on your own machine."""


app.command("gen")(gen.gen)
app.command("context")(context.context)
app.add_typer(model.app, name="model")
app.command("risk")(risk.risk)
app.command("check")(check_command)
app.command("explain")(explain.explain)
app.command("shell-init")(shell.shell_init)
app.command("fix")(fix_command.fix)
app.command("repl")(repl.repl)
app.command("review")(review.review)
app.add_typer(hook.app, name="hook")
app.command("serve")(serve.serve)
app.command("warm")(warm.warm)
app.command("doctor")(doctor.doctor)


@functools.cache
def command() -> click.Command:
    """The click command typer builds from `app` (what `app()` builds on every call)."""
    return typer.main.get_command(app)


def main() -> None:
    """Console-script entry point (through launch.py)."""
    # numpy (under llama_cpp and the context ranking) makes no BLAS call here, but an idle
    # OpenBLAS worker spins for ~0.1 s after import; a user's own setting still wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if sys.stdout is None:  # started with stdout closed (`>&-`): the output goes nowhere
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (open for the process's life)
    try:
        command()(prog_name="codeassist")
    except KeyboardInterrupt:  # raised outside a command (while parsing): still 130
        sys.stderr.write("\n")
        sys.exit(int(Exit.INTERRUPTED))
    except OSError as exc:  # outside a command too: --help or --version into a full disk
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (nothing more to flush at exit)
        if exc.errno == errno.EPIPE:
            sys.exit(int(Exit.OK))
        error = _os_error(exc)
        with contextlib.suppress(OSError):
            sys.stderr.write(f"error: {error.message}\nhint: {error.hint}\n")
        sys.exit(int(error.exit_code))
