"""Generations: 1 at registration, one more on every transfer (of any
kind), never otherwise; `activeGeneration` is 0 unless the agent is Active;
`consentSigners` names the owner and the wallet. Packed next to the status
and the URI length, so neither may disturb the other."""

import boa

from ..helpers import ZERO_ADDRESS


def test_generation_starts_at_one(registry, agent):
    assert registry.generationOf(agent) == 1
    assert registry.activeGeneration(agent) == 1


def test_unknown_agent_has_no_generation(registry):
    assert registry.generationOf(999) == 0
    assert registry.activeGeneration(999) == 0
    assert registry.consentSigners(999) == (ZERO_ADDRESS, ZERO_ADDRESS)


def test_every_transfer_bumps_the_generation(registry, agent, owner, other_owner):
    with boa.env.prank(owner):
        registry.transferFrom(owner, other_owner, agent)
    assert registry.generationOf(agent) == 2
    with boa.env.prank(other_owner):
        registry.safeTransferFrom(other_owner, owner, agent)
    assert registry.generationOf(agent) == 3
    with boa.env.prank(owner):
        registry.safeTransferFrom(owner, other_owner, agent, b"data")
    assert registry.activeGeneration(agent) == 4


def test_self_transfer_is_a_new_generation(registry, agent, owner):
    """A transfer to oneself still clears the wallet, so it starts a new
    generation too (the sessions bound to the agent stop)."""
    with boa.env.prank(owner):
        registry.transferFrom(owner, owner, agent)
    assert registry.generationOf(agent) == 2


def test_lifecycle_and_edits_keep_the_generation(registry, agent, owner, wallet, set_wallet):
    with boa.env.prank(owner):
        registry.pause(agent)
        assert registry.activeGeneration(agent) == 0
        assert registry.generationOf(agent) == 1
        registry.resume(agent)
        registry.setAgentURI(agent, "ipfs://new")
        registry.setMetadata(agent, "k", b"v")
    set_wallet(wallet, agent, owner)
    with boa.env.prank(owner):
        registry.unsetAgentWallet(agent)
    assert registry.activeGeneration(agent) == 1


def test_retired_agent_has_no_active_generation(registry, agent, owner):
    with boa.env.prank(owner):
        registry.retire(agent)
    assert registry.activeGeneration(agent) == 0
    assert registry.generationOf(agent) == 1


def test_uri_and_status_survive_generations(registry, owner, other_owner):
    uri = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    with boa.env.prank(owner):
        agent = registry.register(uri)
        registry.pause(agent)
        for _ in range(3):
            registry.transferFrom(owner, other_owner, agent)
            with boa.env.prank(other_owner):
                registry.transferFrom(other_owner, owner, agent)
    assert registry.tokenURI(agent) == uri
    assert registry.statusOf(agent) == 1
    assert registry.generationOf(agent) == 7
    with boa.env.prank(owner):
        registry.setAgentURI(agent, "ipfs://short")
    assert registry.tokenURI(agent) == "ipfs://short"
    assert registry.generationOf(agent) == 7


def test_consent_signers(registry, agent, owner, other_owner, wallet, set_wallet):
    assert registry.consentSigners(agent) == (owner, owner)  # owner-as-wallet default
    set_wallet(wallet, agent, owner)
    assert registry.consentSigners(agent) == (owner, wallet.address)
    with boa.env.prank(owner):
        registry.transferFrom(owner, other_owner, agent)
    assert registry.consentSigners(agent) == (other_owner, ZERO_ADDRESS)
