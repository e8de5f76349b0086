"""interfaces/IAgentRegistry.vyi matches the registry: a consumer compiled
against the interface reads identity and lifecycle through it."""

from pathlib import Path

import boa
import pytest
from eth_account import Account

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def registry():
    return boa.load(str(ROOT / "contracts" / "AgentRegistry.vy"))


@pytest.fixture(scope="module")
def consumer(registry):
    return boa.load(str(ROOT / "tests" / "interface" / "Consumer.vy"), registry.address)


def test_consumer_honours_only_active_agents_with_proved_wallets(registry, consumer):
    owner = boa.env.generate_address()
    wallet = Account.create()
    with boa.env.prank(owner):
        agent_id = registry.register("ipfs://card")
    with boa.reverts("consumer: unknown wallet"):
        consumer.may_act(wallet.address)

    deadline = boa.env.evm.patch.timestamp + 60
    digest = registry.hashAgentWalletSet(agent_id, wallet.address, owner, deadline)
    signature = wallet.unsafe_sign_hash(digest).signature
    with boa.env.prank(owner):
        registry.setAgentWallet(agent_id, wallet.address, deadline, signature)
    assert consumer.may_act(wallet.address) == agent_id
    assert consumer.status(agent_id) == 0

    with boa.env.prank(owner):
        registry.pause(agent_id)
    assert consumer.status(agent_id) == 1
    with boa.reverts("consumer: agent not active"):
        consumer.may_act(wallet.address)

    with boa.env.prank(owner):
        registry.retire(agent_id)
    assert consumer.status(agent_id) == 2
    with boa.reverts("consumer: agent not active"):
        consumer.may_act(wallet.address)
