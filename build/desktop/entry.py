"""Entry point of the desktop bundle: the same `kiosk` command, frozen by PyInstaller."""

import multiprocessing

from kiosk.cli import main

if __name__ == "__main__":
    # A frozen app on Windows re-runs this file for each child process; let them start cleanly.
    multiprocessing.freeze_support()
    main()
