"""isAuthorizedOrOwner, approvals, ERC-165, name/symbol and eip712Domain."""

import boa
import pytest

from ..helpers import EIP712_NAME, EIP712_VERSION, ZERO_ADDRESS, Event

# ---------------------------------------------------------------- isAuthorizedOrOwner


def test_is_authorized_or_owner_truth_table(
    registry, register_agent, agent, owner, operator, approved, stranger, other_owner
):
    second = register_agent(owner)
    foreign = register_agent(other_owner)
    with boa.env.prank(owner):
        registry.setApprovalForAll(operator, True)
        registry.approve(approved, agent)
    with boa.env.prank(other_owner):
        registry.setApprovalForAll(stranger, True)

    table = {
        (owner, agent): True,
        (operator, agent): True,
        (approved, agent): True,
        (stranger, agent): False,
        (other_owner, agent): False,
        (ZERO_ADDRESS, agent): False,
        (owner, second): True,
        (operator, second): True,
        (approved, second): False,  # approval is per agent
        (ZERO_ADDRESS, second): False,  # `second` has no approved address
        (owner, foreign): False,
        (operator, foreign): False,
        (stranger, foreign): True,  # operator of other_owner
        (other_owner, foreign): True,
    }
    observed = {key: registry.isAuthorizedOrOwner(*key) for key in table}
    assert observed == table


def test_zero_address_is_never_authorized(registry, agent, owner, approved):
    """An agent without an approved address stores the zero address as its
    approval; the zero address must not count as approved (regression)."""
    assert registry.getApproved(agent) == ZERO_ADDRESS
    assert registry.isAuthorizedOrOwner(ZERO_ADDRESS, agent) is False
    with boa.env.prank(owner):
        registry.approve(approved, agent)
        registry.approve(ZERO_ADDRESS, agent)  # clears the approval again
    assert registry.isAuthorizedOrOwner(ZERO_ADDRESS, agent) is False


def test_is_authorized_follows_revocations(registry, agent, owner, operator, approved):
    with boa.env.prank(owner):
        registry.setApprovalForAll(operator, True)
        registry.approve(approved, agent)
        registry.setApprovalForAll(operator, False)
        registry.approve(ZERO_ADDRESS, agent)
    assert registry.isAuthorizedOrOwner(operator, agent) is False
    assert registry.isAuthorizedOrOwner(approved, agent) is False
    assert registry.isAuthorizedOrOwner(owner, agent) is True


def test_is_authorized_unknown_agent_reverts(registry, owner):
    with boa.reverts("registry: unknown agent"):
        registry.isAuthorizedOrOwner(owner, 1)


# ---------------------------------------------------------------- approvals (ERC-721)


def test_approve_and_events(registry, agent, owner, approved, events):
    with boa.env.prank(owner):
        registry.approve(approved, agent)
    assert events(registry) == [
        Event("Approval", {"owner": owner, "approved": approved, "tokenId": agent})
    ]
    assert registry.getApproved(agent) == approved


def test_operator_may_approve(registry, agent, owner, approved, as_operator):
    with boa.env.prank(as_operator):
        registry.approve(approved, agent)
    assert registry.getApproved(agent) == approved


def test_approved_may_not_approve(registry, agent, stranger, as_approved):
    with boa.env.prank(as_approved), boa.reverts("erc721: not owner or operator"):
        registry.approve(stranger, agent)


def test_stranger_may_not_approve(registry, agent, stranger):
    with boa.env.prank(stranger), boa.reverts("erc721: not owner or operator"):
        registry.approve(stranger, agent)


def test_approve_to_owner_refused(registry, agent, owner):
    with boa.env.prank(owner), boa.reverts("erc721: approval to owner"):
        registry.approve(owner, agent)


def test_approve_unknown_refused(registry, owner, approved):
    with boa.env.prank(owner), boa.reverts("erc721: invalid token ID"):
        registry.approve(approved, 1)


def test_get_approved_unknown_reverts(registry):
    with boa.reverts("erc721: invalid token ID"):
        registry.getApproved(1)


def test_set_approval_for_all_and_events(registry, owner, operator, events):
    with boa.env.prank(owner):
        registry.setApprovalForAll(operator, True)
    assert events(registry) == [
        Event(
            "ApprovalForAll", {"owner": owner, "operator": operator, "approved": True}
        )
    ]
    assert registry.isApprovedForAll(owner, operator) is True


def test_set_approval_for_all_to_self_refused(registry, owner):
    with boa.env.prank(owner), boa.reverts("erc721: approve to caller"):
        registry.setApprovalForAll(owner, True)


# ---------------------------------------------------------------- ERC-165, name, symbol


@pytest.mark.parametrize(
    ("interface_id", "supported"),
    [
        ("01ffc9a7", True),  # ERC-165
        ("80ac58cd", True),  # ERC-721
        ("5b5e139f", True),  # ERC-721 Metadata
        ("780e9d63", False),  # ERC-721 Enumerable: not implemented
        ("ffffffff", False),  # must be false per ERC-165
        ("00000000", False),
    ],
)
def test_supports_interface(registry, interface_id, supported):
    assert registry.supportsInterface(bytes.fromhex(interface_id)) is supported


def test_name_and_symbol(registry):
    assert registry.name() == "Charter Agent Identity"
    assert registry.symbol() == "AGENT"


def test_eip712_domain(registry, chain_id):
    fields, name, version, domain_chain_id, verifying_contract, salt, extensions = (
        registry.eip712Domain()
    )
    # EIP-5267: bits for name, version, chainId and verifyingContract.
    assert fields == b"\x0f"
    assert name == EIP712_NAME
    assert version == EIP712_VERSION
    assert domain_chain_id == chain_id
    assert verifying_contract == registry.address
    assert salt == b"\x00" * 32
    assert extensions == []


def test_total_supply_counts_retired(registry, register_agent, owner):
    first = register_agent(owner)
    register_agent(owner)
    with boa.env.prank(owner):
        registry.retire(first)
    assert registry.totalSupply() == 2
