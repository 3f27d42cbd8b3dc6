"""SQL checks: parse, schema, EXPLAIN, result probes, and the automatic fixes."""
