"""The reference solver and the receipt-backed registry on two anvils: it fills only for openers
whose agent was reviewed for enough settled orders (of enough value, with a high enough score),
and with `rate_openers` it reviews the opener once an order it filled is settled."""

from __future__ import annotations

from decimal import Decimal

from charter.intents import OrderStatus
from charter.processes.solver import Policy, Route

from .conftest import CHAIN_A, CHAIN_B, World, until


def _policy(world: World, **kw) -> Policy:
    return Policy(routes=[Route(CHAIN_A, world.a.token.address, CHAIN_B, world.b.token.address)],
                  oracles={CHAIN_A: world.oracle}, **kw)


def test_solver_fills_only_for_openers_with_a_backed_record(world: World, solver) -> None:
    agent = world.a.user.registry.register("ipfs://charter-test/new-opener.json")
    strict = {"min_opener_orders": 1, "min_opener_score": Decimal(80), "min_backing_value": 10**17}

    first = world.order(agent_id=agent)
    world.a.user.intents.open(first)
    s = solver(policy=_policy(world, **strict))
    until(lambda: s.store.seen_state(first.order_id_hex) == "skipped", s.step)
    assert "has 0 review(s) backed by settled orders of at least 100,000,000,000,000,000" in s.store.db.execute(
        "SELECT reason FROM seen WHERE order_id = ?", (first.order_id_hex,)).fetchone()[0]

    # A dust order and a low score do not count; a real settled order reviewed well does.
    dust = world.settled(10**16, agent_id=agent).order_id
    world.a.filler.backed_reputation.give_for_order(dust, 100)
    low = world.settled(10**18, agent_id=agent).order_id
    world.a.filler.backed_reputation.give_for_order(low, 70)
    record = world.a.user.backed_reputation.backed_summary(agent, min_value=10**17)
    assert (record.count, record.average, record.ignored) == (1, Decimal(70), 1)
    second = world.order(agent_id=agent)
    world.a.user.intents.open(second)
    s.close()  # a new solver: the last one keeps the record it read for 30 s
    s = solver(policy=_policy(world, **strict))
    until(lambda: s.store.seen_state(second.order_id_hex) == "skipped", s.step)
    assert "averages 70.00 over 1" in s.store.db.execute(
        "SELECT reason FROM seen WHERE order_id = ?", (second.order_id_hex,)).fetchone()[0]

    good = world.settled(10**18, agent_id=agent).order_id
    world.a.filler.backed_reputation.give_for_order(good, 100)
    third = world.order(agent_id=agent)
    world.a.user.intents.open(third)
    s.close()
    s = solver(policy=_policy(world, **strict))
    until(lambda: s.store.seen_state(third.order_id_hex) == "filled", s.step)  # 2 orders, average 85


def test_solver_reviews_the_opener_once_its_fill_is_settled(world: World, solver, relayer) -> None:
    agent = world.a.user.registry.register("ipfs://charter-test/rated-opener.json")
    order = world.order(agent_id=agent)
    world.a.user.intents.open(order)
    s, r = solver(policy=_policy(world, rate_openers=90)), relayer()

    def step() -> None:
        s.step()
        r.step()

    until(lambda: s.store.seen_state(order.order_id_hex) == "settled", step, timeout=60)
    assert world.a.user.intents.origin_status(order.order_id) == OrderStatus.SETTLED
    backed = world.a.user.backed_reputation
    entries = backed.feedbacks(agent, [world.filler.address])
    assert [(e.value, e.backing.order_id) for e in entries] == [(90, order.order_id)]
    # Later rounds (and a restart) review it no more.
    s.step()
    assert backed.last_index(agent, world.filler.address) == 1
