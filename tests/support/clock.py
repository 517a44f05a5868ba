"""The tests' one fake clock."""

from __future__ import annotations

from collections.abc import Callable


class FakeClock:
    """A monotonic clock that advances only by what is slept: give a ``MihuClient``
    ``clock=fake`` (it is callable; ``fake.clock`` too) and ``sleep=fake.sleep``.

    ``sleeps`` lists every pause in order, ``slept`` is their sum, and the ``on_sleep``
    hooks run (once each, in order) at the next sleep: a server committing while the
    client waits. A sleep of nothing or less is refused: with this clock it would be a
    busy loop, and with the real one a wasted request.
    """

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []
        self.on_sleep: list[Callable[[], object]] = []

    def __call__(self) -> float:
        return self.now

    def clock(self) -> float:
        return self.now

    @property
    def slept(self) -> float:
        return sum(self.sleeps)

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, f"asked to sleep {seconds} s"
        self.sleeps.append(seconds)
        self.now += seconds
        while self.on_sleep:
            self.on_sleep.pop(0)()
