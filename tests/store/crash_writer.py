"""Child process for the crash test: records submissions in a loop, printing each acknowledged number.

A number is printed only after record_submission returned, i.e. after the commit: that is the
moment the kiosk tells a person "saved".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kiosk.bootstrap import open_kiosk
from kiosk.services.submissions import record_submission


def main(data_dir: str, request_file: str) -> None:
    request = json.loads(Path(request_file).read_text())
    kiosk = open_kiosk(data_dir)
    while True:
        outcome = record_submission(
            kiosk, request, source=request_file, base_dir=Path(request_file).parent
        )
        sys.stdout.write(f"{outcome.submission.register_number} {outcome.submission.client_id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
