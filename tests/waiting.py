"""Waiting in tests: poll a condition until it holds, or fail with a message naming what was awaited.

Every wait is shorter than pytest's own timeout (300 s in pyproject.toml), so a hang reports which
condition never came instead of a bare "Timeout" with a stack dump.
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")

PYTEST_TIMEOUT = 300.0  # [tool.pytest.ini_options] timeout; a test's own waits stay well inside it


def wait_for(condition: Callable[[], T], timeout: float, what: str, *, interval: float = 0.05,
             details: Callable[[], str] | None = None) -> T:
    """Call `condition` every `interval` seconds until it returns something truthy, and return that.

    After `timeout` seconds raise AssertionError("... waited N s for <what>"), with `details()`
    (a log tail, the last state seen) appended when given. `condition` may raise AssertionError
    itself to stop the wait at once (e.g. a server process that exited).
    """
    if not 0 < timeout < PYTEST_TIMEOUT:
        raise ValueError(f"a wait of {timeout} s must be shorter than pytest's timeout ({PYTEST_TIMEOUT:g} s)")
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            message = f"gave up after waiting {timeout:g} s for {what}"
            if details is not None:
                message += "\n" + details()
            raise AssertionError(message)
        time.sleep(interval)
