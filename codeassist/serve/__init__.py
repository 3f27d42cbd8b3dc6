"""The resident model server: one process per user and model on a private Unix socket."""
