"""A session on the fork may move the pre-existing token (USDC) only within its cap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from charter import Call, Charter, GrantStatus, LocalSigner, OutOfScope, OverBudget

TRANSFER = "transfer(address,uint256)"


def test_session_moves_the_token_within_its_cap_only(
    connect: Callable[[Any], Charter],
    new_signer: Callable[[], LocalSigner],
    give: Callable[[str, int], None],
    token: Any,
    unit: int,
) -> None:
    principal, agent_key, bob, mallory = (new_signer() for _ in range(4))
    give(principal.address, 1_000 * unit)
    charter = connect(principal)
    charter.accounts.upgrade(principal)
    agent = charter.registry.register("ipfs://charter-fork/agent.json")
    sessions = charter.sessions
    signed = sessions.sign(sessions.prepare(
        sessions.builder(principal.address, agent, agent_key.address)
        .allow_transfer(token.address, to=bob.address)
        .token_budget(token.address, cap=100 * unit)
        .valid_for(hours=1)
    ))

    sessions.execute(signed, Call.to(token.address, TRANSFER, bob.address, 60 * unit), key=agent_key)
    assert token.functions.balanceOf(bob.address).call() == 60 * unit
    assert sessions.state(signed).tokens[0].left == 40 * unit

    with pytest.raises(OverBudget) as over:  # 60 + 50 > 100: refused by the manager, nothing moves
        sessions.execute(signed, Call.to(token.address, TRANSFER, bob.address, 50 * unit), key=agent_key)
    assert over.value.budget == token.address and over.value.left == 40 * unit
    with pytest.raises(OutOfScope):  # the cap is not a licence to pay anyone else
        sessions.execute(signed, Call.to(token.address, TRANSFER, mallory.address, unit), key=agent_key)
    assert token.functions.balanceOf(bob.address).call() == 60 * unit
    assert token.functions.balanceOf(mallory.address).call() == 0
    assert token.functions.balanceOf(principal.address).call() == 940 * unit

    sessions.execute(signed, Call.to(token.address, TRANSFER, bob.address, 40 * unit), key=agent_key)
    assert token.functions.balanceOf(bob.address).call() == 100 * unit
    with pytest.raises(OverBudget):  # the cap is spent
        sessions.execute(signed, Call.to(token.address, TRANSFER, bob.address, 1), key=agent_key)
    assert sessions.state(signed).status is GrantStatus.ACTIVE
