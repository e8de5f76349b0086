"""An ERC-7683 intent opened on the fork: inputs in the pre-existing token in escrow, an
AttesterOracle (2 of 3) deployed there by CREATE2, settled only on the committee's proof."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from charter import Charter, LocalSigner
from charter.exceptions import NotProven
from charter.intents import (
    AttesterOracle,
    FillRecord,
    Input,
    OrderStatus,
    Output,
    attest,
    deploy_oracle,
    fill_attestation,
    oracle_address,
)

from .conftest import Fork

COMMITTEE = [Account.from_key(bytes([0x5A + i]) * 32) for i in range(3)]
ELSEWHERE = Web3.to_checksum_address("0x" + "5e" * 20)  # the output token on the destination chain


def proof(order: Any, oracle: str, record: FillRecord, members: list[Any]) -> bytes:
    ordered = sorted(members, key=lambda m: int(m.address, 16))
    return b"".join(attest(m, oracle, fill_attestation(order, record.hash)) for m in ordered)


def test_intent_opened_on_the_fork_settles_on_the_committees_proof(
    w3: Web3,
    fork: Fork,
    connect: Callable[[Any], Charter],
    new_signer: Callable[[], LocalSigner],
    give: Callable[[str, int], None],
    deployer: LocalSigner,
    token: Any,
    unit: int,
) -> None:
    members = [m.address for m in COMMITTEE]
    oracle = deploy_oracle(w3, deployer, members, 2)
    assert oracle == oracle_address(members, 2)  # the committee's address on any chain
    assert AttesterOracle(w3, oracle).threshold() == 2

    user, solver = new_signer(), new_signer()
    give(user.address, 250 * unit)
    charter = connect(user)
    agent = charter.registry.register("ipfs://charter-fork/trader.json")
    intents = charter.intents
    destination = fork.chain_id + 1  # any other chain: nothing here depends on which
    order = intents.order(
        user=user.address, agent_id=agent,
        inputs=[Input(token=token.address, amount=200 * unit)],
        outputs=[Output(token=ELSEWHERE, amount=199 * unit, recipient=user.address, chain_id=destination)],
        destination_chain_id=destination, oracle=oracle, fill_within=600,
    )
    assert order.origin_chain_id == fork.chain_id

    escrow = int(token.functions.balanceOf(intents.address).call())
    intents.open(order)
    assert intents.origin_status(order.order_id) is OrderStatus.OPEN
    assert token.functions.balanceOf(intents.address).call() == escrow + 200 * unit  # held in escrow
    assert token.functions.balanceOf(user.address).call() == 50 * unit

    record = FillRecord(payout=solver.address)
    with pytest.raises(NotProven):  # one attester is not the committee
        intents.settle([(order, record, proof(order, oracle, record, COMMITTEE[:1]))], sender=solver)
    forged = FillRecord(payout=new_signer().address)
    with pytest.raises(NotProven):  # a proof of another record proves nothing about this one
        intents.settle([(order, forged, proof(order, oracle, record, COMMITTEE[:2]))], sender=solver)
    assert token.functions.balanceOf(intents.address).call() == escrow + 200 * unit

    settled = intents.settle([(order, record, proof(order, oracle, record, COMMITTEE[1:]))], sender=solver)
    assert settled.count == 1
    assert intents.origin_status(order.order_id) is OrderStatus.SETTLED
    assert token.functions.balanceOf(solver.address).call() == 200 * unit
    assert token.functions.balanceOf(intents.address).call() == escrow
