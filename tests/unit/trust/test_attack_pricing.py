"""The Sybil attack of benchmarks/attack.py, small: an attacker who is both the user and the filler plants
N backed entries on its filler agent. Each entry needs a settled order of its own, entry N + 1 without a
new order is refused, and the attack's gas (so its price) grows linearly with N. The simulation runs in
an environment of its own (boa.swap_env), on the real contracts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import boa
import pytest

ROOT = Path(__file__).resolve().parents[3]
N = 5


def _attack():
    spec = importlib.util.spec_from_file_location("attack_bench", ROOT / "benchmarks" / "attack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


attack = _attack()


@pytest.fixture(scope="module")
def result():
    return attack.simulate(N, value_usd=100, batch=1, checkpoints=range(1, N + 1))


def test_n_entries_need_exactly_n_settled_orders(result):
    assert result["after_n"] == {"entries": N, "summary_count": N, "settled_orders": N}
    reader = result["reader"]  # the N entries and the dust order's
    assert reader["entries"] == reader["distinct_orders"] == N + 1
    assert reader["all_orders_settled"]


def test_entry_n_plus_one_without_an_order_is_refused(result):
    reasons = {r["attempt"]: (r["refused"], r["reason"]) for r in result["refusals"]}
    assert reasons == {
        "the same order again (U on B)": (True, "reputation: receipt used"),
        "an order id that was never settled": (True, "reputation: no receipt"),
        "the receipt of an open, unsettled order": (True, "reputation: no such settlement"),
        "feedback citing that open order": (True, "reputation: no receipt"),
        "a fresh address citing a settled order": (True, "reputation: not a counterparty"),
    }


def test_value_backs_each_entry_and_min_value_filters(result):
    value = 100 * attack.UNIT
    reader = result["reader"]
    assert reader["backed_volume"] == N * value + 1
    assert reader["counted_at_min_value"] == N
    assert reader["backed_volume_at_min_value"] == N * value


def test_price_grows_linearly_with_n(result):
    per_entry = sum(result["per_entry_gas"].values())
    steps = set(result["per_entry_gas"])
    assert steps == {"open", "fill", "settle", "record_receipt", "give_feedback"}
    assert all(result["per_entry_gas"][s] > 20_000 for s in steps)  # each step a real transaction
    runs = {r["n"]: r["backed_gas"] for r in result["runs"]}
    assert sorted(runs) == list(range(1, N + 1))
    increments = [runs[n] - runs[n - 1] for n in range(2, N + 1)]  # the marginal entry, after the first
    assert all(abs(d - per_entry) <= 0.01 * per_entry for d in increments)
    assert runs[N] >= sum(result["setup_gas"].values()) + N * min(increments)
    # the plain registry: no order behind an entry, several times cheaper
    plain = sum(result["plain_per_entry_gas"].values())
    assert per_entry > 3 * plain
    prices = attack.price(result, [("L1", 10.0)], 3_000.0)
    cost = {p["n"]: p["backed_eth"] for p in prices}
    assert cost[N] == pytest.approx(runs[N] * 10e-9)
    assert (cost[N] - cost[2]) == pytest.approx((N - 2) * (cost[2] - cost[1]), rel=0.01)
    assert all(c["ok"] for c in result["invariants"]), [c["check"] for c in result["invariants"] if not c["ok"]]


def test_the_checks_catch_a_registry_that_takes_entries_without_orders():
    """The refusal check is not vacuous: against the plain registry (no settler), a used order's id is
    taken again and the receipt is refused for another reason."""
    with boa.swap_env(boa.Env()):
        w = attack.build_world()
        entries = attack.plant_backed(w, 1, 100 * attack.UNIT, 1)
        w.backed = w.plain
        refusals = attack.attempt_more(w, entries)
    assert not attack.all_refused(refusals)
    taken = [r["attempt"] for r in refusals if not r["refused"]]
    assert "the same order again (U on B)" in taken
