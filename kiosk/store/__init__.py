"""The on-device store: SQLite through sqlite-utils, with migrations, outbox, roster and photos."""
