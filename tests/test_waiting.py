"""The tests' own wait helper: it returns what the condition found, and a timeout names what never came."""
from __future__ import annotations

import itertools

import pytest

from tests.waiting import PYTEST_TIMEOUT, wait_for


def test_returns_the_first_truthy_value_of_the_condition():
    calls = itertools.count(1)
    assert wait_for(lambda: "ready" if next(calls) >= 3 else None, 5, "the third call", interval=0.001) == "ready"
    assert next(calls) == 4                    # polled exactly until it held


def test_a_timeout_names_what_was_awaited_with_its_details():
    with pytest.raises(AssertionError, match=r"waiting 0.05 s for the moon to rise\nlast seen: dark"):
        wait_for(lambda: False, 0.05, "the moon to rise", interval=0.01, details=lambda: "last seen: dark")


def test_an_assertion_inside_the_condition_stops_the_wait_at_once():
    def exited() -> bool:
        raise AssertionError("server exited (1)")

    with pytest.raises(AssertionError, match="server exited"):
        wait_for(exited, 60, "a server that already died")


@pytest.mark.parametrize("timeout", [0, PYTEST_TIMEOUT, 600])
def test_a_wait_as_long_as_pytests_own_timeout_is_refused(timeout):
    with pytest.raises(ValueError, match="shorter than pytest's timeout"):
        wait_for(lambda: True, timeout, "anything")


def test_the_limit_is_pytests_configured_timeout(pytestconfig):
    assert float(pytestconfig.getini("timeout")) == PYTEST_TIMEOUT
