"""Processes a test starts are stopped by the test run, whatever happens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar


class Stoppable(Protocol):
    def stop(self) -> object: ...


T = TypeVar("T", bound=Stoppable)


def stopped_at_end(make: Callable[..., T]) -> Iterator[Callable[..., T]]:
    """The body of a pytest factory fixture (`yield from stopped_at_end(make)`): the test
    gets start(...) -> make(...), and everything it started is stopped (by its own stop(),
    which ends the process by its PID) when the fixture ends, even after a failure."""
    started: list[T] = []

    def start(*args, **kwargs) -> T:
        thing = make(*args, **kwargs)
        started.append(thing)
        return thing

    try:
        yield start
    finally:
        for thing in started:
            thing.stop()
