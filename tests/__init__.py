"""The test suite: a package, so `tests.helpers` resolves to this folder and nothing else."""
