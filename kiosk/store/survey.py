"""Satisfaction survey answers on the device: a score, which flow it followed, and when; nothing more."""

from __future__ import annotations

import sqlite_utils


def save_answer(
    db: sqlite_utils.Database, *, score: int, flow: str, language: str, answered_at: str
) -> int:
    """Insert one answer; returns its row id."""
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO survey_answers (score, flow, language, answered_at) VALUES (?, ?, ?, ?)",
            [score, flow, language, answered_at],
        )
    return int(cursor.lastrowid or 0)


def score_counts(db: sqlite_utils.Database) -> dict[int, int]:
    """How many answers gave each score 1-5 (zero for scores nobody chose)."""
    counts = dict.fromkeys(range(1, 6), 0)
    for score, count in db.execute(
        "SELECT score, count(*) FROM survey_answers GROUP BY score"
    ).fetchall():
        counts[int(score)] = int(count)
    return counts
