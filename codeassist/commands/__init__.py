"""One module per command: parse options, one call into the core, render, exit code."""
