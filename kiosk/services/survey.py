"""The one-question satisfaction survey at the end of a self-check or complaint: validate, store, queue.

The server checks the same things again (sync/server/validation.py keeps the same FLOWS).
"""

from __future__ import annotations

from kiosk.bootstrap import Kiosk
from kiosk.errors import InputError
from kiosk.i18n import LANGUAGES
from kiosk.services.clock import Clock, IdFactory, new_client_id, system_clock
from kiosk.store.survey import save_answer, score_counts

SCORES = (1, 2, 3, 4, 5)
FLOWS = ("selfcheck", "complaint", "officer")


def record_survey_answer(
    kiosk: Kiosk,
    score: int,
    *,
    flow: str,
    language: str,
    clock: Clock = system_clock,
    new_id: IdFactory = new_client_id,
) -> int:
    """Save one answer (1 = very unhappy ... 5 = very happy) and queue it for sync; returns its id."""
    if score not in SCORES:
        raise InputError("the score must be 1 to 5", where="score", code="survey.bad_score")
    if flow not in FLOWS:
        raise InputError(f"unknown flow {flow!r}", where="flow", code="survey.bad_flow")
    chosen_language = language if language in LANGUAGES else LANGUAGES[0]
    return save_answer(
        kiosk.db,
        client_id=new_id(),
        score=score,
        flow=flow,
        language=chosen_language,
        answered_at=clock().isoformat(),
    )


def survey_summary(kiosk: Kiosk) -> dict[int, int]:
    """Answers per score, for the officer's report."""
    return score_counts(kiosk.db)
