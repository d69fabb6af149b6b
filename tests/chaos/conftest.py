"""Chaos tests run on SQLite and, through the shared fixture, on PostgreSQL."""

from tests.support.server import postgres_url  # noqa: F401  (fixture)
