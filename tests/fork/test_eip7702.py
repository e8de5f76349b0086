"""An EOA with a past (transactions sent, ether and tokens held) becomes a Charter account
with EIP-7702 on the fork: same address, same assets, and session keys on top."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from web3 import Web3

from charter import AccountKind, Call, Charter, LocalSigner, OverBudget
from charter.deployments import create2_address

from .conftest import Fork, Veteran

DELEGATION_PREFIX = bytes.fromhex("ef0100")


def test_an_eoa_with_history_upgrades_and_keeps_what_it_had(
    w3: Web3,
    fork: Fork,
    veteran: Veteran,
    connect: Callable[[Any], Charter],
    new_signer: Callable[[], LocalSigner],
    token: Any,
    unit: int,
) -> None:
    eoa = veteran.signer
    assert veteran.nonce > 0 and veteran.tokens > 0  # an EOA with a past, not a fresh key
    if veteran.history_predates_fork:  # the local upstream: the past is the upstream's, before the fork point
        assert w3.eth.get_transaction_count(eoa.address, fork.block) == veteran.nonce
        assert token.functions.balanceOf(eoa.address).call(block_identifier=fork.block) == veteran.tokens
    assert w3.eth.get_code(eoa.address) == b""

    charter = connect(eoa)
    assert charter.accounts.kind(eoa.address) is None
    charter.accounts.upgrade(eoa)
    delegate = create2_address("AccountDelegate")
    assert bytes(w3.eth.get_code(eoa.address)) == DELEGATION_PREFIX + bytes.fromhex(delegate[2:])
    assert charter.accounts.kind(eoa.address) is AccountKind.EIP7702
    assert charter.accounts.owner_of(eoa.address) == eoa.address
    # Its nonce went on from its history (the type-4 transaction and its authorization); its assets stayed.
    assert w3.eth.get_transaction_count(eoa.address) == veteran.nonce + 2
    assert token.functions.balanceOf(eoa.address).call() == veteran.tokens
    assert w3.eth.get_balance(eoa.address) <= veteran.ether

    # It still sends its own transactions, and now grants a session over what it already held.
    payee, agent_key = new_signer(), new_signer()
    tx = eoa.send_transaction(w3, {"to": token.address, "data": token.encode_abi("transfer", [payee.address, unit])})  # type: ignore[arg-type]
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    agent = charter.registry.register("ipfs://charter-fork/veteran-agent.json")
    sessions = charter.sessions
    signed = sessions.sign(sessions.prepare(
        sessions.builder(eoa.address, agent, agent_key.address)
        .allow_transfer(token.address, to=payee.address)
        .token_budget(token.address, cap=10 * unit)
        .valid_for(hours=1)
    ))
    sessions.execute(signed, Call.to(token.address, "transfer(address,uint256)", payee.address, 10 * unit),
                     key=agent_key)
    with pytest.raises(OverBudget):
        sessions.execute(signed, Call.to(token.address, "transfer(address,uint256)", payee.address, 1),
                         key=agent_key)
    assert token.functions.balanceOf(payee.address).call() == 11 * unit
    assert token.functions.balanceOf(eoa.address).call() == veteran.tokens - 11 * unit
