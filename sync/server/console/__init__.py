"""The staff console: a Flet app served by kiosk-server at /console (issue #6).

Views are thin; the logic lives in `models` so it is tested without a browser. Every sentence
comes from assets/i18n/<lang>/console.toml; personal numbers are shown masked unless the role
needs them.
"""

from sync.server.console.mount import CONSOLE_PATH, mount_console

__all__ = ["CONSOLE_PATH", "mount_console"]
