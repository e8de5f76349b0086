# ruff: noqa: F811 - the fixtures imported from test_sessions are parameters here
"""The SDK binds grants to their agent (S5, and S3 "after its agent changed
hands"): it refuses, before anything is signed or sent, a grant for an unknown
or retired agent or one the agent did not consent to; it presents the agent's
consent on first use; a transfer voids the agent's grants with a typed error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_account import Account

from charter import (
    AgentChangedHands,
    AgentConsentMissing,
    AgentRetired,
    Charter,
    GrantStatus,
    InvalidInput,
    LocalSigner,
    NodeSigner,
    UnknownAgent,
)

from .test_sessions import (  # noqa: F401 - fixtures
    _transfer,
    agent,
    agent_key,
    as_principal,
    fund,
    grant_for,
    mint,
    principal,
    token,
    upgraded,
)


@pytest.fixture
def stranger_agent(
    w3: Any, registry_address: str, manifest: Any, fund: Callable[[str, int], None]
) -> tuple[int, LocalSigner]:
    """An agent owned by someone other than the principal."""
    owner = LocalSigner(Account.create())
    fund(owner.address, 10**18)
    charter = Charter.connect(w3, signer=owner, manifest=manifest)
    return charter.registry.register("ipfs://someone-elses-agent"), owner


def _builder(charter: Charter, account: str, agent_id: int, key: str, token: Any, to: str) -> Any:
    return charter.sessions.builder(account, agent_id, key).allow_transfer(token.address, to=to).valid_for(hours=1)


def test_own_agent_needs_no_separate_consent(
    as_principal: Charter, grant_for: Callable[..., Any], upgraded: str, bob: NodeSigner
) -> None:
    signed = as_principal.sessions.sign(grant_for(upgraded, bob.address))
    assert signed.agent_consent == b""
    assert signed.grant.agent_generation == 1


def test_unknown_agent_is_refused_before_signing(
    as_principal: Charter, upgraded: str, agent_key: LocalSigner, token: Any, bob: NodeSigner
) -> None:
    with pytest.raises(UnknownAgent, match="register the agent first"):
        as_principal.sessions.prepare(_builder(as_principal, upgraded, 9_999, agent_key.address, token, bob.address))


def test_retired_agent_is_refused_without_suggesting_resume(
    as_principal: Charter, agent: int, upgraded: str, agent_key: LocalSigner, token: Any, bob: NodeSigner
) -> None:
    as_principal.registry.retire(agent)
    with pytest.raises(AgentRetired) as refused:
        as_principal.sessions.prepare(_builder(as_principal, upgraded, agent, agent_key.address, token, bob.address))
    assert "final" in str(refused.value) and "resume" not in str(refused.value)


def test_someone_elses_agent_needs_its_consent(
    w3: Any,
    as_principal: Charter,
    stranger_agent: tuple[int, LocalSigner],
    upgraded: str,
    agent_key: LocalSigner,
    token: Any,
    bob: NodeSigner,
) -> None:
    agent_id, owner = stranger_agent
    sessions = as_principal.sessions
    grant = sessions.prepare(_builder(as_principal, upgraded, agent_id, agent_key.address, token, bob.address))
    nonce = w3.eth.get_transaction_count(as_principal.signer.address)
    with pytest.raises(AgentConsentMissing, match="has not consented"):
        sessions.sign(grant)
    with pytest.raises(InvalidInput, match="cannot consent"):
        sessions.consent(grant, agent_key)  # the key cannot consent for the agent
    forged = bytes(Account.create().unsafe_sign_hash(sessions.hash(grant)).signature)
    with pytest.raises(AgentConsentMissing, match="not a signature of this grant"):
        sessions.sign(grant, agent_consent=forged)
    assert w3.eth.get_transaction_count(as_principal.signer.address) == nonce  # nothing sent

    consent = sessions.consent(grant, owner)  # the agent's owner signs the grant
    signed = sessions.sign(grant, agent_consent=consent)
    assert signed.agent_consent == consent
    sessions.execute(signed, _transfer(token, bob.address, 3), key=agent_key)
    assert token.functions.balanceOf(bob.address).call() == 3


def test_transfer_voids_the_grants(
    w3: Any,
    as_principal: Charter,
    grant_for: Callable[..., Any],
    agent: int,
    upgraded: str,
    agent_key: LocalSigner,
    token: Any,
    bob: NodeSigner,
) -> None:
    sessions = as_principal.sessions
    signed = sessions.sign(grant_for(upgraded, bob.address))
    sessions.execute(signed, _transfer(token, bob.address, 1), key=agent_key)
    as_principal.registry.transfer(agent, bob.address)
    assert sessions.state(signed).status is GrantStatus.AGENT_TRANSFERRED
    with pytest.raises(AgentChangedHands, match="transferred"):
        sessions.execute(signed, _transfer(token, bob.address, 1), key=agent_key)
    with pytest.raises(AgentChangedHands, match="changed hands"):
        sessions.sign(signed.grant)  # a grant of the old generation is not signed again
    assert token.functions.balanceOf(bob.address).call() == 1
