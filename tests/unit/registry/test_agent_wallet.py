"""setAgentWallet / getAgentWallet / unsetAgentWallet / agentOfWallet /
hashAgentWalletSet: the ERC-8004 wallet proof, its refusals and replay rules."""

import boa
import pytest
from eth_account import Account
from eth_keys import keys

from ..helpers import (
    AGENT_WALLET_KEY,
    MAX_DEADLINE_DELAY,
    SECP256K1_N,
    ZERO_ADDRESS,
    eip712_digest,
    join,
    manual_digest,
    metadata_set,
    packed,
    split,
)

BAD_PROOF = "registry: bad wallet proof"

# ERC1271Wallet modes (tests/mocks/ERC1271Wallet.vy).
MODE_OWNER, MODE_ALWAYS, MODE_WRONG, MODE_REVERT, MODE_WRITE = range(5)


@pytest.fixture
def attempt(registry, owner):
    """Call setAgentWallet as `caller` (default: the owner)."""

    def _attempt(agent_id, new_wallet, deadline, signature, caller=None):
        with boa.env.prank(caller if caller is not None else owner):
            registry.setAgentWallet(agent_id, str(new_wallet), deadline, signature)

    return _attempt


@pytest.fixture
def refused(registry, attempt, agent):
    """Assert that setAgentWallet reverts with `reason` and changes nothing."""

    def _refused(reason, agent_id, new_wallet, deadline, signature, caller=None):
        before = (
            registry.getAgentWallet(agent),
            registry.agentOfWallet(str(new_wallet)),
            registry.getMetadata(agent, AGENT_WALLET_KEY),
        )
        with boa.reverts(reason):
            attempt(agent_id, new_wallet, deadline, signature, caller)
        after = (
            registry.getAgentWallet(agent),
            registry.agentOfWallet(str(new_wallet)),
            registry.getMetadata(agent, AGENT_WALLET_KEY),
        )
        assert after == before

    return _refused


def is_signer(signature: bytes, digest: bytes, address: str) -> bool:
    """Whether `signature` recovers to `address` under plain secp256k1 rules
    (any s, v in {0, 1, 27, 28}); used to show a refused signature is not
    simply garbage."""
    r, s, v = split(signature)
    v = v - 27 if v >= 27 else v
    recovered = keys.Signature(vrs=(v, r, s)).recover_public_key_from_msg_hash(digest)
    return recovered.to_checksum_address() == str(address)


# ---------------------------------------------------------------- accepted proofs


def test_eoa_proof_sets_wallet(
    registry, agent, owner, wallet, wallet_proof, now, events
):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, owner, deadline)
    with boa.env.prank(owner):
        registry.setAgentWallet(agent, wallet.address, deadline, signature)
    logs = events(registry)
    assert registry.getAgentWallet(agent) == wallet.address
    assert registry.agentOfWallet(wallet.address) == agent
    assert registry.getMetadata(agent, AGENT_WALLET_KEY) == packed(wallet.address)
    assert logs == [metadata_set(agent, AGENT_WALLET_KEY, packed(wallet.address))]


def test_authorized_sets_wallet(registry, agent, owner, wallet, set_wallet, authorized):
    # The proof names the agent's owner, whoever submits it.
    set_wallet(wallet, agent, owner, caller=authorized)
    assert registry.getAgentWallet(agent) == wallet.address
    assert registry.agentOfWallet(wallet.address) == agent


@pytest.mark.parametrize("delay", [0, 1, MAX_DEADLINE_DELAY])
def test_deadline_bounds_are_inclusive(
    registry, agent, owner, wallet, wallet_proof, now, delay
):
    deadline = now() + delay
    signature = wallet_proof(wallet, agent, owner, deadline)
    with boa.env.prank(owner):
        registry.setAgentWallet(agent, wallet.address, deadline, signature)
    assert registry.getAgentWallet(agent) == wallet.address


def test_owner_can_prove_own_address(registry, register_agent, wallet_proof, now):
    """An owner that is an EOA with a key may index itself; the default
    owner-wallet is not indexed, a proved one is."""
    signer = Account.from_key("0x" + "42" * 32)
    agent_id = register_agent(signer.address)
    assert registry.agentOfWallet(signer.address) == 0
    deadline = now() + 60
    signature = wallet_proof(signer, agent_id, signer.address, deadline)
    with boa.env.prank(signer.address):
        registry.setAgentWallet(agent_id, signer.address, deadline, signature)
    assert registry.getAgentWallet(agent_id) == signer.address
    assert registry.agentOfWallet(signer.address) == agent_id
    # A second agent of the same owner keeps the owner default, unindexed.
    second = register_agent(signer.address)
    assert registry.getAgentWallet(second) == signer.address
    assert registry.agentOfWallet(signer.address) == agent_id


def test_erc1271_contract_wallet(
    registry, agent, owner, wallet3, contract_wallet, wallet_proof, now, events
):
    deadline = now() + 60
    signature = wallet_proof(
        wallet3, agent, owner, deadline, new_wallet=contract_wallet.address
    )
    with boa.env.prank(owner):
        registry.setAgentWallet(agent, contract_wallet.address, deadline, signature)
    logs = events(registry)
    assert registry.getAgentWallet(agent) == contract_wallet.address
    assert registry.agentOfWallet(contract_wallet.address) == agent
    assert logs == [
        metadata_set(agent, AGENT_WALLET_KEY, packed(contract_wallet.address))
    ]


def test_erc1271_wallet_gets_the_registry_digest(
    registry, agent, owner, wallet3, contract_wallet, now
):
    """The contract wallet is asked about exactly `hashAgentWalletSet`."""
    deadline = now() + 60
    digest = registry.hashAgentWalletSet(
        agent, contract_wallet.address, owner, deadline
    )
    signature = bytes(wallet3.unsafe_sign_hash(digest).signature)
    with boa.env.prank(owner):
        registry.setAgentWallet(agent, contract_wallet.address, deadline, signature)
    assert registry.agentOfWallet(contract_wallet.address) == agent


def test_erc1271_wallet_decides_alone(registry, agent, owner, contract_wallet, now):
    """A contract wallet's answer is final: one that approves everything
    accepts any bytes (the registry trusts the wallet, by design)."""
    contract_wallet.set_mode(MODE_ALWAYS)
    with boa.env.prank(owner):
        registry.setAgentWallet(agent, contract_wallet.address, now() + 60, b"")
    assert registry.agentOfWallet(contract_wallet.address) == agent


@pytest.mark.parametrize("mode", [MODE_WRONG, MODE_REVERT, MODE_WRITE])
def test_erc1271_wallet_not_approving_is_refused(
    registry, agent, owner, wallet3, contract_wallet, wallet_proof, now, refused, mode
):
    """Wrong magic value, a revert, or a non-view answer (it fails under the
    registry's STATICCALL) are all refusals, even with a valid signature."""
    contract_wallet.set_mode(mode)
    deadline = now() + 60
    signature = wallet_proof(
        wallet3, agent, owner, deadline, new_wallet=contract_wallet.address
    )
    refused(BAD_PROOF, agent, contract_wallet.address, deadline, signature)
    assert contract_wallet.calls() == 0


def test_erc1271_wallet_wrong_key_refused(
    registry, agent, owner, wallet2, contract_wallet, wallet_proof, now, refused
):
    deadline = now() + 60
    signature = wallet_proof(
        wallet2, agent, owner, deadline, new_wallet=contract_wallet.address
    )
    refused(BAD_PROOF, agent, contract_wallet.address, deadline, signature)


def test_eoa_signature_of_contract_owner_key_is_not_the_contract(
    registry, agent, owner, wallet3, contract_wallet, wallet_proof, now, refused
):
    """A proof for the contract wallet does not make the signing EOA a wallet."""
    deadline = now() + 60
    signature = wallet_proof(
        wallet3, agent, owner, deadline, new_wallet=contract_wallet.address
    )
    refused(BAD_PROOF, agent, wallet3.address, deadline, signature)


# ---------------------------------------------------------------- refusals: arguments


def test_zero_wallet_refused(agent, owner, wallet, wallet_proof, now, refused):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, owner, deadline, new_wallet=ZERO_ADDRESS)
    refused("registry: zero wallet", agent, ZERO_ADDRESS, deadline, signature)


def test_expired_deadline_refused(agent, owner, wallet, wallet_proof, now, refused):
    deadline = now() - 1
    signature = wallet_proof(wallet, agent, owner, deadline)
    refused("registry: proof expired", agent, wallet.address, deadline, signature)


def test_proof_expires_with_time(agent, owner, wallet, wallet_proof, now, refused):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, owner, deadline)
    boa.env.time_travel(seconds=61)
    refused("registry: proof expired", agent, wallet.address, deadline, signature)


def test_deadline_too_far_refused(agent, owner, wallet, wallet_proof, now, refused):
    deadline = now() + MAX_DEADLINE_DELAY + 1
    signature = wallet_proof(wallet, agent, owner, deadline)
    refused("registry: deadline too far", agent, wallet.address, deadline, signature)


def test_huge_deadline_refused(agent, owner, wallet, wallet_proof, refused):
    deadline = 2**256 - 1
    signature = wallet_proof(wallet, agent, owner, deadline)
    refused("registry: deadline too far", agent, wallet.address, deadline, signature)


def test_unknown_agent_refused(agent, owner, wallet, wallet_proof, now, refused):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent + 1, owner, deadline)
    refused("registry: unknown agent", agent + 1, wallet.address, deadline, signature)


def test_stranger_refused(agent, owner, stranger, wallet, wallet_proof, now, refused):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, owner, deadline)
    refused(
        "registry: not authorized", agent, wallet.address, deadline, signature, stranger
    )


def test_stranger_naming_itself_as_owner_refused(
    agent, stranger, wallet, wallet_proof, now, refused
):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, stranger, deadline)
    refused(
        "registry: not authorized", agent, wallet.address, deadline, signature, stranger
    )


def test_retired_agent_refused(
    registry, agent, owner, wallet, wallet_proof, now, refused
):
    with boa.env.prank(owner):
        registry.retire(agent)
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, owner, deadline)
    refused("registry: agent retired", agent, wallet.address, deadline, signature)


def test_paused_agent_may_set_wallet(registry, agent, owner, wallet, set_wallet):
    with boa.env.prank(owner):
        registry.pause(agent)
    set_wallet(wallet, agent, owner)
    assert registry.agentOfWallet(wallet.address) == agent


# ---------------------------------------------------------------- refusals: signature


def test_wrong_signer_refused(
    agent, owner, wallet, wallet2, wallet_proof, now, refused
):
    deadline = now() + 60
    signature = wallet_proof(wallet2, agent, owner, deadline, new_wallet=wallet.address)
    refused(BAD_PROOF, agent, wallet.address, deadline, signature)


@pytest.mark.parametrize(
    "signature",
    [bytes(65), bytes(64) + b"\x1b", bytes(64) + b"\x1c"],
    ids=["all-zero", "zero-rs-v27", "zero-rs-v28"],
)
def test_zero_signature_refused(agent, wallet, now, refused, signature):
    refused(BAD_PROOF, agent, wallet.address, now() + 60, signature)


@pytest.mark.parametrize("length", [0, 64, 66])
def test_malformed_signature_length_refused(
    agent, owner, wallet, wallet_proof, now, refused, length
):
    deadline = now() + 60
    good = wallet_proof(wallet, agent, owner, deadline)
    r, s, v = split(good)
    if length == 0:
        signature = b""
    elif length == 64:
        # EIP-2098 compact form of the same, valid signature.
        signature = r.to_bytes(32, "big") + (((v - 27) << 255) | s).to_bytes(32, "big")
    else:
        signature = good + b"\x00"
    refused(BAD_PROOF, agent, wallet.address, deadline, signature)


def test_high_s_signature_refused(
    registry, agent, owner, wallet, wallet_proof, now, refused
):
    deadline = now() + 60
    good = wallet_proof(wallet, agent, owner, deadline)
    r, s, v = split(good)
    malleated = join(r, SECP256K1_N - s, 55 - v)  # flips 27 <-> 28
    digest = registry.hashAgentWalletSet(agent, wallet.address, owner, deadline)
    assert is_signer(malleated, digest, wallet.address)  # valid, but malleable
    refused(BAD_PROOF, agent, wallet.address, deadline, malleated)
    # The canonical form still works.
    with boa.env.prank(owner):
        registry.setAgentWallet(agent, wallet.address, deadline, good)
    assert registry.agentOfWallet(wallet.address) == agent


def test_v_minus_27_form_refused(
    registry, agent, owner, wallet, wallet_proof, now, refused
):
    """v in {0, 1} is the same signature for most libraries, not for the registry."""
    deadline = now() + 60
    r, s, v = split(wallet_proof(wallet, agent, owner, deadline))
    signature = join(r, s, v - 27)
    digest = registry.hashAgentWalletSet(agent, wallet.address, owner, deadline)
    assert is_signer(signature, digest, wallet.address)
    refused(BAD_PROOF, agent, wallet.address, deadline, signature)


@pytest.mark.parametrize("new_v", [0, 1, 26, 29, 30, 255])
def test_v_not_27_or_28_refused(
    agent, owner, wallet, wallet_proof, now, refused, new_v
):
    deadline = now() + 60
    r, s, _ = split(wallet_proof(wallet, agent, owner, deadline))
    refused(BAD_PROOF, agent, wallet.address, deadline, join(r, s, new_v))


def test_proof_for_another_agent_refused(
    register_agent, agent, owner, wallet, wallet_proof, now, refused
):
    second = register_agent(owner)
    deadline = now() + 60
    signature = wallet_proof(wallet, second, owner, deadline)
    refused(BAD_PROOF, agent, wallet.address, deadline, signature)


def test_proof_naming_another_owner_refused(
    agent, owner, other_owner, wallet, wallet_proof, now, refused
):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, other_owner, deadline)
    refused(BAD_PROOF, agent, wallet.address, deadline, signature)


def test_proof_for_another_deadline_refused(
    agent, owner, wallet, wallet_proof, now, refused
):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, owner, deadline + 1)
    refused(BAD_PROOF, agent, wallet.address, deadline, signature)


def test_proof_for_another_wallet_refused(
    agent, owner, wallet, wallet2, wallet_proof, now, refused
):
    """wallet2 signs a proof naming itself; it cannot be used for wallet."""
    deadline = now() + 60
    signature = wallet_proof(wallet2, agent, owner, deadline)
    refused(BAD_PROOF, agent, wallet.address, deadline, signature)


def test_proof_for_another_chain_refused(
    agent, owner, wallet, wallet_proof, now, refused, chain_id
):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, owner, deadline, chain_id=chain_id + 1)
    refused(BAD_PROOF, agent, wallet.address, deadline, signature)


def test_proof_for_another_contract_refused(
    registry_deployer, agent, owner, wallet, wallet_proof, now, refused
):
    other = registry_deployer.deploy()
    deadline = now() + 60
    signature = wallet_proof(
        wallet, agent, owner, deadline, verifying_contract=other.address
    )
    refused(BAD_PROOF, agent, wallet.address, deadline, signature)


def test_domain_follows_chain_id(
    registry, agent, owner, wallet, wallet_proof, now, chain_id
):
    """After a fork (new chain id) old-chain proofs stop working and the
    domain reports the new chain."""
    deadline = now() + 60
    old_chain_proof = wallet_proof(wallet, agent, owner, deadline, chain_id=chain_id)
    boa.env.evm.patch.chain_id = chain_id + 7
    assert registry.eip712Domain()[3] == chain_id + 7
    with boa.env.prank(owner), boa.reverts(BAD_PROOF):
        registry.setAgentWallet(agent, wallet.address, deadline, old_chain_proof)
    new_chain_proof = wallet_proof(
        wallet, agent, owner, deadline, chain_id=chain_id + 7
    )
    with boa.env.prank(owner):
        registry.setAgentWallet(agent, wallet.address, deadline, new_chain_proof)
    assert registry.agentOfWallet(wallet.address) == agent


# ---------------------------------------------------------------- replay


def test_replay_after_unset_refused(
    registry, agent, owner, wallet, wallet_proof, now, refused
):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, owner, deadline)
    with boa.env.prank(owner):
        registry.setAgentWallet(agent, wallet.address, deadline, signature)
        registry.unsetAgentWallet(agent)
    refused("registry: proof used", agent, wallet.address, deadline, signature)
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS


def test_replay_after_transfer_and_back_refused(
    registry, agent, owner, other_owner, wallet, wallet_proof, now, refused
):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, owner, deadline)
    with boa.env.prank(owner):
        registry.setAgentWallet(agent, wallet.address, deadline, signature)
        registry.transferFrom(owner, other_owner, agent)
    with boa.env.prank(other_owner):
        registry.transferFrom(other_owner, owner, agent)
    assert registry.ownerOf(agent) == owner
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS
    refused("registry: proof used", agent, wallet.address, deadline, signature)


def test_replay_while_set_refused(
    registry, agent, owner, wallet, wallet_proof, now, refused
):
    deadline = now() + 60
    signature = wallet_proof(wallet, agent, owner, deadline)
    with boa.env.prank(owner):
        registry.setAgentWallet(agent, wallet.address, deadline, signature)
    refused("registry: proof used", agent, wallet.address, deadline, signature)


def test_older_proof_after_newer_refused(
    registry, agent, owner, wallet, wallet_proof, now, refused
):
    older = now() + 30
    newer = now() + 60
    old_signature = wallet_proof(wallet, agent, owner, older)
    new_signature = wallet_proof(wallet, agent, owner, newer)
    with boa.env.prank(owner):
        registry.setAgentWallet(agent, wallet.address, newer, new_signature)
        registry.unsetAgentWallet(agent)
    refused("registry: proof used", agent, wallet.address, older, old_signature)


def test_consumed_deadline_applies_across_agents(
    registry, register_agent, agent, owner, wallet, wallet_proof, now
):
    """Proofs are consumed per wallet, not per agent: after agent 1 used a
    proof with deadline d, a proof for agent 2 needs a deadline > d."""
    second = register_agent(owner)
    deadline = now() + 60
    with boa.env.prank(owner):
        registry.setAgentWallet(
            agent,
            wallet.address,
            deadline,
            wallet_proof(wallet, agent, owner, deadline),
        )
        registry.unsetAgentWallet(agent)
        with boa.reverts("registry: proof used"):
            registry.setAgentWallet(
                second,
                wallet.address,
                deadline,
                wallet_proof(wallet, second, owner, deadline),
            )
        registry.setAgentWallet(
            second,
            wallet.address,
            deadline + 1,
            wallet_proof(wallet, second, owner, deadline + 1),
        )
    assert registry.agentOfWallet(wallet.address) == second


# ---------------------------------------------------------------- uniqueness and moves


def test_wallet_taken_by_another_agent(
    registry,
    register_agent,
    agent,
    owner,
    other_owner,
    wallet,
    set_wallet,
    wallet_proof,
    now,
):
    set_wallet(wallet, agent, owner)
    second = register_agent(other_owner)
    deadline = now() + 120
    signature = wallet_proof(wallet, second, other_owner, deadline)
    with boa.env.prank(other_owner), boa.reverts("registry: wallet taken"):
        registry.setAgentWallet(second, wallet.address, deadline, signature)
    assert registry.agentOfWallet(wallet.address) == agent
    assert registry.getAgentWallet(second) == other_owner


def test_wallet_taken_by_retired_agent_until_unset(
    registry,
    register_agent,
    agent,
    owner,
    other_owner,
    wallet,
    set_wallet,
    wallet_proof,
    now,
):
    set_wallet(wallet, agent, owner)
    with boa.env.prank(owner):
        registry.retire(agent)
    second = register_agent(other_owner)
    deadline = now() + 120
    signature = wallet_proof(wallet, second, other_owner, deadline)
    with boa.env.prank(other_owner), boa.reverts("registry: wallet taken"):
        registry.setAgentWallet(second, wallet.address, deadline, signature)
    with boa.env.prank(owner):
        registry.unsetAgentWallet(agent)
    with boa.env.prank(other_owner):
        registry.setAgentWallet(second, wallet.address, deadline, signature)
    assert registry.agentOfWallet(wallet.address) == second


def test_moving_wallet_frees_the_old_one(
    registry, register_agent, agent, owner, other_owner, wallet, wallet2, set_wallet
):
    set_wallet(wallet, agent, owner, delay=60)
    set_wallet(wallet2, agent, owner, delay=60)
    assert registry.getAgentWallet(agent) == wallet2.address
    assert registry.agentOfWallet(wallet2.address) == agent
    assert registry.agentOfWallet(wallet.address) == 0
    # The freed wallet can back another agent (with a later proof).
    second = register_agent(other_owner)
    set_wallet(wallet, second, other_owner, delay=120)
    assert registry.agentOfWallet(wallet.address) == second
    assert registry.getAgentWallet(second) == wallet.address
    assert registry.getAgentWallet(agent) == wallet2.address


def test_same_wallet_again_with_newer_proof(
    registry, agent, owner, wallet, wallet_proof, now, events
):
    first = now() + 60
    with boa.env.prank(owner):
        registry.setAgentWallet(
            agent, wallet.address, first, wallet_proof(wallet, agent, owner, first)
        )
    boa.env.time_travel(seconds=10)
    second = now() + 60
    with boa.env.prank(owner):
        registry.setAgentWallet(
            agent, wallet.address, second, wallet_proof(wallet, agent, owner, second)
        )
    logs = events(registry)
    assert registry.getAgentWallet(agent) == wallet.address
    assert registry.agentOfWallet(wallet.address) == agent
    assert logs == [metadata_set(agent, AGENT_WALLET_KEY, packed(wallet.address))]


def test_distinct_agents_distinct_wallets(
    registry, register_agent, agent, owner, wallet, wallet2, set_wallet
):
    second = register_agent(owner)
    set_wallet(wallet, agent, owner)
    set_wallet(wallet2, second, owner)
    assert registry.agentOfWallet(wallet.address) == agent
    assert registry.agentOfWallet(wallet2.address) == second


# ---------------------------------------------------------------- unset


def test_unset_proved_wallet(registry, agent, owner, wallet, set_wallet, events):
    set_wallet(wallet, agent, owner)
    with boa.env.prank(owner):
        registry.unsetAgentWallet(agent)
    logs = events(registry)
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS
    assert registry.agentOfWallet(wallet.address) == 0
    assert logs == [metadata_set(agent, AGENT_WALLET_KEY, b"")]


def test_unset_default_owner_wallet(registry, agent, owner, events):
    with boa.env.prank(owner):
        registry.unsetAgentWallet(agent)
    logs = events(registry)
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS
    assert registry.getMetadata(agent, AGENT_WALLET_KEY) == b""
    assert logs == [metadata_set(agent, AGENT_WALLET_KEY, b"")]


def test_unset_twice_is_silent(registry, agent, owner, events):
    with boa.env.prank(owner):
        registry.unsetAgentWallet(agent)
        registry.unsetAgentWallet(agent)
    assert events(registry) == []
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS


def test_owner_default_does_not_come_back(registry, agent, owner, wallet, set_wallet):
    set_wallet(wallet, agent, owner)
    with boa.env.prank(owner):
        registry.unsetAgentWallet(agent)
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS


def test_unset_by_authorized(registry, agent, owner, wallet, set_wallet, authorized):
    set_wallet(wallet, agent, owner)
    with boa.env.prank(authorized):
        registry.unsetAgentWallet(agent)
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS
    assert registry.agentOfWallet(wallet.address) == 0


def test_unset_by_stranger_refused(
    registry, agent, owner, stranger, wallet, set_wallet
):
    set_wallet(wallet, agent, owner)
    with boa.env.prank(stranger), boa.reverts("registry: not authorized"):
        registry.unsetAgentWallet(agent)
    assert registry.getAgentWallet(agent) == wallet.address
    assert registry.agentOfWallet(wallet.address) == agent


def test_unset_unknown_agent_refused(registry, owner):
    with boa.env.prank(owner), boa.reverts("registry: unknown agent"):
        registry.unsetAgentWallet(1)


def test_unset_allowed_when_retired(registry, agent, owner, wallet, set_wallet):
    set_wallet(wallet, agent, owner)
    with boa.env.prank(owner):
        registry.retire(agent)
        registry.unsetAgentWallet(agent)
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS
    assert registry.agentOfWallet(wallet.address) == 0


# ---------------------------------------------------------------- views


def test_get_agent_wallet_unknown_reverts(registry, agent):
    with boa.reverts("registry: unknown agent"):
        registry.getAgentWallet(agent + 1)
    with boa.reverts("registry: unknown agent"):
        registry.getAgentWallet(0)


def test_agent_of_unknown_wallet_is_zero(registry, wallet):
    assert registry.agentOfWallet(wallet.address) == 0
    assert registry.agentOfWallet(ZERO_ADDRESS) == 0


def test_hash_agent_wallet_set_matches_independent_digest(
    registry, agent, owner, wallet, chain_id, now
):
    deadline = now() + 123
    contract_digest = registry.hashAgentWalletSet(
        agent, wallet.address, owner, deadline
    )
    args = (agent, wallet.address, owner, deadline, chain_id, registry.address)
    assert contract_digest == manual_digest(*args)
    assert contract_digest == eip712_digest(*args)


@pytest.mark.parametrize("field", range(4))
def test_hash_agent_wallet_set_binds_every_field(registry, owner, wallet, field):
    base = [7, wallet.address, str(owner), 1_000]
    changed = list(base)
    changed[field] = [8, str(owner), wallet.address, 1_001][field]
    assert registry.hashAgentWalletSet(*base) != registry.hashAgentWalletSet(*changed)


def test_hash_agent_wallet_set_needs_no_agent(registry, owner, wallet, chain_id):
    """A pure function of its arguments (the agent need not exist)."""
    args = (99, wallet.address, owner, 5, chain_id, registry.address)
    assert registry.hashAgentWalletSet(*args[:4]) == manual_digest(*args)
