"""One anvil chain for the agent-facing edges (``charter mcp``, paid APIs), shared by every test here.

The chain mines a block per transaction. It carries the Charter suite at its
CREATE2 addresses and a 6-decimal USDC stand-in (``Usdc3009.vy``). Alice is
the principal: her EOA is a Charter account (EIP-7702) holding USDC and ETH,
and she owns the agent, so her grants need no separate consent. Each test
makes its own session key (``world.session_key()``) and grants, so tests do
not share budgets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import vyper
from eth_account import Account
from web3 import Web3

from charter import Charter, LocalSigner
from charter.deployments import Manifest
from charter.devchain import DEV_KEYS, LocalChain, local_anvil
from charter.sessions import GrantBuilder, SignedGrant
from charter.sessions.describe import save_grant

CHAIN_ID = 31_501
TOKEN_SOURCE = Path(__file__).with_name("Usdc3009.vy")
USDC = 10**6


@dataclass
class World:
    chain: LocalChain
    w3: Web3
    deployer: LocalSigner
    alice: LocalSigner
    bob: LocalSigner
    agent_id: int
    token: Any
    manifest: Manifest

    @property
    def url(self) -> str:
        return self.chain.url

    def charter(self, signer: LocalSigner | None = None) -> Charter:
        return Charter.connect(self.w3, signer=signer, manifest=self.manifest)

    def send(self, signer: LocalSigner, fn: Any, value: int = 0) -> Any:
        tx = signer.send_transaction(self.w3, {"to": fn.address, "data": fn._encode_transaction_data(), "value": value})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
        return receipt

    def session_key(self, eth: int = 10**18) -> LocalSigner:
        """A fresh session key with `eth` wei for gas."""
        key = LocalSigner.from_key(Account.create().key)
        if eth:
            tx = self.deployer.send_transaction(self.w3, {"to": key.address, "value": eth})
            self.w3.eth.wait_for_transaction_receipt(tx)
        return key

    def grant(self, key: LocalSigner, build: Callable[[GrantBuilder], GrantBuilder]) -> SignedGrant:
        """A grant signed by alice for `key`, shaped by `build` (valid for an hour unless it says otherwise)."""
        sessions = self.charter().sessions
        builder = build(sessions.builder(self.alice.address, self.agent_id, key.address))
        if builder.window_length is None:
            builder.valid_for(hours=1)
        return sessions.sign(sessions.prepare(builder), self.alice)

    def save(self, signed: SignedGrant, path: Path, signatures: list[str | None] | None = None) -> Path:
        save_grant(str(path), signed, signatures or [None] * len(signed.grant.permissions))
        return path

    def balance(self, who: str) -> int:
        return int(self.token.functions.balanceOf(who).call())

    def warp(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def deploy_token(w3: Web3, deployer: LocalSigner) -> Any:
    out = vyper.compile_code(TOKEN_SOURCE.read_text(), output_formats=["bytecode", "abi"])
    tx = deployer.send_transaction(w3, {"data": out["bytecode"]})
    address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    return w3.eth.contract(address=address, abi=out["abi"])


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    with local_anvil(chain_id=CHAIN_ID) as chain:
        w3 = chain.w3
        deployer = LocalSigner.from_key(DEV_KEYS[0])
        alice = LocalSigner.from_key(DEV_KEYS[1])
        bob = LocalSigner.from_key(DEV_KEYS[2])
        manifest = Manifest(path=None)
        Charter.deploy(w3, deployer, manifest=manifest)
        charter = Charter.connect(w3, signer=alice, manifest=manifest)
        charter.accounts.upgrade(alice)
        agent_id = charter.registry.register("https://agents.example.org/trader/agent-card.json")
        token = deploy_token(w3, deployer)
        world = World(chain, w3, deployer, alice, bob, agent_id, token, manifest)
        world.send(deployer, token.functions.mint(alice.address, 1_000_000 * USDC))
        yield world
