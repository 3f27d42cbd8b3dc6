"""The user's shell: which one runs, and the key-binding widgets for bash, zsh and fish."""
