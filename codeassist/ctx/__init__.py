"""Parts of the repository context engine: files, tags, cache, rank, pack."""
