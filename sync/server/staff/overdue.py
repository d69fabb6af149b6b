"""When a complaint is overdue, written once for both places that ask.

The queue marks one case at a time in Python, while the "overdue only" filter and the escalation
sweep select cases in SQL. Two hand-written copies drifted before, so the rule is one function,
`overdue`, over a small set of operations (`Logic`) with two implementations: plain Python values
and SQLAlchemy columns. Whatever the rule says, both places say it.

The rule: an open complaint is overdue strictly after its resolution deadline, or strictly after
its first-response deadline while nobody has acted on it yet. At the deadline itself it is not.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import and_, false, or_

from sync.server.staff.workflow import OPEN_COMPLAINT

T = TypeVar("T")
V = TypeVar("V")


class Logic(Protocol[T]):
    """The operations the rule is made of; T is a truth value (bool, or an SQL condition)."""

    def all_of(self, *parts: T) -> T: ...

    def any_of(self, *parts: T) -> T: ...

    def one_of(self, value: Any, choices: Collection[str]) -> T: ...

    def missing(self, value: Any) -> T: ...

    def passed(self, deadline: Any, now: datetime) -> T:
        """`now` is strictly after `deadline`; an absent deadline has never passed."""
        ...


@dataclass(frozen=True)
class CaseClock(Generic[V]):
    """What the rule reads of a case: values in Python, columns in SQL."""

    state: V
    due_at: V
    first_response_due: V
    first_action_at: V


def overdue(case: CaseClock[Any], now: datetime, logic: Logic[T]) -> T:
    """The overdue rule, expressed in `logic`."""
    return logic.all_of(
        logic.one_of(case.state, sorted(state.value for state in OPEN_COMPLAINT)),
        logic.any_of(
            logic.passed(case.due_at, now),
            logic.all_of(
                logic.missing(case.first_action_at), logic.passed(case.first_response_due, now)
            ),
        ),
    )


class PythonLogic:
    """The rule on one case's values."""

    def all_of(self, *parts: bool) -> bool:
        return all(parts)

    def any_of(self, *parts: bool) -> bool:
        return any(parts)

    def one_of(self, value: Any, choices: Collection[str]) -> bool:
        return value in choices

    def missing(self, value: Any) -> bool:
        return value is None

    def passed(self, deadline: Any, now: datetime) -> bool:
        return deadline is not None and now > deadline


class SqlLogic:
    """The rule as a WHERE condition on columns (NULL deadlines compare as not passed)."""

    def all_of(self, *parts: Any) -> Any:
        return and_(*parts)

    def any_of(self, *parts: Any) -> Any:
        return or_(*parts)

    def one_of(self, value: Any, choices: Collection[str]) -> Any:
        return value.in_(list(choices)) if choices else false()

    def missing(self, value: Any) -> Any:
        return value.is_(None)

    def passed(self, deadline: Any, now: datetime) -> Any:
        return and_(deadline.is_not(None), deadline < now)


PYTHON = PythonLogic()
SQL = SqlLogic()


def is_overdue(
    *,
    state: str,
    due_at: datetime | None,
    first_response_due: datetime | None,
    first_action_at: datetime | None,
    now: datetime,
) -> bool:
    """The verdict for one case."""
    clock = CaseClock(state, due_at, first_response_due, first_action_at)
    return overdue(clock, now, PYTHON)


def overdue_condition(columns: CaseClock[Any], now: datetime) -> Any:
    """The same verdict as an SQL condition on `columns` (e.g. the cases table's)."""
    return overdue(columns, now, SQL)
