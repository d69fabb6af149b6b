"""The request retry policy on its own: what is retried, how long it waits, when it gives up."""

from __future__ import annotations

import pytest

from sync.errors import AuthRejected, RequestRefused, ServerBusy, ServerError, Unreachable
from sync.retry import Backoff, RequestRetry, RetryPolicy


class Flaky:
    """A request that raises the given errors in turn, then answers "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def _retry(sleeps: list[float], draw: float = 0.5, **policy) -> RequestRetry:
    return RequestRetry(RetryPolicy(**policy), sleep=sleeps.append, draw=lambda: draw)


def test_waits_grow_as_capped_exponential_backoff_with_full_jitter():
    sleeps: list[float] = []
    retry = _retry(sleeps, draw=1.0, request=Backoff(base=1.0, cap=3.0), tries=5)
    request = Flaky(*[Unreachable("down")] * 4)
    assert retry.call(request) == "ok"
    assert sleeps == [1.0, 2.0, 3.0, 3.0]  # 1 × 2^n, capped at 3


def test_a_retry_after_is_the_floor_under_the_jitter():
    sleeps: list[float] = []
    retry = _retry(sleeps, draw=0.0, request=Backoff(base=1.0, cap=30.0))
    assert retry.call(Flaky(ServerBusy("busy", retry_after=9))) == "ok"
    assert sleeps == [9.0]  # a draw of zero still waits what the server asked


def test_the_jitter_above_a_retry_after_is_capped_like_any_other_wait():
    sleeps: list[float] = []
    retry = _retry(sleeps, draw=1.0, request=Backoff(base=4.0, cap=6.0), tries=4)
    busy = [ServerBusy("busy", retry_after=2) for _ in range(3)]
    assert retry.call(Flaky(*busy)) == "ok"
    assert sleeps == [2 + 4.0, 2 + 6.0, 2 + 6.0]


def test_a_retry_after_beyond_what_a_run_may_wait_is_not_waited_for():
    sleeps: list[float] = []
    retry = _retry(sleeps, longest_wait=60.0)
    request = Flaky(ServerBusy("busy", retry_after=61))
    with pytest.raises(ServerBusy):
        retry.call(request)
    assert sleeps == [] and request.calls == 1


def test_what_cannot_succeed_later_is_never_retried():
    for refusal in (AuthRejected("no", reason="revoked"), RequestRefused("no", error_code="x")):
        sleeps: list[float] = []
        request = Flaky(refusal)
        with pytest.raises(type(refusal)):
            _retry(sleeps).call(request)
        assert sleeps == [] and request.calls == 1


def test_a_foreign_error_is_a_bug_and_is_not_retried():
    request = Flaky(ValueError("bug"))
    with pytest.raises(ValueError):
        _retry([]).call(request)
    assert request.calls == 1


def test_after_the_last_try_the_last_error_is_raised_as_it_was():
    sleeps: list[float] = []
    last = ServerError("still broken")
    request = Flaky(ServerError("broken"), ServerError("broken"), last)
    with pytest.raises(ServerError) as caught:
        _retry(sleeps, tries=3).call(request)
    assert caught.value is last and request.calls == 3 and len(sleeps) == 2


def test_a_run_that_is_ending_does_not_try_again():
    stopping = RequestRetry(RetryPolicy(), sleep=lambda _: None, should_stop=lambda: True)
    request = Flaky(Unreachable("down"))
    with pytest.raises(Unreachable):
        stopping.call(request)
    assert request.calls == 1
