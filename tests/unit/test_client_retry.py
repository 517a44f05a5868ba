"""The retry timing the README promises: exponential backoff from mihu:retryBaseDelay,
jitter between half and all of each step, capped at 10 s, within the deadline.

Deterministic: the jitter draw is replaced by one that returns a chosen end of its range,
and the real draw is checked against its bounds over many samples.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from pulumi_mihu import client as client_module
from pulumi_mihu.client import (
    MAX_BACKOFF,
    MihuClient,
    bounded,
    operation_deadline,
    operation_remaining,
)
from pulumi_mihu.errors import MihuServerError, MihuTransportError
from pulumi_mihu.settings import MihuSettings
from pulumi_mihu.testing import Fault, MihuSimulator
from support import FakeClock, settings_for

COLLECTION = "/channels/sip-trunk/connections"


def offline_client(base_delay: float = 0.5) -> MihuClient:
    """A client for backoff arithmetic only: it never sends a request."""
    return MihuClient(MihuSettings(api_token=SecretStr("t"), base_url="https://acme.mihu.ai",
                                   retry_base_delay=base_delay))


def draw(end: str) -> Callable[[float, float], float]:
    """A stand-in for random.uniform (the client's jitter draw) that returns the low or the
    high end of its range."""

    def uniform(low: float, high: float) -> float:
        assert low <= high
        return low if end == "low" else high

    return uniform


def test_the_cap_is_the_documented_ten_seconds() -> None:
    assert MAX_BACKOFF == 10.0


@pytest.mark.parametrize("end, expected", [
    ("high", [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]),
    ("low", [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]),
])
def test_backoff_doubles_per_attempt_and_is_capped(monkeypatch: pytest.MonkeyPatch, end: str,
                                                   expected: list[float]) -> None:
    monkeypatch.setattr(random, "uniform", draw(end))
    client = offline_client(0.5)
    assert [client.backoff(attempt) for attempt in range(1, 9)] == expected


def test_backoff_starts_from_the_configured_base_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", draw("high"))
    assert [offline_client(0.1).backoff(a) for a in (1, 2, 3)] == pytest.approx([0.1, 0.2, 0.4])
    assert offline_client(30.0).backoff(1) == 10.0, "the cap applies from the first retry"


def test_real_jitter_stays_between_half_and_all_of_each_step() -> None:
    """With the real random draw: every delay of attempt n lies in [step/2, step] with
    step = min(10, base x 2^(n-1)), and the draws use the whole range."""
    random.seed(1234)
    client = offline_client(0.5)
    for attempt in range(1, 10):
        step = min(10.0, 0.5 * 2 ** (attempt - 1))
        delays = [client.backoff(attempt) for _ in range(400)]
        assert all(step / 2 <= d <= step for d in delays), attempt
        assert min(delays) < step * 0.55 and max(delays) > step * 0.95, attempt


def test_pause_sleeps_the_backoff_of_that_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", draw("high"))
    sleeps: list[float] = []
    client = MihuClient(offline_client(0.5).settings, sleep=sleeps.append)
    client.pause(1)
    client.pause(3)
    assert sleeps == [0.5, 2.0]


def test_retries_of_a_call_sleep_exponentially_longer(sim: MihuSimulator,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", draw("high"))
    sim.inject(Fault(status=503, method="GET", times=4))
    sleeps: list[float] = []
    client = MihuClient(settings_for(sim, retry_base_delay=0.5, max_attempts=5),
                        sleep=sleeps.append)
    client.get(COLLECTION)
    assert sleeps == [0.5, 1.0, 2.0, 4.0]
    assert [r.status for r in sim.requests] == [503, 503, 503, 503, 200]


def test_retries_of_a_call_never_sleep_more_than_ten_seconds(
        sim: MihuSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", draw("high"))
    sim.inject(Fault(status=502, method="GET", times=3))
    sleeps: list[float] = []
    client = MihuClient(settings_for(sim, retry_base_delay=6.0, max_attempts=4,
                                     retry_deadline=1000.0), sleep=sleeps.append)
    client.get(COLLECTION)
    assert sleeps == [6.0, 10.0, 10.0]


def gets_until_failure(sim: MihuSimulator, **settings: Any) -> FakeClock:
    """A GET the API keeps answering with 503, on a fake clock: the clock (with the sleeps
    it saw) once the client has given up."""
    sim.inject(Fault(status=503, method="GET", times=1000))
    clock = FakeClock()
    client = MihuClient(settings_for(sim, **settings), sleep=clock.sleep, clock=clock)
    with pytest.raises(MihuServerError):
        client.get(COLLECTION)
    return clock


def test_a_retry_that_would_end_past_the_deadline_is_not_made(
        sim: MihuSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Base 1 s, deadline 2.5 s: sleeps of 1 then 2 would end at 3 s, past it, so the
    call fails after the second try, before sleeping again."""
    monkeypatch.setattr(random, "uniform", draw("high"))
    clock = gets_until_failure(sim, retry_base_delay=1.0, max_attempts=10, retry_deadline=2.5)
    assert clock.sleeps == [1.0]
    assert len(sim.requests) == 2


def test_a_retry_that_ends_exactly_at_the_deadline_is_made(
        sim: MihuSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", draw("high"))
    clock = gets_until_failure(sim, retry_base_delay=1.0, max_attempts=10, retry_deadline=3.0)
    assert clock.sleeps == [1.0, 2.0]
    assert len(sim.requests) == 3


def test_retry_after_replaces_the_backoff(sim: MihuSimulator,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", draw("high"))
    sim.inject(Fault(status=503, method="GET", retry_after="7"),
               Fault(status=503, method="GET"))
    sleeps: list[float] = []
    MihuClient(settings_for(sim, retry_base_delay=0.5), sleep=sleeps.append).get(COLLECTION)
    assert sleeps == [7.0, 1.0], "a Retry-After counts as an attempt for the next backoff"


def test_a_large_max_attempts_is_a_limit_too(sim: MihuSimulator) -> None:
    """300 tries then the error, not until the deadline: the count is compared by value
    (Python shares only the int objects up to 256)."""
    gets_until_failure(sim, retry_base_delay=0.001, max_attempts=300, retry_deadline=1e9)
    assert len(sim.requests) == 300


# -- the operation's customTimeouts (set by the native plugin; never in dynamic mode) -------


def test_no_custom_timeout_leaves_every_bound_as_set() -> None:
    assert operation_remaining() is None and bounded(30.0) == 30.0
    for none in (0.0, -1.0):  # the engine's "no customTimeouts"
        with operation_deadline(none):
            assert operation_remaining() is None and bounded(30.0) == 30.0


def test_a_custom_timeout_bounds_by_what_is_left_of_it() -> None:
    with operation_deadline(10.0):
        left = operation_remaining()
        assert left is not None and 9.0 < left <= 10.0
        assert 9.0 < bounded(30.0) <= 10.0 and bounded(5.0) == 5.0
    assert operation_remaining() is None and bounded(30.0) == 30.0, "reset after the block"


def test_an_expired_custom_timeout_bounds_to_a_millisecond_never_to_none() -> None:
    """requests takes a timeout of 0 as none at all: the bound never goes below 1 ms."""
    with operation_deadline(0.01):
        time.sleep(0.02)
        left = operation_remaining()
        assert left is not None and left < 0
        assert bounded(30.0) == 0.001


def test_a_call_within_the_custom_timeout_is_sent_and_one_after_it_is_not(
        sim: MihuSimulator) -> None:
    client = MihuClient(settings_for(sim))
    with operation_deadline(0.5):
        client.get(COLLECTION)
    assert len(sim.requests) == 1
    with operation_deadline(0.01):
        time.sleep(0.02)
        with pytest.raises(MihuTransportError) as info:
            client.get(COLLECTION)
    assert info.value.request_sent is False and "customTimeouts" in str(info.value)
    assert len(sim.requests) == 1, "nothing sent once the time is up"


def test_a_call_with_no_time_left_to_the_tick_is_not_sent(
        sim: MihuSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing left is as good as less than nothing: no request that could only time out."""
    monkeypatch.setattr(client_module, "operation_remaining", lambda: 0.0)
    with pytest.raises(MihuTransportError) as info:
        MihuClient(settings_for(sim)).get(COLLECTION)
    assert info.value.request_sent is False and sim.requests == []


def test_a_retry_past_the_custom_timeout_is_not_made(
        sim: MihuSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Base 1 s, retryDeadline 100 s, customTimeouts 2.5 s: as with a retryDeadline of
    2.5 s, the call fails after the second try instead of sleeping past the bound."""
    monkeypatch.setattr(random, "uniform", draw("high"))
    sim.inject(Fault(status=503, method="GET", times=1000))
    clock = FakeClock()
    client = MihuClient(settings_for(sim, retry_base_delay=1.0, max_attempts=10,
                                     retry_deadline=100.0), sleep=clock.sleep, clock=clock)
    with operation_deadline(2.5), pytest.raises(MihuServerError):
        client.get(COLLECTION)
    assert clock.sleeps == [1.0]
    assert len(sim.requests) == 2
