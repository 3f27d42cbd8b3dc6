"""codeassist: a local-first terminal code assistant."""

__version__ = "0.1.0"
