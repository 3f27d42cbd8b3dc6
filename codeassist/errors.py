"""Typed errors: one message, one hint, one documented exit code."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """Exit codes of the codeassist command (documented in the README)."""

    OK = 0
    FAILURE = 1  # the command ran but the result is a failure (e.g. a check failed, --strict)
    USAGE = 2  # bad arguments or bad input: empty request, unknown option value
    MODEL = 3  # model missing, corrupt, or not loadable
    BACKEND = 4  # inference endpoint or resident server unreachable or failing
    INPUT = 5  # an input file or database could not be read; the output could not be written
    INTERRUPTED = 130  # Ctrl-C


class CodeassistError(Exception):
    """An error meant for the user: a one-line message, a hint, and an exit code."""

    exit_code: Exit = Exit.FAILURE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CodeassistError):
    exit_code = Exit.USAGE


class ModelError(CodeassistError):
    exit_code = Exit.MODEL


class BackendError(CodeassistError):
    exit_code = Exit.BACKEND


class InputError(CodeassistError):
    exit_code = Exit.INPUT


def not_utf8(exc: UnicodeError) -> UsageError:
    """For bytes that are not UTF-8: in argv, stdin, a file name, or pasted into the REPL."""
    reason = getattr(exc, "reason", str(exc))
    return UsageError(
        f"the input is not valid UTF-8 ({reason})",
        hint="pass text in UTF-8 (the request, the code, or the file names it reads)",
    )


def too_deep() -> UsageError:
    """For a RecursionError: code nested deeper than the parse-tree walks go (about 900 levels
    of `( … )`), whether the user or a model wrote it."""
    return UsageError(
        "the code is nested too deeply to read",
        hint="split it into smaller commands or functions",
    )
