# pragma version 0.4.3
"""
@notice Test double of a Charter contract that honours agents through
        interfaces/IAgentRegistry.vyi.
"""
from interfaces import IAgentRegistry

REGISTRY: public(immutable(IAgentRegistry))


@deploy
def __init__(registry: IAgentRegistry):
    REGISTRY = registry


@external
@view
def may_act(caller: address) -> uint256:
    agent_id: uint256 = staticcall REGISTRY.agentOfWallet(caller)
    assert agent_id != 0, "consumer: unknown wallet"
    assert staticcall REGISTRY.isActive(agent_id), "consumer: agent not active"
    return agent_id


@external
@view
def status(agent_id: uint256) -> uint8:
    return staticcall REGISTRY.statusOf(agent_id)
