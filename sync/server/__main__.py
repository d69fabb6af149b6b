"""`python -m sync.server ...` runs the kiosk-server command (no installed script needed)."""

from sync.server.cli import main

main()
