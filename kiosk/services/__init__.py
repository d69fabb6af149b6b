"""Use cases: the only API that views and the CLI call."""
