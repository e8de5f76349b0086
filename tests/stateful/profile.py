"""Hypothesis profile shared by the state machines.

`CHARTER_FUZZ` picks it:

- unset: 200 examples x 30 steps from a fixed seed, so `make test` (and CI)
  runs the same sequences every time and a failure reproduces;
- `random`: 200 x 30 from a fresh seed (new sequences on every run);
- `long`: 2,000 x 60 from a fresh seed.

A failing sequence is printed step by step by Hypothesis either way.

`stateful_step_count` is only a maximum: Hypothesis also ends runs early
(about a third of them when it mutates earlier examples), so the machines go
through :func:`full_length`, which discards the runs shorter than STEPS.
"""

from __future__ import annotations

import os
import sys
from typing import TypeVar

from hypothesis import HealthCheck, reject, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant

FUZZ = os.environ.get("CHARTER_FUZZ", "")
if FUZZ not in ("", "random", "long"):
    raise ValueError(f"CHARTER_FUZZ={FUZZ!r}: use 'random', 'long' or leave it unset")
LONG = FUZZ == "long"
MAX_EXAMPLES = 2_000 if LONG else 200
STEPS = 60 if LONG else 30
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    derandomize=not FUZZ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


M = TypeVar("M", bound=RuleBasedStateMachine)


def full_length(machine: type[M]) -> type[M]:
    """`machine`, counting its steps, whose runs shorter than STEPS are
    discarded (``hypothesis.reject``): every run that counts makes exactly
    STEPS steps, and Hypothesis draws a new one in place of each short one.

    A run that fails is never discarded, whatever its length, so shrinking
    still reports the shortest failing sequence.
    """

    class FullLength(machine):  # type: ignore[valid-type, misc]
        _steps_run = -1  # the invariants are first checked before any step

        @invariant(check_during_init=True)
        def count_steps(self) -> None:
            self._steps_run += 1

        def teardown(self) -> None:
            failing = sys.exc_info()[0] is not None  # teardown runs in Hypothesis's `finally`
            super().teardown()
            if not failing and self._steps_run < STEPS:
                reject()

    FullLength.__name__ = machine.__name__
    FullLength.__qualname__ = machine.__qualname__
    return FullLength
