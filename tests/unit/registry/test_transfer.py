"""transferFrom / safeTransferFrom (both overloads): a transfer clears the
agent wallet, its reverse entry and the owner-default flag, and keeps status,
URI and metadata."""

import boa
import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector as selector

from ..helpers import (
    AGENT_WALLET_KEY,
    STATUS_PAUSED,
    STATUS_RETIRED,
    ZERO_ADDRESS,
    Event,
    metadata_set,
)

METHODS = ["transferFrom", "safeTransferFrom", "safeTransferFrom+data"]

# Receiver modes (tests/mocks/Receiver.vy).
MODE_ACCEPT, MODE_WRONG, MODE_REVERT, MODE_PROBE, MODE_STRICT = range(5)


@pytest.fixture(params=METHODS)
def transfer(request, registry):
    """Transfer with each of the three entry points."""

    def _transfer(caller, sender, to, agent_id, data=b"payload"):
        with boa.env.prank(caller):
            if request.param == "transferFrom":
                registry.transferFrom(sender, to, agent_id)
            elif request.param == "safeTransferFrom":
                registry.safeTransferFrom(sender, to, agent_id)
            else:
                registry.safeTransferFrom(sender, to, agent_id, data)

    _transfer.method = request.param
    return _transfer


def snapshot(registry, agent_id, *addresses):
    return (
        registry.ownerOf(agent_id),
        registry.getAgentWallet(agent_id),
        registry.getApproved(agent_id),
        tuple(registry.balanceOf(a) for a in addresses),
        tuple(registry.agentOfWallet(a) for a in addresses),
    )


# ---------------------------------------------------------------- effects


def test_transfer_clears_proved_wallet(
    registry, agent, owner, other_owner, wallet, set_wallet, transfer, events
):
    set_wallet(wallet, agent, owner)
    transfer(owner, owner, other_owner, agent)
    logs = events(registry)
    assert registry.ownerOf(agent) == other_owner
    assert registry.balanceOf(owner) == 0
    assert registry.balanceOf(other_owner) == 1
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS
    assert registry.agentOfWallet(wallet.address) == 0
    assert registry.getMetadata(agent, AGENT_WALLET_KEY) == b""
    assert logs == [
        metadata_set(agent, AGENT_WALLET_KEY, b""),
        Event("Transfer", {"from": owner, "to": other_owner, "tokenId": agent}),
    ]


def test_transfer_clears_owner_default(
    registry, agent, owner, other_owner, transfer, events
):
    assert registry.getAgentWallet(agent) == owner
    transfer(owner, owner, other_owner, agent)
    logs = events(registry)
    # Not the new owner: the default wallet does not follow the token.
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS
    assert registry.getMetadata(agent, AGENT_WALLET_KEY) == b""
    assert logs == [
        metadata_set(agent, AGENT_WALLET_KEY, b""),
        Event("Transfer", {"from": owner, "to": other_owner, "tokenId": agent}),
    ]


def test_transfer_without_wallet_emits_only_transfer(
    registry, agent, owner, other_owner, transfer, events
):
    with boa.env.prank(owner):
        registry.unsetAgentWallet(agent)
    transfer(owner, owner, other_owner, agent)
    assert events(registry) == [
        Event("Transfer", {"from": owner, "to": other_owner, "tokenId": agent}),
    ]


def test_transfer_to_self_also_clears_wallet(
    registry, agent, owner, wallet, set_wallet
):
    set_wallet(wallet, agent, owner)
    with boa.env.prank(owner):
        registry.transferFrom(owner, owner, agent)
    assert registry.ownerOf(agent) == owner
    assert registry.balanceOf(owner) == 1
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS
    assert registry.agentOfWallet(wallet.address) == 0


def test_transfer_keeps_status_uri_metadata(
    registry, agent, owner, other_owner, transfer
):
    with boa.env.prank(owner):
        registry.setAgentURI(agent, "ipfs://" + "u" * 70)
        registry.setMetadata(agent, "k", b"v" * 40)
        registry.pause(agent)
    transfer(owner, owner, other_owner, agent)
    assert registry.statusOf(agent) == STATUS_PAUSED
    assert registry.isActive(agent) is False
    assert registry.tokenURI(agent) == "ipfs://" + "u" * 70
    assert registry.getMetadata(agent, "k") == b"v" * 40


def test_retired_agent_can_be_transferred_and_stays_retired(
    registry, agent, owner, other_owner, transfer
):
    with boa.env.prank(owner):
        registry.retire(agent)
    transfer(owner, owner, other_owner, agent)
    assert registry.ownerOf(agent) == other_owner
    assert registry.statusOf(agent) == STATUS_RETIRED


def test_transfer_clears_single_approval(
    registry, agent, owner, other_owner, approved, transfer
):
    with boa.env.prank(owner):
        registry.approve(approved, agent)
    transfer(owner, owner, other_owner, agent)
    assert registry.getApproved(agent) == ZERO_ADDRESS
    assert registry.isAuthorizedOrOwner(approved, agent) is False
    with boa.env.prank(approved), boa.reverts("registry: not authorized"):
        registry.setAgentURI(agent, "ipfs://x")


def test_old_owners_operator_loses_control(
    registry, agent, owner, other_owner, operator, transfer
):
    with boa.env.prank(owner):
        registry.setApprovalForAll(operator, True)
    transfer(owner, owner, other_owner, agent)
    assert registry.isApprovedForAll(owner, operator) is True
    assert registry.isAuthorizedOrOwner(operator, agent) is False
    with boa.env.prank(operator), boa.reverts("registry: not authorized"):
        registry.pause(agent)


def test_authorized_can_transfer(
    registry, agent, owner, other_owner, authorized, transfer
):
    transfer(authorized, owner, other_owner, agent)
    assert registry.ownerOf(agent) == other_owner


def test_new_owner_needs_a_proof_naming_them(
    registry, agent, owner, other_owner, wallet, wallet_proof, set_wallet, now
):
    deadline = now() + 60
    stale = wallet_proof(wallet, agent, owner, deadline)
    with boa.env.prank(owner):
        registry.transferFrom(owner, other_owner, agent)
    with boa.env.prank(other_owner), boa.reverts("registry: bad wallet proof"):
        registry.setAgentWallet(agent, wallet.address, deadline, stale)
    set_wallet(wallet, agent, other_owner)
    assert registry.getAgentWallet(agent) == wallet.address
    assert registry.agentOfWallet(wallet.address) == agent


def test_freed_wallet_can_back_another_agent(
    registry, register_agent, agent, owner, other_owner, wallet, set_wallet
):
    set_wallet(wallet, agent, owner, delay=60)
    with boa.env.prank(owner):
        registry.transferFrom(owner, other_owner, agent)
    second = register_agent(owner)
    set_wallet(wallet, second, owner, delay=120)
    assert registry.agentOfWallet(wallet.address) == second


# ---------------------------------------------------------------- refusals


def test_stranger_refused(
    registry, agent, owner, stranger, wallet, set_wallet, transfer
):
    set_wallet(wallet, agent, owner)
    before = snapshot(registry, agent, owner, stranger, wallet.address)
    with boa.reverts("erc721: caller is not token owner or approved"):
        transfer(stranger, owner, stranger, agent)
    assert snapshot(registry, agent, owner, stranger, wallet.address) == before


def test_wrong_from_refused(registry, agent, owner, other_owner, stranger, transfer):
    before = snapshot(registry, agent, owner, other_owner)
    with boa.reverts("erc721: transfer from incorrect owner"):
        transfer(owner, other_owner, stranger, agent)
    assert snapshot(registry, agent, owner, other_owner) == before


def test_to_zero_refused(registry, agent, owner, wallet, set_wallet, transfer):
    set_wallet(wallet, agent, owner)
    before = snapshot(registry, agent, owner, wallet.address)
    with boa.reverts("erc721: transfer to zero address"):
        transfer(owner, owner, ZERO_ADDRESS, agent)
    assert snapshot(registry, agent, owner, wallet.address) == before


def test_unknown_agent_refused(registry, owner, other_owner, transfer):
    with boa.reverts("registry: unknown agent"):
        transfer(owner, owner, other_owner, 1)


def test_approved_of_other_agent_refused(
    registry, register_agent, agent, owner, other_owner, approved, transfer
):
    second = register_agent(owner)
    with boa.env.prank(owner):
        registry.approve(approved, second)
    with boa.reverts("erc721: caller is not token owner or approved"):
        transfer(approved, owner, other_owner, agent)


# ---------------------------------------------------------------- safe transfers and receivers


def test_safe_transfer_to_non_receiver_contract_refused(
    registry, agent, owner, wallet, set_wallet, contract_wallet
):
    set_wallet(wallet, agent, owner)
    before = snapshot(registry, agent, owner, wallet.address, contract_wallet.address)
    for data in (None, b"x"):
        with boa.env.prank(owner), boa.reverts():
            if data is None:
                registry.safeTransferFrom(owner, contract_wallet.address, agent)
            else:
                registry.safeTransferFrom(owner, contract_wallet.address, agent, data)
    assert (
        snapshot(registry, agent, owner, wallet.address, contract_wallet.address)
        == before
    )


def test_plain_transfer_to_non_receiver_contract_works(
    registry, agent, owner, contract_wallet
):
    with boa.env.prank(owner):
        registry.transferFrom(owner, contract_wallet.address, agent)
    assert registry.ownerOf(agent) == contract_wallet.address


@pytest.mark.parametrize("data", [None, b"", b"hello receiver", b"\xff" * 1024])
def test_safe_transfer_to_receiver(registry, agent, owner, approved, receiver, data):
    with boa.env.prank(owner):
        registry.approve(approved, agent)
    with boa.env.prank(approved):
        if data is None:
            registry.safeTransferFrom(owner, receiver.address, agent)
        else:
            registry.safeTransferFrom(owner, receiver.address, agent, data)
    assert registry.ownerOf(agent) == receiver.address
    assert registry.getAgentWallet(agent) == ZERO_ADDRESS
    assert receiver.received() == 1
    assert receiver.last_operator() == approved
    assert receiver.last_from() == owner
    assert receiver.last_token_id() == agent
    assert receiver.last_data() == (data or b"")


def test_receiver_with_wrong_answer_refused(registry, agent, owner, receiver):
    receiver.set_mode(MODE_WRONG)
    with boa.env.prank(owner), boa.reverts("erc721: non-ERC721Receiver implementer"):
        registry.safeTransferFrom(owner, receiver.address, agent)
    assert registry.ownerOf(agent) == owner
    assert registry.getAgentWallet(agent) == owner


def test_receiver_that_reverts_refused(registry, agent, owner, receiver):
    receiver.set_mode(MODE_REVERT)
    with boa.env.prank(owner), boa.reverts("receiver: no"):
        registry.safeTransferFrom(owner, receiver.address, agent, b"x")
    assert registry.ownerOf(agent) == owner


def test_safe_transfer_to_eoa(registry, agent, owner, other_owner):
    with boa.env.prank(owner):
        registry.safeTransferFrom(owner, other_owner, agent, b"ignored")
    assert registry.ownerOf(agent) == other_owner


@pytest.mark.parametrize(
    "signature",
    [
        "transferFrom(address,address,uint256)",
        "safeTransferFrom(address,address,uint256)",
        "safeTransferFrom(address,address,uint256,bytes)",
    ],
)
def test_erc721_transfer_selectors(registry, agent, owner, other_owner, signature):
    args = [str(owner), str(other_owner), agent]
    types = ["address", "address", "uint256"]
    if signature.endswith("bytes)"):
        args.append(b"data")
        types.append("bytes")
    boa.env.raw_call(
        registry.address, sender=owner, data=selector(signature) + encode(types, args)
    )
    assert registry.ownerOf(agent) == other_owner


# ---------------------------------------------------------------- reentrancy during onERC721Received

# What a receiver can call on the registry from inside onERC721Received
# (the registry has `# pragma nonreentrancy on`). Every write defined in
# AgentRegistry.vy takes the reentrancy lock and reverts; its views are
# `@reentrant`, so a receiver can check the agent it is receiving (and sees
# the new owner: every effect happens before the callback). The functions
# exported from the erc721_packed module and from snekmate carry no pragma.
REENTRY_PROBES = [
    # (signature, args builder, succeeds during the callback)
    ("ownerOf(uint256)", lambda c: [c["agent"]], True),
    ("balanceOf(address)", lambda c: [c["owner"]], True),
    ("getApproved(uint256)", lambda c: [c["agent"]], True),
    ("isApprovedForAll(address,address)", lambda c: [c["owner"], c["receiver"]], True),
    ("eip712Domain()", lambda c: [], True),
    ("approve(address,uint256)", lambda c: [c["owner"], c["agent"]], True),
    ("setApprovalForAll(address,bool)", lambda c: [c["owner"], True], True),
    ("supportsInterface(bytes4)", lambda c: [bytes.fromhex("80ac58cd")], True),
    ("name()", lambda c: [], True),
    ("symbol()", lambda c: [], True),
    ("totalSupply()", lambda c: [], True),
    ("tokenURI(uint256)", lambda c: [c["agent"]], True),
    ("isActive(uint256)", lambda c: [c["agent"]], True),
    ("statusOf(uint256)", lambda c: [c["agent"]], True),
    ("getAgentWallet(uint256)", lambda c: [c["agent"]], True),
    ("agentOfWallet(address)", lambda c: [c["owner"]], True),
    ("isAuthorizedOrOwner(address,uint256)", lambda c: [c["owner"], c["agent"]], True),
    ("getMetadata(uint256,string)", lambda c: [c["agent"], "k"], True),
    (
        "hashAgentWalletSet(uint256,address,address,uint256)",
        lambda c: [c["agent"], c["owner"], c["owner"], 1],
        True,
    ),
    ("register()", lambda c: [], False),
    ("setAgentURI(uint256,string)", lambda c: [c["agent"], "ipfs://reentered"], False),
    (
        "setMetadata(uint256,string,bytes)",
        lambda c: [c["agent"], "k", b"reentered"],
        False,
    ),
    ("pause(uint256)", lambda c: [c["agent"]], False),
    ("unsetAgentWallet(uint256)", lambda c: [c["agent"]], False),
    (
        "transferFrom(address,address,uint256)",
        lambda c: [c["receiver"], c["owner"], c["agent"]],
        False,
    ),
]


def _calldata(signature: str, args: list) -> bytes:
    types = signature[signature.index("(") + 1 : -1]
    types = types.split(",") if types else []
    return selector(signature) + encode(
        types, [str(a) if hasattr(a, "canonical_address") else a for a in args]
    )


def test_reentry_matrix_during_safe_transfer(registry, agent, owner, receiver):
    """Documents which registry functions a receiver can reach from inside
    onERC721Received: every view, none of the registry's own writes."""
    ctx = {"agent": agent, "owner": owner, "receiver": receiver.address}
    for signature, build, _ in REENTRY_PROBES:
        receiver.add_probe(_calldata(signature, build(ctx)))
    receiver.set_mode(MODE_PROBE)
    with boa.env.prank(owner):
        registry.safeTransferFrom(owner, receiver.address, agent)
    observed = dict(zip([p[0] for p in REENTRY_PROBES], receiver.probe_results(), strict=True))
    expected = {signature: ok for signature, _, ok in REENTRY_PROBES}
    assert observed == expected
    # The locked calls changed nothing; the unlocked ones saw the new owner.
    assert registry.ownerOf(agent) == receiver.address
    assert registry.totalSupply() == 1
    assert registry.tokenURI(agent) == "ipfs://agent-one"
    assert registry.getMetadata(agent, "k") == b""
    assert registry.isActive(agent) is True
    # approve(owner, agent) from the receiver, the new owner, went through.
    assert registry.getApproved(agent) == owner
    assert registry.isApprovedForAll(receiver.address, owner) is True


def test_receiver_reading_is_active_in_its_hook_can_receive(registry, agent, owner, receiver):
    """A receiver that checks the agent with ordinary view calls inside its
    hook receives it: views are reentrant and already see the new owner."""
    receiver.set_mode(MODE_STRICT)
    with boa.env.prank(owner):
        registry.safeTransferFrom(owner, receiver.address, agent)
    assert registry.ownerOf(agent) == receiver.address
    assert receiver.received() == 1
    assert receiver.strict_active() is True
