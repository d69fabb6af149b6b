"""Satisfaction survey answers on the device: a score, which flow it followed, and when; nothing more.

Each answer is saved with its outbox row in one transaction, so it reaches the server through
sync like every record, or is not saved at all. The outbox body is all the server learns: no
name, no NIK, no register number; the server adds the device's area.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from kiosk.store.codec import SCHEMA
from kiosk.store.outbox import enqueue

SURVEY_KIND = "survey"


def survey_record(
    client_id: str, *, score: int, flow: str, language: str, answered_at: str
) -> dict[str, Any]:
    """The answer as sent to the server (sync/protocol.py record kind "survey")."""
    return {
        "schema": SCHEMA,
        "kind": SURVEY_KIND,
        "client_id": client_id,
        "score": score,
        "flow": flow,
        "language": language,
        "answered_at": answered_at,
    }


def save_answer(
    db: sqlite_utils.Database,
    *,
    client_id: str,
    score: int,
    flow: str,
    language: str,
    answered_at: str,
) -> int:
    """Insert one answer and queue it for the server, both or neither; returns its row id."""
    record = survey_record(
        client_id, score=score, flow=flow, language=language, answered_at=answered_at
    )
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO survey_answers (score, flow, language, answered_at) VALUES (?, ?, ?, ?)",
            [score, flow, language, answered_at],
        )
        enqueue(db, SURVEY_KIND, client_id, record, answered_at)
    return int(cursor.lastrowid or 0)


def score_counts(db: sqlite_utils.Database) -> dict[int, int]:
    """How many answers gave each score 1-5 (zero for scores nobody chose)."""
    counts = dict.fromkeys(range(1, 6), 0)
    for score, count in db.execute(
        "SELECT score, count(*) FROM survey_answers GROUP BY score"
    ).fetchall():
        counts[int(score)] = int(count)
    return counts
