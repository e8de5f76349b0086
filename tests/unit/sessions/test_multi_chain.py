"""A grant signed once for several chains (`activate`, SessionActivator's code on the manager): each chain accepts only its own entry (M1).

The account signs EIP-712 `MultiChainGrant(bytes32[] grants)` under the
chain-agnostic domain (name, version, the manager's address): `grants` lists
each chain's grant hash, which binds that chain's id and manager. Here the
other chains' entries are the same grant hashed for other chain ids.
"""

from pathlib import Path

import boa
import pytest
from eth_account.messages import encode_typed_data

from .conftest import AGENT_OWNER_KEY, EOA7702, KEY, STRANGER
from .helpers import STORED_ACTIVE, poke, sign_digest

OTHER_CHAINS = (10, 8453)
ROOT = Path(__file__).resolve().parents[3]


def multi_digest(manager, grants: list[bytes]) -> bytes:
    typed = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "verifyingContract", "type": "address"}],
            "MultiChainGrant": [{"name": "grants", "type": "bytes32[]"}],
        },
        "primaryType": "MultiChainGrant",
        "domain": {"name": "Charter SessionManager", "version": "1", "verifyingContract": str(manager)},
        "message": {"grants": grants},
    }
    message = encode_typed_data(full_message=typed)
    from eth_utils import keccak

    return keccak(b"\x19" + message.version + message.header + message.body)


@pytest.fixture
def entries(world, make_grant, grant_hash):
    """A grant of the EIP-7702 account and its entries: this chain's hash first, then the others'."""
    grant = make_grant(account=str(world.eoa_account.address))
    here = grant_hash(grant)
    return grant, [here, *(grant_hash(grant, chain_id=c) for c in OTHER_CHAINS)]


def activate(world, grant, signature: bytes, grants: list[bytes], consent: bytes = b"", manager=None,
             sender=None):
    manager = world.manager if manager is None else manager
    as_activator = boa.load_partial(str(ROOT / "contracts" / "SessionActivator.vy")).at(manager.address)
    with boa.env.prank(str(STRANGER.address if sender is None else sender)):  # anyone may send it
        return as_activator.activate(grant.abi(), signature, consent, grants)


def consent_for(manager, grants: list[bytes]) -> bytes:
    return sign_digest(AGENT_OWNER_KEY, multi_digest(manager, grants))


def test_one_signature_activates_this_chains_entry(world, entries, execute) -> None:
    grant, grants = entries
    signature = sign_digest(EOA7702, multi_digest(world.manager.address, grants))
    activate(world, grant, signature, grants, consent_for(world.manager.address, grants))
    assert world.manager.stateOf(str(grant.account), grants[0]) & 0xFF == STORED_ACTIVE
    # Used as an issued grant: no signature presented.
    before = world.target.count()
    execute(grant, world.target.address, 0, poke(), raw=b"")
    assert world.target.count() == before + 1 and world.target.lastCaller() == grant.account


def test_another_chains_entry_is_refused_here(world, entries) -> None:
    grant, grants = entries
    theirs = grants[1:]  # the same grant, entries of chains 10 and 8453 only
    signature = sign_digest(EOA7702, multi_digest(world.manager.address, theirs))
    with boa.reverts("sessions: not an entry of the grant"):
        activate(world, grant, signature, theirs, consent_for(world.manager.address, theirs))


def test_another_manager_on_this_chain_refuses_the_entry(world, entries) -> None:
    grant, grants = entries
    signature = sign_digest(EOA7702, multi_digest(world.manager2.address, grants))
    with boa.reverts("sessions: not an entry of the grant"):
        activate(world, grant, signature, grants, consent_for(world.manager2.address, grants), world.manager2)


@pytest.mark.parametrize("case", ["stranger", "zero", "other list", "single-chain digest", "other manager"])
def test_signatures_that_are_not_the_accounts_are_refused(world, entries, grant_hash, case) -> None:
    grant, grants = entries
    digest = multi_digest(world.manager.address, grants)
    signature = {
        "stranger": lambda: sign_digest(KEY, digest),
        "zero": lambda: b"\x00" * 65,
        "other list": lambda: sign_digest(EOA7702, multi_digest(world.manager.address, grants[:2])),
        "single-chain digest": lambda: sign_digest(EOA7702, grants[0]),
        "other manager": lambda: sign_digest(EOA7702, multi_digest(world.manager2.address, grants)),
    }[case]()
    with boa.reverts("sessions: bad grant signature"):
        activate(world, grant, signature, grants, consent_for(world.manager.address, grants))


def test_consent_is_over_the_same_digest(world, entries) -> None:
    grant, grants = entries
    signature = sign_digest(EOA7702, multi_digest(world.manager.address, grants))
    with boa.reverts("sessions: no agent consent"):
        activate(world, grant, signature, grants)
    with boa.reverts("sessions: no agent consent"):
        activate(world, grant, signature, grants, sign_digest(AGENT_OWNER_KEY, grants[0]))


def test_an_entry_activates_once_and_a_revoked_one_never(world, entries, make_grant, grant_hash) -> None:
    grant, grants = entries
    signature = sign_digest(EOA7702, multi_digest(world.manager.address, grants))
    consent = consent_for(world.manager.address, grants)
    activate(world, grant, signature, grants, consent)
    with boa.reverts("sessions: grant exists"):
        activate(world, grant, signature, grants, consent)
    other = make_grant(account=str(world.eoa_account.address), native_budget=5)
    listed = [grant_hash(other), *grants[1:]]
    with boa.env.prank(str(EOA7702.address)):
        world.manager.revoke(listed[0])
    with boa.reverts("sessions: revoked"):
        activate(world, other, sign_digest(EOA7702, multi_digest(world.manager.address, listed)), listed,
                 consent_for(world.manager.address, listed))
