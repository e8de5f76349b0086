"""The relayer and the solver under the faults production RPCs and operators bring (issue 18).

Each test reproduces one finding: a lagging backend behind a load balancer,
a destination chain reset, a reorg deeper than the confirmations, a chain
that is down or hangs, two processes on one state file, a restart during a
fill, a flood of tiny orders. Faults are injected in the RPC the process
talks to (:class:`FaultyProvider`) or by real sockets and real anvils; the
chaos suite (tests/chaos) runs them against the real processes at random.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from web3 import Web3

from charter import Charter
from charter._core.artifacts import abi, init_code
from charter.devchain import DEV_KEYS, local_anvil
from charter.exceptions import CharterError
from charter.intents import OrderStatus, Output
from charter.intents.models import FillRecord
from charter.processes.relayer import ChainConfig, RelayConfig, Relayer
from charter.processes.solver import Policy, Route, Solver, SolverConfig
from charter.processes.store import Store

from .conftest import CHAIN_A, CHAIN_B, COMMITTEE, CONFIRMATIONS, World, until

STATE_READS = ("eth_call", "eth_getBalance", "eth_getCode", "eth_getTransactionCount", "eth_getStorageAt")


class FaultyProvider(Web3.HTTPProvider):
    """An RPC as production serves it: `lag` blocks behind for state reads (a load balancer
    whose backend lags: the head and logs are fresh), `down`, or pointed at another node."""

    def __init__(self, url: str) -> None:
        super().__init__(url, request_kwargs={"timeout": 5}, exception_retry_configuration=None)
        self.lag = 0
        self.down = False

    def make_request(self, method: Any, params: Any) -> Any:
        if self.down:
            raise requests.ConnectionError("connection refused (injected)")
        if self.lag and method in STATE_READS:
            head = int(super().make_request("eth_blockNumber", [])["result"], 16)
            behind = max(0, head - self.lag)
            block = params[-1] if params else "latest"
            if block in ("latest", "pending", "safe", "finalized"):
                params = [*params[:-1], hex(behind)]
            elif isinstance(block, str) and block.startswith("0x") and len(block) < 20 and int(block, 16) > behind:
                return {"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "header not found"}}
        return super().make_request(method, params)


def _faulty(world: World) -> dict[int, FaultyProvider]:
    return {CHAIN_A: FaultyProvider(world.a.chain.url), CHAIN_B: FaultyProvider(world.b.chain.url)}


def _relayer(world: World, tmp_path: Path, start: tuple[int, int], providers: dict[int, FaultyProvider],
             **kw: Any) -> Relayer:
    config = RelayConfig(chains=world.chains(start), oracles={CHAIN_A: world.oracle},
                         attester_keys=[m.key.hex() for m in COMMITTEE], sender_key=world.relayer_key,
                         db=str(tmp_path / "relay.sqlite"), poll_interval=0.2, **kw)
    return Relayer(config, connect=lambda chain: Web3(providers[chain.chain_id]))


def _solver(world: World, tmp_path: Path, start: tuple[int, int], providers: dict[int, FaultyProvider] | None = None,
            **kw: Any) -> Solver:
    config = SolverConfig(chains=world.chains(start), key=DEV_KEYS[2], agent_id=world.filler_agent,
                          policy=Policy(routes=[Route(CHAIN_A, world.a.token.address, CHAIN_B, world.b.token.address)],
                                        oracles={CHAIN_A: world.oracle}),
                          db=str(tmp_path / "solver.sqlite"), poll_interval=0.2, **kw)
    if providers is None:
        return Solver(config)
    return Solver(config, connect=lambda chain: Web3(providers[chain.chain_id]))


def _filled(world: World, order: Any) -> None:
    world.a.user.intents.open(order)
    world.b.filler.intents.fill(order, FillRecord(payout=world.filler.address, filler_agent_id=world.filler_agent))


# ---------------------------------------------------------------- fund loss


def test_a_lagging_origin_rpc_never_turns_a_fill_into_a_refund(world: World, tmp_path: Path,
                                                               start: tuple[int, int]) -> None:
    """Finding 1: the origin's state reads answer 30 blocks behind; the order reads UNKNOWN there.
    It must stay proven (never recorded refunded) and settle once the RPC catches up."""
    world.a.mine(40)  # the suite is deployed 30 blocks back: only the order is too new for the backend
    order = world.order()
    _filled(world, order)
    providers = _faulty(world)
    relay = _relayer(world, tmp_path, start, providers)
    try:
        relay.check()  # at start-up, the RPC answered at its head
        providers[CHAIN_A].lag = 30
        until(lambda: (row := relay.store.order(order.order_id_hex)) is not None and row.state == "proven",
              relay.step)
        for _ in range(5):
            relay.step()
            time.sleep(0.2)
        row = relay.store.order(order.order_id_hex)
        assert row is not None and row.state == "proven"
        assert world.a.user.intents.origin_status(order.order_id) == OrderStatus.OPEN
        providers[CHAIN_A].lag = 0
        until(lambda: relay.store.order(order.order_id_hex).state == "settled", relay.step)  # type: ignore[union-attr]
        assert world.a.user.intents.origin_status(order.order_id) == OrderStatus.SETTLED
    finally:
        relay.close()


@pytest.fixture
def fresh_b() -> Iterator[Any]:
    """Another anvil with chain B's id: chain B after a reset, as a relayer sees it."""
    with local_anvil(CHAIN_B, block_time=1) as chain:
        yield chain


def test_a_destination_reset_halts_that_chain_and_refunds_nothing_it_cannot_see(
        world: World, tmp_path: Path, start: tuple[int, int], fresh_b: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Finding 2: chain B is reset behind the same RPC (a new genesis, its head below the cursor).
    The relayer halts B, says so, and does not refund A's order past refundAfter, whose fill it
    could not see; after `--resync B` it reads the new chain and acts on what it shows."""
    order = world.order()
    world.a.user.intents.open(order)
    providers = _faulty(world)
    relay = _relayer(world, tmp_path, start, providers)
    try:
        until(lambda: relay.store.order(order.order_id_hex) is not None, relay.step)
        for _ in range(3):
            relay.step()  # B's identity and cursor are known
        providers[CHAIN_B].endpoint_uri = fresh_b.url  # the node behind the RPC is a new chain
        Charter.deploy(fresh_b.w3, world.deployer)
        delta = order.data.refund_after - world.a.now + 5
        for side in (world.a, world.b):  # both clocks: the chains stay in step for the next tests
            side.warp(delta)
        with caplog.at_level(logging.ERROR, logger="charter.chain"):
            for _ in range(4):
                report = relay.step()
        assert relay.chains[CHAIN_B].link.halted is not None and "genesis" in relay.chains[CHAIN_B].link.halted
        assert CHAIN_B in report.failed_chains
        assert any("chain 31422 halted" in r.getMessage() and "--resync 31422" in r.getMessage()
                   for r in caplog.records)
        assert world.a.user.intents.origin_status(order.order_id) == OrderStatus.OPEN
        assert relay.store.order(order.order_id_hex).state == "open"  # type: ignore[union-attr]
    finally:
        relay.close()
    # A restart does not forget it: still halted
    relay = _relayer(world, tmp_path, start, providers)
    try:
        relay.step()
        assert relay.chains[CHAIN_B].link.halted is not None
        assert world.a.user.intents.origin_status(order.order_id) == OrderStatus.OPEN
    finally:
        relay.close()
    # The operator looked: the new B holds no fill of the order; resync, and once B too shows
    # the fill deadline passed, the refund is due
    fresh_now = int(fresh_b.w3.eth.get_block("latest")["timestamp"])
    fresh_b.w3.provider.make_request("evm_increaseTime", [order.data.refund_after - fresh_now + 5])
    fresh_b.w3.provider.make_request("evm_mine", [])
    store = Store(tmp_path / "relay.sqlite")
    store.resync(CHAIN_B, 0)
    store.close()
    relay = _relayer(world, tmp_path, start, providers)
    try:
        until(lambda: world.a.user.intents.origin_status(order.order_id) == OrderStatus.REFUNDED, relay.step)
    finally:
        relay.close()


def test_a_reorg_deeper_than_the_confirmations_halts_the_chain(world: World, tmp_path: Path,
                                                              start: tuple[int, int]) -> None:
    """Finding 2: a block the relayer read at the confirmation depth is replaced: reported, never absorbed."""
    providers = _faulty(world)
    relay = _relayer(world, tmp_path, start, providers)
    try:
        world.b.mine(CONFIRMATIONS + 3)
        relay.step()
        read, _ = relay.store.cursor_at(f"relay:{CHAIN_B}", 0)
        assert read > start[1]
        clock = world.b.now
        world.b.w3.provider.make_request("anvil_reorg", [CONFIRMATIONS + 4, []])  # type: ignore[arg-type]
        if world.b.now < clock:  # anvil's reorg forgets evm_increaseTime: keep B in step with A for the next tests
            world.b.warp(clock - world.b.now + 1)
        relay.step()
        halted = relay.chains[CHAIN_B].link.halted
        assert halted is not None and "reorg deeper than its 2 confirmations" in halted
        assert relay.chains[CHAIN_A].link.halted is None
    finally:
        relay.close()


# ---------------------------------------------------------------- availability


def test_the_solver_keeps_going_while_the_destination_is_down_and_fills_when_it_is_back(
        world: World, tmp_path: Path, start: tuple[int, int]) -> None:
    """Finding 4: a new order while B's RPC is down holds back B only; the order is filled later."""
    providers = _faulty(world)
    providers[CHAIN_B].down = True
    s = _solver(world, tmp_path, start, providers)
    try:
        order = world.order()
        world.a.user.intents.open(order)
        until(lambda: s.store.seen_state(order.order_id_hex) is not None, s.step)
        report = s.step()
        assert report.failed_chains == [CHAIN_B]
        providers[CHAIN_B].down = False
        until(lambda: s.store.seen_state(order.order_id_hex) == "filled", s.step)
    finally:
        s.close()


@pytest.fixture
def hanging_rpc() -> Iterator[str]:
    """A listener that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _relay_toml(world: World, tmp_path: Path, start: tuple[int, int], rpc_b: str, extra: str = "") -> Path:
    config = tmp_path / "relay.toml"
    config.write_text(
        f'db = "{tmp_path / "relay.sqlite"}"\nsender_key_env = "T_RELAYER"\n'
        f'attester_keys_env = ["T_A0", "T_A1", "T_A2"]\npoll_interval = 0.2\n{extra}'
        f'[[chains]]\nchain_id = {CHAIN_A}\nrpc = "{world.a.chain.url}"\nstart_block = {start[0]}\n'
        f'oracle = "{world.oracle}"\n'
        f'[[chains]]\nchain_id = {CHAIN_B}\nrpc = "{rpc_b}"\nstart_block = {start[1]}\nrpc_timeout = 2\n'
    )
    return config


def _env(world: World) -> dict[str, str]:
    return {**os.environ, "T_RELAYER": world.relayer_key, **{f"T_A{i}": m.key.hex() for i, m in enumerate(COMMITTEE)}}


def test_a_hanging_rpc_holds_back_only_its_chain_and_sigterm_stops_within_seconds(
        world: World, tmp_path: Path, start: tuple[int, int], hanging_rpc: str) -> None:
    """Finding 5: B's RPC accepts and never answers. A's orders are still read, and SIGTERM
    ends the process within a few seconds with its summary."""
    config = _relay_toml(world, tmp_path, start, hanging_rpc)
    process = subprocess.Popen([sys.executable, "-m", "charter.cli", "relay", "--config", str(config)],
                               env=_env(world), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        order = world.order()
        world.a.user.intents.open(order)
        deadline = time.monotonic() + 30
        seen = False
        while time.monotonic() < deadline and not seen:
            time.sleep(0.5)
            if (tmp_path / "relay.sqlite").exists():
                probe = subprocess.run(
                    [sys.executable, "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                     "print(c.execute('select count(*) from orders where order_id=?', (sys.argv[2],)).fetchone()[0])",
                     str(tmp_path / "relay.sqlite"), order.order_id_hex], capture_output=True, text=True)
                seen = probe.stdout.strip() == "1"
        assert seen, "chain A's order was not read while B hangs"
        assert process.poll() is None
        stopped = time.monotonic()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
        assert time.monotonic() - stopped < 6, err
    finally:
        if process.poll() is None:
            process.kill()
    assert "relayer stopped" in err and "Traceback" not in err
    assert out.startswith("relayer:") and "chain 31422 unreachable" in out


def test_once_exits_non_zero_when_a_chain_failed(world: World, tmp_path: Path, start: tuple[int, int]) -> None:
    """Finding 6: `--once` with a chain down says so and exits 1 (the other chain still ran)."""
    config = _relay_toml(world, tmp_path, start, "http://127.0.0.1:9")
    done = subprocess.run([sys.executable, "-m", "charter.cli", "relay", "--config", str(config), "--once"],
                          env=_env(world), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "chain 31422 failed in the last round" in done.stderr and "Traceback" not in done.stderr


# ---------------------------------------------------------------- smaller findings


def test_two_processes_cannot_share_a_state_file(tmp_path: Path) -> None:
    first = Store(tmp_path / "relay.sqlite")
    try:
        with pytest.raises(CharterError, match="in use by process"):
            Store(tmp_path / "relay.sqlite")
    finally:
        first.close()
    Store(tmp_path / "relay.sqlite").close()  # free again once closed


def test_a_state_file_deleted_without_its_wal_opens_afresh(tmp_path: Path) -> None:
    path = tmp_path / "relay.sqlite"
    store = Store(path)
    store.set_meta("x", "1")
    Path(f"{path}-wal").write_bytes(b"\0" * 4096)  # as if left by a crash
    store.close()
    path.unlink()
    Path(f"{path}-wal").write_bytes(os.urandom(4096))
    Path(f"{path}-shm").write_bytes(os.urandom(32768))
    store = Store(path)
    try:
        assert store.meta("x") is None and store.counts() == {}
    finally:
        store.close()


def test_tiny_orders_below_min_inputs_cost_the_relayer_nothing(world: World, tmp_path: Path,
                                                                start: tuple[int, int]) -> None:
    tiny, worth = world.order(amount=1_000, out=990), world.order(amount=10**18)
    for order in (tiny, worth):
        world.a.user.intents.open(order)
    providers = _faulty(world)
    chains = world.chains(start)
    chains[0] = ChainConfig(CHAIN_A, world.a.chain.url, confirmations=CONFIRMATIONS, start_block=start[0],
                            min_inputs={world.a.token.address: 10**15})
    relay = Relayer(RelayConfig(chains=chains, oracles={CHAIN_A: world.oracle},
                                attester_keys=[m.key.hex() for m in COMMITTEE], sender_key=world.relayer_key,
                                db=str(tmp_path / "relay.sqlite"), poll_interval=0.2),
                    connect=lambda chain: Web3(providers[chain.chain_id]))
    try:
        until(lambda: relay.store.order(worth.order_id_hex) is not None, relay.step)
        assert relay.store.order(tiny.order_id_hex) is None
    finally:
        relay.close()


def test_a_fill_sent_before_a_restart_counts_as_the_solvers(world: World, tmp_path: Path,
                                                           start: tuple[int, int]) -> None:
    """The solver was killed after its fill left: restarted, it finds its own record and counts
    the order filled (not skipped, not retried with AlreadyFilled every second)."""
    order = world.order()
    world.a.user.intents.open(order)
    world.b.filler.intents.fill(order, FillRecord(payout=world.filler.address, filler_agent_id=world.filler_agent))
    s = _solver(world, tmp_path, start)
    try:
        until(lambda: s.store.seen_state(order.order_id_hex) not in (None, "new"), s.step)
        assert s.store.seen_state(order.order_id_hex) == "filled"
    finally:
        s.close()


def test_an_inventory_shortfall_is_logged_once(world: World, tmp_path: Path, start: tuple[int, int],
                                               caplog: pytest.LogCaptureFixture) -> None:
    huge = world.order(amount=10**26)
    world.a.send(world.deployer, world.a.token.functions.mint(world.user.address, 10**26))
    world.a.user.intents.open(huge)
    s = _solver(world, tmp_path, start)
    try:
        with caplog.at_level(logging.WARNING, logger="charter.solve"):
            until(lambda: s.store.seen_state(huge.order_id_hex) == "retry", s.step)
            for _ in range(3):
                s.step()
        shortfalls = [r for r in caplog.records if "inventory of" in r.getMessage()
                      and huge.order_id_hex[:10] in r.getMessage()]
        assert len(shortfalls) == 1 and "needs 99" in shortfalls[0].getMessage()
    finally:
        s.close()


# ---------------------------------------------------------------- throughput


@pytest.fixture
def live_b(world: World) -> Iterator[tuple[Any, Any, int]]:
    """Chain B's id on a node that mines only every second (transactions wait for the block, as
    on a live chain), with the suite, the token, and the filler's agent and inventory."""
    with local_anvil(CHAIN_B, block_time=1, interval_only=True) as chain:
        Charter.deploy(chain.w3, world.deployer)
        tx = world.deployer.send_transaction(chain.w3, {"data": init_code("DemoToken")})
        token = chain.w3.eth.contract(address=chain.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"],
                                      abi=abi("DemoToken"))
        mint = token.functions.mint(world.filler.address, 10**24)
        tx = world.deployer.send_transaction(chain.w3, {"to": token.address, "data": mint._encode_transaction_data()})
        chain.w3.eth.wait_for_transaction_receipt(tx)
        agent = Charter.connect(chain.w3, signer=world.filler).registry.register("ipfs://charter-test/solver.json")
        yield chain, token, agent


def test_the_solver_fills_many_orders_in_one_block(world: World, tmp_path: Path, start: tuple[int, int],
                                                   live_b: tuple[Any, Any, int]) -> None:
    """Finding 8: a round's fills go out back to back (consecutive nonces), with the inventory
    of those in flight set aside: on a chain that mines once a block, they share blocks."""
    chain, token, agent = live_b
    orders = [world.order(amount=10**15 + i, outputs=[Output(token=token.address, amount=10**15,
                                                              recipient=world.user.address, chain_id=CHAIN_B)])
              for i in range(12)]
    for order in orders:
        world.a.user.intents.open(order)
    world.a.mine(CONFIRMATIONS + 1)  # all confirmed when the solver first reads
    chains = [ChainConfig(CHAIN_A, world.a.chain.url, confirmations=CONFIRMATIONS, start_block=start[0]),
              ChainConfig(CHAIN_B, chain.url, confirmations=CONFIRMATIONS)]
    s = Solver(SolverConfig(chains=chains, key=DEV_KEYS[2], agent_id=agent, db=str(tmp_path / "solver.sqlite"),
                            policy=Policy(routes=[Route(CHAIN_A, world.a.token.address, CHAIN_B, token.address)],
                                          oracles={CHAIN_A: world.oracle}), poll_interval=0.2))
    try:
        until(lambda: all(s.store.seen_state(o.order_id_hex) == "filled" for o in orders), s.step, timeout=60)
    finally:
        s.close()
    dest = Charter.connect(chain.w3).intents
    blocks = {f.order_id: f.block_number for f in dest.fills(0)}
    per_block: dict[int, int] = {}
    for order in orders:
        per_block[blocks[order.order_id]] = per_block.get(blocks[order.order_id], 0) + 1
    assert max(per_block.values()) >= 10, per_block
    assert token.functions.allowance(world.filler.address, dest.address).call() == 0  # no standing allowance left
