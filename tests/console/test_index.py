"""The console's index on two real anvils: what it shows after a refresh, incremental reads, reorgs.

Chain A carries a 6-decimal USDC (``tests/agents/Usdc3009.vy``), chain B a DemoToken. Alice is the
principal: her EOA is a Charter account on both chains (EIP-7702) and she has a deployed account
on A. She owns agent "Trader" (card inlined as a ``data:`` URI) and agent "Scout" (card served over
http, hence unverified) on A, and one agent on B; "Trader" is represented on B. Her grants: one
used by its session key (spend moves), one unbounded (approve with no budget), one on the
deployed account sending ETH, one revoked, one on B; an order she opened on A and a filler filled
on B. Fixtures live here (tests/console/conftest.py is the browser's).
"""

from __future__ import annotations

import json
import threading
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import vyper
from eth_account import Account
from web3 import Web3

from charter import Charter, LocalSigner
from charter._core.artifacts import abi, init_code
from charter.accounts.models import Call
from charter.console.index import ConsoleIndex
from charter.console.words import NATIVE
from charter.devchain import DEV_KEYS, LocalChain, local_anvils
from charter.intents import FillRecord, Input, Output, deploy_oracle
from charter.sessions import SignedGrant

CHAIN_A, CHAIN_B = 31_711, 31_722
USDC = 10**6
TOKEN_SOURCE = Path(__file__).parents[1] / "agents" / "Usdc3009.vy"
CARD = {"type": "https://eips.ethereum.org/EIPS/eip-8004#registration-v1", "name": "Trader",
        "description": "Buys and sells within its grant."}
HTTP_CARD = {"name": "Scout", "description": "Looks around."}


@dataclass
class Side:
    chain: LocalChain
    w3: Web3
    charter: Charter
    token: Any

    def send(self, signer: LocalSigner, fn: Any, value: int = 0) -> Any:
        tx = signer.send_transaction(self.w3, {"to": fn.address, "data": fn._encode_transaction_data(), "value": value})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
        return receipt

    def rpc(self, method: str, *params: Any) -> Any:
        return self.w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]


@dataclass
class World:
    a: Side
    b: Side
    deployer: LocalSigner
    alice: LocalSigner
    bob: LocalSigner
    deployed: str
    given: int
    trader: int
    scout: int
    agent_b: int
    mirror: int
    card_url: str

    def key(self, side: Side) -> LocalSigner:
        key = LocalSigner.from_key(Account.create().key)
        tx = self.deployer.send_transaction(side.w3, {"to": key.address, "value": 10**18})
        side.w3.eth.wait_for_transaction_receipt(tx)
        return key


class _Card(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = json.dumps(HTTP_CARD).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _usdc(w3: Web3, deployer: LocalSigner) -> Any:
    out = vyper.compile_code(TOKEN_SOURCE.read_text(), output_formats=["bytecode", "abi"])
    tx = deployer.send_transaction(w3, {"data": out["bytecode"]})
    return w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(tx)["contractAddress"], abi=out["abi"])


def _demo(w3: Web3, deployer: LocalSigner) -> Any:
    tx = deployer.send_transaction(w3, {"data": init_code("DemoToken")})
    return w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(tx)["contractAddress"], abi=abi("DemoToken"))


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    deployer, alice, bob = (LocalSigner.from_key(k) for k in DEV_KEYS[:3])
    server = HTTPServer(("127.0.0.1", 0), _Card)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with local_anvils(CHAIN_A, CHAIN_B) as (chain_a, chain_b):
            sides = []
            for chain, make in ((chain_a, _usdc), (chain_b, _demo)):
                w3 = chain.w3
                Charter.deploy(w3, deployer)
                token = make(w3, deployer)
                side = Side(chain, w3, Charter.connect(w3, signer=alice), token)
                side.send(deployer, token.functions.mint(alice.address, 1_000 * USDC))
                side.charter.accounts.upgrade(alice)
                sides.append(side)
            a, b = sides
            deployed = a.charter.accounts.deploy(owner=alice.address)
            a.send(deployer, a.token.functions.mint(deployed, 50 * USDC))
            tx = deployer.send_transaction(a.w3, {"to": deployed, "value": 10**18})
            a.w3.eth.wait_for_transaction_receipt(tx)
            card = "data:application/json;base64," + b64encode(json.dumps(CARD).encode()).decode()
            trader = a.charter.registry.register(card)
            card_url = f"http://127.0.0.1:{server.server_port}/scout.json"
            scout = a.charter.registry.register(card_url)
            agent_b = b.charter.registry.register("ipfs://charter-test/agent-b.json")
            given = b.charter.registry.register("ipfs://charter-test/given-away.json")
            b.charter.registry.transfer(given, bob.address)
            # deployer acts as an inbox on B: the mirror of A's trader, as a committee would deliver it
            registry_b = b.charter.registry.contract
            b.send(deployer, registry_b.functions.represent(CHAIN_A, trader, alice.address, alice.address, 0, 1, 1))
            mirror = int(registry_b.functions.representedId(deployer.address, CHAIN_A, trader).call())
            yield World(a, b, deployer, alice, bob, deployed, given, trader, scout, agent_b, mirror, card_url)
    finally:
        server.shutdown()


def _sign(side: Side, build: Any, principal: LocalSigner) -> SignedGrant:
    sessions = side.charter.sessions
    return sessions.sign(sessions.prepare(build(sessions)), principal)


def _issue(side: Side, build: Any, principal: LocalSigner) -> SignedGrant:
    sessions = side.charter.sessions
    signed, _ = sessions.issue(sessions.prepare(build(sessions)), principal)
    return signed


def _index(world: World, tmp_path: Path, **kw: Any) -> ConsoleIndex:
    return ConsoleIndex(tmp_path / "console.sqlite", world.alice.address,
                        [(CHAIN_A, world.a.w3), (CHAIN_B, world.b.w3)],
                        address_book={world.bob.address: "Bob"}, **kw)


def test_the_index_shows_agents_accounts_grants_and_intents(world: World, tmp_path: Path) -> None:
    a, b, alice, bob = world.a, world.b, world.alice, world.bob
    usdc = a.token.address
    spender, approver, eth_key, revoked_key, b_key = (world.key(s) for s in (a, a, a, a, b))
    used = _sign(a, lambda s: s.builder(alice.address, world.trader, spender.address)
                 .allow_transfer(usdc, to=bob.address, max_amount=40 * USDC)
                 .token_budget(usdc, 100 * USDC, per=86_400).max_calls(10).valid_for(hours=2), alice)
    a.charter.sessions.execute(used, Call.to(usdc, "transfer(address,uint256)", bob.address, 30 * USDC),
                               key=spender)
    unbounded = _issue(a, lambda s: s.builder(alice.address, world.trader, approver.address)
                       .allow(usdc, "approve(address spender,uint256 amount)").valid_for(days=6), alice)
    eth = _issue(a, lambda s: s.builder(world.deployed, world.scout, eth_key.address)
                 .allow_eth(bob.address, max_value=10**17).native_budget(5 * 10**17).max_calls(3)
                 .valid_for(hours=1), alice)
    gone = _issue(a, lambda s: s.builder(alice.address, world.trader, revoked_key.address)
                  .allow_transfer(usdc, to=bob.address).token_budget(usdc, 5 * USDC).valid_for(hours=1), alice)
    a.charter.sessions.revoke(gone, alice)
    on_b = _sign(b, lambda s: s.builder(alice.address, world.agent_b, b_key.address)
                 .allow_transfer(b.token.address, to=bob.address).token_budget(b.token.address, 7 * USDC)
                 .valid_for(hours=1), alice)
    b.charter.sessions.execute(on_b, Call.to(b.token.address, "transfer(address,uint256)", bob.address, 2 * USDC),
                               key=b_key)
    # an order alice opens on A for B (her agent), filled on B
    oracle = deploy_oracle(a.w3, world.deployer, [Account.create().address for _ in range(3)], 2)
    order = a.charter.intents.order(
        user=alice.address, agent_id=world.trader, inputs=[Input(token=usdc, amount=5 * USDC)],
        outputs=[Output(token=b.token.address, amount=4 * USDC, recipient=alice.address, chain_id=CHAIN_B)],
        destination_chain_id=CHAIN_B, oracle=oracle)
    a.charter.intents.open(order)
    b.send(world.deployer, b.token.functions.mint(world.deployer.address, 10 * USDC))
    Charter.connect(b.w3, signer=world.deployer).intents.fill(order, FillRecord(payout=world.deployer.address))

    index = _index(world, tmp_path)
    report = index.refresh()
    assert report and not report.errors, report.errors

    # agents: the two alice owns on A (cards: inlined, and fetched unverified), hers on B; the mirror
    agents = {(x.chain_id, x.agent_id): x for x in index.agents()}
    trader = agents[(CHAIN_A, world.trader)]
    assert (trader.name, trader.owned, trader.status, trader.card_unverified) == ("Trader", True, "active", False)
    assert trader.description == CARD["description"] and trader.label == f"agent {world.trader} (Trader)"
    assert [(r.chain_id, r.agent_id) for r in trader.represented_on] == [(CHAIN_B, world.mirror)]
    assert [str(r) for r in trader.represented_on] == [f"chain {CHAIN_B}"]
    scout = agents[(CHAIN_A, world.scout)]
    assert (scout.name, scout.card_unverified, scout.card and scout.card.source) == ("Scout", True, "http")
    assert agents[(CHAIN_B, world.agent_b)].owned and agents[(CHAIN_B, world.agent_b)].represented_on == []
    assert trader.grants_total == 3 and trader.grants_in_force == 2
    given = agents[(CHAIN_B, world.given)]
    assert (given.owned, given.formerly_owned, given.owner) == (False, True, bob.address)

    # accounts: the EOA on both chains, the deployed account on A
    accounts = {(x.chain_id, x.address): x for x in index.accounts()}
    assert set(accounts) == {(CHAIN_A, alice.address), (CHAIN_B, alice.address), (CHAIN_A, world.deployed)}
    eoa = accounts[(CHAIN_A, alice.address)]
    assert (eoa.kind, eoa.relation) == ("eip7702", "your address")
    assert accounts[(CHAIN_A, world.deployed)].kind == "deployed"
    held = {h.token: h for h in eoa.balances}
    assert held[usdc].amount == 965 * USDC and held[usdc].text == "965 USDC"  # 1,000 - 30 - 5 in escrow
    assert NATIVE in held

    # grants, newest first across chains
    grants = index.grants()
    assert len(grants) == 5
    times = [g.activated_at or 0 for g in grants]
    assert times == sorted(times, reverse=True)
    g = index.grant(CHAIN_A, "0x" + used.hash.hex())
    assert g is not None and g.status == "active" and g.agent_label == f"agent {world.trader} (Trader)"
    assert any("transfer(address to, uint256 amount) on USDC" in line and "Bob (" in line for line in g.scope)
    usdc_budget = next(x for x in g.budgets if x.kind == "token")
    assert (usdc_budget.cap, usdc_budget.spent, usdc_budget.left, usdc_budget.period) == (
        100 * USDC, 30 * USDC, 70 * USDC, 86_400)
    assert g.calls_left == "9 of 10" and g.last_use != "never" and "left" in g.window
    assert [(r.token, r.amount) for r in g.risks] == [(usdc, 70 * USDC)]
    u = index.grant(CHAIN_A, "0x" + unbounded.hash.hex())
    assert u is not None and u.status == "active" and u.unbounded
    assert [(r.token, r.amount, r.unbounded) for r in u.risks] == [(usdc, 965 * USDC, True)]
    assert any(w.startswith("unbounded:") for w in u.warnings)
    e = index.grant(CHAIN_A, "0x" + eth.hash.hex())
    assert e is not None and [(r.token, r.amount) for r in e.risks] == [(NATIVE, 3 * 10**17)]  # 3 calls x 0.1
    r = index.grant(CHAIN_A, "0x" + gone.hash.hex())
    assert r is not None and (r.status, r.revocable, r.risks) == ("revoked", False, [])
    assert r.revoked_by == alice.address
    onb = index.grant(CHAIN_B, "0x" + on_b.hash.hex())
    assert onb is not None and [(x.spent, x.left) for x in onb.budgets] == [(2 * USDC, 5 * USDC)]
    # filters
    assert {x.grant_hash for x in index.grants(status="revoked")} == {r.grant_hash}
    assert {x.grant_hash for x in index.grants(agent=world.trader, chain=CHAIN_A)} == {
        g.grant_hash, u.grant_hash, r.grant_hash}
    assert [x.grant_hash for x in index.grants(session_key=spender.address.lower())] == [g.grant_hash]

    # totals: alice's EOA on A can lose at most what it holds, however many grants reach it
    totals = index.totals()
    row = next(t for t in totals.accounts if t.address == alice.address)
    on_a = {x.token: x.amount for x in row.risks if x.chain_id == CHAIN_A}
    assert on_a == {usdc: 965 * USDC}
    assert {x.token: x.amount for x in row.risks if x.chain_id == CHAIN_B} == {b.token.address: 5 * USDC}
    trader_total = next(t for t in totals.agents if t.agent_id == world.trader and t.chain_id == CHAIN_A)
    assert [(x.token, x.amount) for x in trader_total.risks] == [(usdc, 965 * USDC)]

    # the order: alice's, filled on B, waiting for its proof on A
    (intent,) = index.intents()
    assert (intent.order_id, intent.state, intent.origin_status, intent.relation) == (
        order.order_id_hex, "filled", "open", "your account")
    assert intent.filler == world.deployer.address and intent.summary.startswith("5 USDC on")

    # incremental: only the new blocks are read; the new spend shows
    before = {c.chain_id: c.to_block for c in report.chains}
    a.charter.sessions.execute(used, Call.to(usdc, "transfer(address,uint256)", bob.address, 10 * USDC),
                               key=spender)
    again = index.refresh()
    assert again.chain(CHAIN_A).from_block == before[CHAIN_A] + 1  # type: ignore[operator]
    assert again.chain(CHAIN_A).to_block == a.w3.eth.block_number
    assert again.chain(CHAIN_B).from_block is None  # nothing new on B
    assert again.chain(CHAIN_A).bodies_read == 0
    g = index.grant(CHAIN_A, "0x" + used.hash.hex())
    assert g is not None and [(x.spent, x.left) for x in g.budgets if x.kind == "token"] == [(40 * USDC, 60 * USDC)]
    assert not index.refresh()  # nothing changed

    # a grant signed off chain and never used leaves no trace on chain: tracked, it shows (and is at risk)
    pending = _sign(a, lambda s: s.builder(alice.address, world.trader, spender.address)
                    .allow_transfer(usdc).token_budget(usdc, 3 * USDC).valid_for(hours=1), alice)
    assert index.track(pending) == "0x" + pending.hash.hex()
    assert index.refresh()
    p = index.grant(CHAIN_A, "0x" + pending.hash.hex())
    assert p is not None and (p.status, p.tracked, p.activated_block) == ("pending", True, None)
    assert [(r.token, r.amount) for r in p.risks] == [(usdc, 3 * USDC)]
    index.close()


def test_a_reorg_is_seen_and_what_it_dropped_goes(world: World, tmp_path: Path) -> None:
    b, alice = world.b, world.alice
    index = _index(world, tmp_path)
    index.refresh()
    snapshot = b.rpc("evm_snapshot")
    key = world.key(b)
    dropped = _issue(b, lambda s: s.builder(alice.address, world.agent_b, key.address)
                     .allow_transfer(b.token.address).token_budget(b.token.address, USDC).valid_for(hours=1), alice)
    first = index.refresh()
    assert not first.chain(CHAIN_B).reorg
    assert index.grant(CHAIN_B, "0x" + dropped.hash.hex()) is not None
    cursor = first.chain(CHAIN_B).to_block
    # the chain goes back and grows another way, past where it was
    assert b.rpc("evm_revert", snapshot)
    for _ in range(3):
        b.send(world.deployer, b.token.functions.mint(world.bob.address, 1))
    assert b.w3.eth.block_number > cursor  # type: ignore[operator]
    report = index.refresh()
    step = report.chain(CHAIN_B)
    assert step.reorg and step.rolled_back_to is not None and step.rolled_back_to < cursor  # type: ignore[operator]
    assert step.to_block == b.w3.eth.block_number
    assert index.grant(CHAIN_B, "0x" + dropped.hash.hex()) is None
    assert not report.chain(CHAIN_A).reorg
    assert [c.reorgs for c in index.chains() if c.chain_id == CHAIN_B] == [1]
    # a chain that went back below what was read (no new blocks yet) is seen too
    snapshot = b.rpc("evm_snapshot")
    b.send(world.deployer, b.token.functions.mint(world.bob.address, 1))
    b.send(world.deployer, b.token.functions.mint(world.bob.address, 1))
    index.refresh()
    assert b.rpc("evm_revert", snapshot)
    report = index.refresh()
    assert report.chain(CHAIN_B).reorg and report.chain(CHAIN_B).from_block is None
    index.close()

