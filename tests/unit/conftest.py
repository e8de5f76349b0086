"""Fixtures for the AgentRegistry unit tests (titanoboa, in-process).

Role accounts, a fresh registry per test (compiled once per session, deployed
per test: a deployment costs ~20 ms) and factory fixtures that return
closures. Isolation: titanoboa's pytest plugin (always loaded) runs every
fixture and every test inside a `boa.env.anchor()`, so time travel, chain-id
patches and state changes vanish after each test. Fixtures that touch the
EVM are function-scoped on purpose: a session fixture first created in the
middle of a test would sit on the plugin's anchor stack above that test's
anchors and postpone their rollback. EIP-712 proofs and event layouts
live in `helpers.py`, written independently of the contract and of the
`charter` package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import boa
import pytest
from eth_account import Account

from .helpers import (
    MOCKS,
    REGISTRY_SOURCE,
    WALLET2_KEY,
    WALLET3_KEY,
    WALLET_KEY,
    decode_events,
    wallet_typed_data,
)

# ---------------------------------------------------------------- accounts


@pytest.fixture
def owner():
    return boa.env.generate_address("owner")


@pytest.fixture
def operator():
    """An operator of `owner` (setApprovalForAll) once `as_operator` ran."""
    return boa.env.generate_address("operator")


@pytest.fixture
def approved():
    """An address approved for a single agent once `approve` ran."""
    return boa.env.generate_address("approved")


@pytest.fixture
def stranger():
    return boa.env.generate_address("stranger")


@pytest.fixture
def other_owner():
    return boa.env.generate_address("other_owner")


_WALLET, _WALLET2, _WALLET3 = (
    Account.from_key(k) for k in (WALLET_KEY, WALLET2_KEY, WALLET3_KEY)
)


@pytest.fixture
def wallet():
    """An EOA with a known key, so it can sign wallet proofs."""
    return _WALLET


@pytest.fixture
def wallet2():
    return _WALLET2


@pytest.fixture
def wallet3():
    """The key behind `contract_wallet` (ERC-1271)."""
    return _WALLET3


# ---------------------------------------------------------------- contracts


@pytest.fixture(scope="session")
def registry_deployer():
    return boa.load_partial(str(REGISTRY_SOURCE))


@pytest.fixture
def registry(registry_deployer):
    """A fresh registry."""
    return registry_deployer.deploy()


@pytest.fixture(scope="session")
def erc1271_deployer():
    return boa.load_partial(str(MOCKS / "ERC1271Wallet.vy"))


@pytest.fixture(scope="session")
def receiver_deployer():
    return boa.load_partial(str(MOCKS / "Receiver.vy"))


@pytest.fixture
def contract_wallet(registry, erc1271_deployer, wallet3):
    """An ERC-1271 wallet that approves digests signed by `wallet3`."""
    return erc1271_deployer.deploy(wallet3.address)


@pytest.fixture
def receiver(registry, receiver_deployer):
    return receiver_deployer.deploy(registry.address)


# ---------------------------------------------------------------- helpers as fixtures


@pytest.fixture
def now():
    return lambda: boa.env.timestamp


@pytest.fixture
def events():
    return decode_events


@pytest.fixture
def chain_id():
    return boa.env.evm.patch.chain_id


@pytest.fixture
def register_agent(registry) -> Callable[..., int]:
    def _register(
        owner, uri: str = "", metadata: Sequence[tuple[str, bytes]] = ()
    ) -> int:
        with boa.env.prank(owner):
            if metadata:
                return registry.register(uri, list(metadata))
            if uri:
                return registry.register(uri)
            return registry.register()

    return _register


@pytest.fixture
def agent(register_agent, owner) -> int:
    """Agent owned by `owner` (id 1)."""
    return register_agent(owner, "ipfs://agent-one")


@pytest.fixture
def as_operator(registry, owner, operator):
    """Make `operator` an operator of `owner`."""
    with boa.env.prank(owner):
        registry.setApprovalForAll(operator, True)
    return operator


@pytest.fixture
def as_approved(registry, owner, approved, agent):
    """Make `approved` the approved address of `agent`."""
    with boa.env.prank(owner):
        registry.approve(approved, agent)
    return approved


@pytest.fixture
def wallet_proof(registry) -> Callable[..., bytes]:
    """Sign `AgentWalletSet(agentId, newWallet=account, owner, deadline)` with
    `account`'s key on the registry's domain (or another chain / contract)."""

    def _proof(
        account,
        agent_id: int,
        owner,
        deadline: int,
        chain_id: int | None = None,
        verifying_contract=None,
        new_wallet=None,
    ) -> bytes:
        message = wallet_typed_data(
            agent_id,
            str(new_wallet if new_wallet is not None else account.address),
            str(owner),
            deadline,
            boa.env.evm.patch.chain_id if chain_id is None else chain_id,
            str(
                verifying_contract
                if verifying_contract is not None
                else registry.address
            ),
        )
        return bytes(
            Account.sign_typed_data(account.key, full_message=message).signature
        )

    return _proof


@pytest.fixture
def set_wallet(registry, wallet_proof):
    """Prove and set `account` as the wallet of `agent_id`; returns the deadline."""

    def _set(account, agent_id: int, owner, caller=None, delay: int = 60) -> int:
        deadline = boa.env.timestamp + delay
        signature = wallet_proof(account, agent_id, owner, deadline)
        with boa.env.prank(caller if caller is not None else owner):
            registry.setAgentWallet(agent_id, account.address, deadline, signature)
        return deadline

    return _set


@pytest.fixture(params=["owner", "operator", "approved"])
def authorized(request, registry, agent, owner, operator, approved):
    """Each address allowed to manage `agent`: its owner, an operator of the
    owner (setApprovalForAll), the agent's approved address (approve)."""
    with boa.env.prank(owner):
        if request.param == "operator":
            registry.setApprovalForAll(operator, True)
        elif request.param == "approved":
            registry.approve(approved, agent)
    return {"owner": owner, "operator": operator, "approved": approved}[request.param]
