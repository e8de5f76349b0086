"""The solver's policy, and the relayer as a process: it stops cleanly on SIGTERM / SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from charter.devchain import DEV_KEYS
from charter.intents import Output
from charter.processes.solver import Policy, Route

from .conftest import CHAIN_A, CHAIN_B, COMMITTEE, World


def test_solver_fills_each_order_once_and_skips_what_its_policy_refuses(world: World, solver) -> None:
    good = world.order()
    untrusted = world.order(oracle=world.deployer.address)  # an oracle the solver does not trust
    stingy = world.order(amount=100, out=101)
    other_token = world.order(outputs=[Output(token=world.deployer.address, amount=10, recipient=world.user.address,
                                              chain_id=CHAIN_B)])
    for order in (good, untrusted, stingy, other_token):
        world.a.user.intents.open(order)

    s = solver(policy=Policy(routes=[Route(CHAIN_A, world.a.token.address, CHAIN_B, world.b.token.address)],
                             oracles={CHAIN_A: world.oracle}, min_reward_bps=0))
    orders = (good, untrusted, stingy, other_token)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
        s.store.seen_state(good.order_id_hex) != "filled" or any(s.store.seen_state(o.order_id_hex) is None
                                                                  for o in orders)
    ):
        s.step()
        time.sleep(0.25)
    for _ in range(3):
        s.step()  # seen again: never filled twice
    assert s.store.seen_state(good.order_id_hex) == "filled"
    fills = world.b.user.intents.fills(0)
    assert sum(f.order_id == good.order_id for f in fills) == 1
    assert s.store.seen_state(untrusted.order_id_hex) == "skipped"
    assert s.store.seen_state(stingy.order_id_hex) == "skipped"
    assert s.store.seen_state(other_token.order_id_hex) == "skipped"
    for order in (untrusted, stingy, other_token):
        assert not any(world.b.user.intents.record_of(order.order_id))


def test_solver_waits_for_inventory(world: World, solver) -> None:
    huge = world.order(amount=10**26)  # more than the solver holds on B
    world.a.send(world.deployer, world.a.token.functions.mint(world.user.address, 10**26))
    world.a.user.intents.open(huge)
    s = solver()
    deadline = time.monotonic() + 30
    while s.store.seen_state(huge.order_id_hex) is None and time.monotonic() < deadline:
        s.step()
        time.sleep(0.25)
    s.step()
    assert s.store.seen_state(huge.order_id_hex) == "retry"  # not given up: inventory may arrive


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_relayer_process_stops_cleanly(world: World, start: tuple[int, int], tmp_path: Path, sig: int) -> None:
    config = tmp_path / "relay.toml"
    config.write_text(
        f'db = "{tmp_path / "relay.sqlite"}"\nsender_key_env = "T_RELAYER"\n'
        'attester_keys_env = ["T_A0", "T_A1", "T_A2"]\npoll_interval = 0.2\n'
        f'[[chains]]\nchain_id = {CHAIN_A}\nrpc = "{world.a.chain.url}"\nstart_block = {start[0]}\n'
        f'oracle = "{world.oracle}"\n'
        f'[[chains]]\nchain_id = {CHAIN_B}\nrpc = "{world.b.chain.url}"\nstart_block = {start[1]}\n'
    )
    env = {**os.environ, "T_RELAYER": DEV_KEYS[3], **{f"T_A{i}": m.key.hex() for i, m in enumerate(COMMITTEE)}}
    process = subprocess.Popen(
        [sys.executable, "-m", "charter.cli", "relay", "--config", str(config)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "relay.sqlite").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # a few rounds
        process.send_signal(sig)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "relayer stopped" in err and "Traceback" not in err
    assert out.startswith("relayer:")
