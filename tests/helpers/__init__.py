"""What several test modules share and that is not a fixture (fixtures live in conftest.py)."""
