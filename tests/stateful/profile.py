"""Hypothesis profile shared by the state machines.

`CHARTER_FUZZ` picks it:

- unset: 200 examples x 30 steps from a fixed seed, so `make test` (and CI)
  runs the same sequences every time and a failure reproduces;
- `random`: 200 x 30 from a fresh seed (new sequences on every run);
- `long`: 2,000 x 60 from a fresh seed.

A failing sequence is printed step by step by Hypothesis either way.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
