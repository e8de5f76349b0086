"""pause / resume / retire, statusOf, isActive and StatusChanged."""

import boa
import pytest

from ..helpers import STATUS_ACTIVE, STATUS_PAUSED, STATUS_RETIRED, Event


def call(registry, caller, fn, agent_id):
    with boa.env.prank(caller):
        getattr(registry, fn)(agent_id)


def status_changed(agent_id, status, by):
    return Event(
        "StatusChanged", {"agentId": agent_id, "status": status, "updatedBy": by}
    )


def test_new_agent_is_active(registry, agent):
    assert registry.statusOf(agent) == STATUS_ACTIVE
    assert registry.isActive(agent) is True


def test_pause_resume_retire(registry, agent, authorized, events):
    call(registry, authorized, "pause", agent)
    assert events(registry) == [status_changed(agent, STATUS_PAUSED, authorized)]
    assert registry.statusOf(agent) == STATUS_PAUSED
    assert registry.isActive(agent) is False

    call(registry, authorized, "resume", agent)
    assert events(registry) == [status_changed(agent, STATUS_ACTIVE, authorized)]
    assert registry.statusOf(agent) == STATUS_ACTIVE
    assert registry.isActive(agent) is True

    call(registry, authorized, "retire", agent)
    assert events(registry) == [status_changed(agent, STATUS_RETIRED, authorized)]
    assert registry.statusOf(agent) == STATUS_RETIRED
    assert registry.isActive(agent) is False


def test_retire_from_paused(registry, agent, owner, events):
    call(registry, owner, "pause", agent)
    call(registry, owner, "retire", agent)
    assert events(registry) == [status_changed(agent, STATUS_RETIRED, owner)]
    assert registry.statusOf(agent) == STATUS_RETIRED
    assert registry.isActive(agent) is False


def test_status_is_per_agent(registry, register_agent, agent, owner):
    second = register_agent(owner)
    call(registry, owner, "pause", agent)
    assert registry.isActive(second) is True
    call(registry, owner, "retire", second)
    assert registry.statusOf(agent) == STATUS_PAUSED


def test_status_survives_other_updates(registry, agent, owner, wallet, set_wallet):
    call(registry, owner, "pause", agent)
    with boa.env.prank(owner):
        registry.setAgentURI(agent, "x" * 100)
        registry.setMetadata(agent, "k", b"v")
    set_wallet(wallet, agent, owner)
    with boa.env.prank(owner):
        registry.unsetAgentWallet(agent)
    assert registry.statusOf(agent) == STATUS_PAUSED


@pytest.mark.parametrize("fn", ["pause", "resume", "retire"])
def test_stranger_refused(registry, agent, owner, stranger, fn):
    if fn == "resume":
        call(registry, owner, "pause", agent)
    before = registry.statusOf(agent)
    with boa.reverts("registry: not authorized"):
        call(registry, stranger, fn, agent)
    assert registry.statusOf(agent) == before


@pytest.mark.parametrize("fn", ["pause", "resume", "retire"])
def test_unknown_agent_refused(registry, owner, fn):
    with boa.reverts("registry: unknown agent"):
        call(registry, owner, fn, 1)


def test_pause_when_paused_refused(registry, agent, owner):
    call(registry, owner, "pause", agent)
    with boa.reverts("registry: not active"):
        call(registry, owner, "pause", agent)


def test_resume_when_active_refused(registry, agent, owner):
    with boa.reverts("registry: not paused"):
        call(registry, owner, "resume", agent)


@pytest.mark.parametrize("fn", ["pause", "resume", "retire"])
@pytest.mark.parametrize("via_paused", [False, True])
def test_nothing_after_retire(registry, agent, owner, fn, via_paused):
    if via_paused:
        call(registry, owner, "pause", agent)
    call(registry, owner, "retire", agent)
    with boa.reverts("registry: agent retired"):
        call(registry, owner, fn, agent)
    assert registry.statusOf(agent) == STATUS_RETIRED


def test_set_wallet_after_retire_refused(
    registry, agent, owner, wallet, wallet_proof, now
):
    call(registry, owner, "retire", agent)
    deadline = now() + 60
    with boa.env.prank(owner), boa.reverts("registry: agent retired"):
        registry.setAgentWallet(
            agent,
            wallet.address,
            deadline,
            wallet_proof(wallet, agent, owner, deadline),
        )
    assert registry.agentOfWallet(wallet.address) == 0


def test_retired_agent_still_editable(registry, agent, owner, wallet, set_wallet):
    set_wallet(wallet, agent, owner)
    call(registry, owner, "retire", agent)
    with boa.env.prank(owner):
        registry.setAgentURI(agent, "ipfs://retired")
        registry.setMetadata(agent, "note", b"retired")
        registry.unsetAgentWallet(agent)
    assert registry.tokenURI(agent) == "ipfs://retired"
    assert registry.getMetadata(agent, "note") == b"retired"
    assert (
        registry.getAgentWallet(agent) == "0x0000000000000000000000000000000000000000"
    )
    assert registry.agentOfWallet(wallet.address) == 0
    assert registry.statusOf(agent) == STATUS_RETIRED


def test_is_active_unknown_is_false(registry, agent):
    assert registry.isActive(0) is False
    assert registry.isActive(agent + 1) is False
    assert registry.isActive(2**256 - 1) is False


def test_status_of_unknown_reverts(registry, agent):
    with boa.reverts("registry: unknown agent"):
        registry.statusOf(agent + 1)
    with boa.reverts("registry: unknown agent"):
        registry.statusOf(0)
