"""Two real anvil chains for the intents layer: one test session, shared by every test here.

Chain A (origin) and chain B (destination) each mine a block per
transaction and one more every second (``block_time``), so confirmation
depths are reached while idle, as on a live chain. Both carry the Charter
suite at its CREATE2 addresses, an ERC-20, and chain A an AttesterOracle with
a 2-of-3 committee. Tests share the chains (starting them costs seconds);
each builds its own orders (random nonces) and its relayer or solver starts
reading at the block the test starts, with its own SQLite file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from charter import Charter, LocalSigner
from charter._core.artifacts import abi, init_code
from charter.devchain import DEV_KEYS, LocalChain, local_anvils
from charter.hyperlane import LocalHyperlane, deploy_local
from charter.hyperlane.settlement import Remote, deploy_hyperlane_oracle, deploy_reporter
from charter.intents import FillRecord, Input, Order, Output, attest, deploy_oracle, fill_attestation
from charter.processes.hyperlane import HyperlaneConfig
from charter.processes.relayer import ChainConfig, RelayConfig, Relayer
from charter.processes.solver import Policy, Route, Solver, SolverConfig

CHAIN_A, CHAIN_B = 31_411, 31_422
CONFIRMATIONS = 2
COMMITTEE = [Account.from_key(bytes([0x11 * (i + 1)]) * 32) for i in range(3)]
VALIDATORS = [Account.from_key(bytes([0x31 * (i + 1)]) * 32) for i in range(3)]  # Hyperlane's, 2-of-3


@dataclass
class Side:
    chain: LocalChain
    w3: Web3
    token: Any
    user: Charter
    filler: Charter

    def send(self, signer: LocalSigner, fn: Any, value: int = 0) -> Any:
        tx = signer.send_transaction(self.w3, {"to": fn.address, "data": fn._encode_transaction_data(), "value": value})
        return self.w3.eth.wait_for_transaction_receipt(tx)

    def warp(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])

    def mine(self, blocks: int) -> None:
        self.w3.provider.make_request("anvil_mine", [hex(blocks)])

    @property
    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


@dataclass
class World:
    a: Side
    b: Side
    deployer: LocalSigner
    user: LocalSigner
    filler: LocalSigner
    relayer_key: str
    oracle: str
    user_agent: int
    filler_agent: int
    hyperlane: tuple[LocalHyperlane, LocalHyperlane]
    route: HyperlaneRoute

    def order(self, amount: int = 10**18, out: int | None = None, **kw: Any) -> Order:
        defaults: dict[str, Any] = {
            "user": self.user.address,
            "agent_id": self.user_agent,
            "inputs": [Input(token=self.a.token.address, amount=amount)],
            "outputs": [
                Output(
                    token=self.b.token.address,
                    amount=out if out is not None else amount * 99 // 100,
                    recipient=self.user.address,
                    chain_id=CHAIN_B,
                )
            ],
            "destination_chain_id": CHAIN_B,
            "oracle": self.oracle,
            "fill_within": 600,
            "now": self.a.now,
        }
        defaults.update(kw)
        return self.a.user.intents.order(**defaults)

    def proof(self, order: Order, record_hash: bytes) -> bytes:
        """Two of the committee's attestations of `order`'s fill record (ascending by signer)."""
        members = sorted(COMMITTEE[:2], key=lambda m: int(m.address, 16))
        return b"".join(attest(m, self.oracle, fill_attestation(order, record_hash)) for m in members)

    def settled(self, amount: int = 10**18, **kw: Any) -> Order:
        """An order (of the user's agent unless `agent_id` is given) opened on A, filled on B by the
        filler's agent, proven by the committee and settled on A, without solver or relayer."""
        order = self.order(amount=amount, **kw)
        self.a.user.intents.open(order)
        record = FillRecord(payout=self.filler.address, filler_agent_id=self.filler_agent)
        self.b.filler.intents.fill(order, record)
        self.a.user.intents.settle([(order, record, self.proof(order, record.hash))])
        return order

    def chains(self, start: tuple[int, int], hyperlane: HyperlaneRoute | None = None) -> list[ChainConfig]:
        """Both chains, read from blocks `start` on (with their Hyperlane contracts, if given)."""
        configs = hyperlane.configs() if hyperlane else {}
        return [
            ChainConfig(CHAIN_A, self.a.chain.url, confirmations=CONFIRMATIONS, start_block=start[0],
                        hyperlane=configs.get(CHAIN_A)),
            ChainConfig(CHAIN_B, self.b.chain.url, confirmations=CONFIRMATIONS, start_block=start[1],
                        hyperlane=configs.get(CHAIN_B)),
        ]


@dataclass
class HyperlaneRoute:
    """Settlement from B to A over Hyperlane: B's reporter, A's oracle (trusting it for domain B)."""

    a: LocalHyperlane
    b: LocalHyperlane
    reporter: str
    oracle: str

    def configs(self) -> dict[int, HyperlaneConfig]:
        return {
            CHAIN_A: HyperlaneConfig(mailbox=self.a.mailbox.address, oracle=self.oracle),
            CHAIN_B: HyperlaneConfig(mailbox=self.b.mailbox.address, reporter=self.reporter),
        }


def _token(w3: Web3, deployer: LocalSigner) -> Any:
    tx = deployer.send_transaction(w3, {"data": init_code("DemoToken")})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi("DemoToken"))


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    deployer, user, filler = (LocalSigner.from_key(k) for k in DEV_KEYS[:3])
    with local_anvils(CHAIN_A, CHAIN_B, block_time=1) as (chain_a, chain_b):
        sides = []
        for chain in (chain_a, chain_b):
            w3 = chain.w3
            Charter.deploy(w3, deployer)
            token = _token(w3, deployer)
            side = Side(chain, w3, token, Charter.connect(w3, signer=user), Charter.connect(w3, signer=filler))
            for who in (user, filler):
                side.send(deployer, token.functions.mint(who.address, 10**24))
            sides.append(side)
        a, b = sides
        oracle = deploy_oracle(a.w3, deployer, [m.address for m in COMMITTEE], 2)
        user_agent = a.user.registry.register("ipfs://charter-test/user-agent.json")
        filler_agent = b.filler.registry.register("ipfs://charter-test/solver.json")
        # Hyperlane's own contracts on both chains, and B's reporter with A's oracle (CREATE2),
        # deployed with the chains so that they always belong to the same ones
        validators = [v.address for v in VALIDATORS]
        lanes = (deploy_local(a.w3, deployer, CHAIN_A, validators, 2),
                 deploy_local(b.w3, deployer, CHAIN_B, validators, 2))
        reporter = deploy_reporter(b.w3, deployer, lanes[1].mailbox.address)
        hyperlane_oracle = deploy_hyperlane_oracle(a.w3, deployer, lanes[0].mailbox.address, lanes[0].ism.address,
                                                   [Remote(domain=CHAIN_B, chain_id=CHAIN_B, reporter=reporter)])
        route = HyperlaneRoute(lanes[0], lanes[1], reporter, hyperlane_oracle)
        yield World(a, b, deployer, user, filler, DEV_KEYS[3], oracle, user_agent, filler_agent, lanes, route)


@pytest.fixture
def hyperlane(world: World) -> tuple[LocalHyperlane, LocalHyperlane]:
    """Hyperlane's own contracts on both chains: a Mailbox (domain = chain id), its Merkle
    tree hook and a 2-of-3 MessageId multisig ISM of VALIDATORS."""
    return world.hyperlane


@pytest.fixture
def hyperlane_route(world: World) -> HyperlaneRoute:
    """The SDK's CREATE2 deployments of B's HyperlaneReporter and A's HyperlaneOracle."""
    return world.route


@pytest.fixture
def start(world: World) -> tuple[int, int]:
    """The blocks of both chains when the test starts: its relayer and solver read from there."""
    return (world.a.w3.eth.block_number, world.b.w3.eth.block_number)


@pytest.fixture
def relayer(world: World, tmp_path: Path, start: tuple[int, int]) -> Callable[..., Relayer]:
    made: list[Relayer] = []

    def make(db: Path | None = None, hyperlane: HyperlaneRoute | None = None, **kw: Any) -> Relayer:
        if hyperlane is not None:
            kw.setdefault("validator_keys", [v.key.hex() for v in VALIDATORS])
        config = RelayConfig(
            chains=kw.pop("chains", None) or world.chains(start, hyperlane),
            oracles=kw.pop("oracles", None) or {CHAIN_A: world.oracle},
            attester_keys=kw.pop("attester_keys", None) or [m.key.hex() for m in COMMITTEE],
            sender_key=world.relayer_key,
            db=str(db or tmp_path / "relay.sqlite"),
            poll_interval=0.2,
            **kw,
        )
        relay = Relayer(config)
        made.append(relay)
        return relay

    yield make  # type: ignore[misc]
    for relay in made:
        relay.close()


@pytest.fixture
def solver(world: World, tmp_path: Path, start: tuple[int, int]) -> Callable[..., Solver]:
    made: list[Solver] = []

    def make(**kw: Any) -> Solver:
        policy = kw.pop("policy", None) or Policy(
            routes=[Route(CHAIN_A, world.a.token.address, CHAIN_B, world.b.token.address)],
            oracles={CHAIN_A: world.oracle},
        )
        config = SolverConfig(
            chains=world.chains(start),
            key=DEV_KEYS[2],
            policy=policy,
            agent_id=world.filler_agent,
            db=str(tmp_path / "solver.sqlite"),
            poll_interval=0.2,
            **kw,
        )
        made.append(solver := Solver(config))
        return solver

    yield make  # type: ignore[misc]
    for s in made:
        s.close()


def until(predicate: Callable[[], Any], step: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Run `step` until `predicate` holds (chains mine a block a second); fail after `timeout`."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        step()
        if value := predicate():
            return value
        time.sleep(0.25)
    raise AssertionError(f"not reached within {timeout} s")


__all__ = ["CHAIN_A", "CHAIN_B", "COMMITTEE", "CONFIRMATIONS", "VALIDATORS", "HyperlaneRoute", "Side", "World",
           "until"]
