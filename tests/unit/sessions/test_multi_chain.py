"""A grant signed once for several chains (`activate`, SessionActivator's code on the
manager): each chain accepts only its own entry (M1); revocations signed once for every chain.

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
    return agnostic_digest(manager, "MultiChainGrant", [{"name": "grants", "type": "bytes32[]"}], {"grants": grants})


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


def test_an_expired_entry_acts_never(world, entries, execute, refused) -> None:
    """The window is checked on every use, as for an issued grant: past it, an activated entry cannot act."""
    grant, grants = entries
    signature = sign_digest(EOA7702, multi_digest(world.manager.address, grants))
    activate(world, grant, signature, grants, consent_for(world.manager.address, grants))
    boa.env.time_travel(seconds=grant.valid_until - boa.env.timestamp + 1)
    with refused("sessions: expired", grants[0]):
        execute(grant, world.target.address, 0, poke(), raw=b"")


def test_an_entry_of_an_older_epoch_acts_never(world, entries, execute, refused) -> None:
    """Signed before the account revoked everything: it activates, and never acts."""
    grant, grants = entries
    with boa.env.prank(str(EOA7702.address)):
        world.manager.revokeAll()
    signature = sign_digest(EOA7702, multi_digest(world.manager.address, grants))
    activate(world, grant, signature, grants, consent_for(world.manager.address, grants))
    with refused("sessions: revoked by revokeAll", grants[0]):
        execute(grant, world.target.address, 0, poke(), raw=b"")


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


# ---------------------------------------------------------------- revocations signed once for every chain


def agnostic_digest(manager, primary: str, fields: list[dict], message: dict) -> bytes:
    from eth_utils import keccak

    typed = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "verifyingContract", "type": "address"}],
            primary: fields,
        },
        "primaryType": primary,
        "domain": {"name": "Charter SessionManager", "version": "1", "verifyingContract": str(manager)},
        "message": message,
    }
    signable = encode_typed_data(full_message=typed)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def revoke_all_digest(manager, account, nonce: int) -> bytes:
    fields = [{"name": "account", "type": "address"}, {"name": "nonce", "type": "uint256"}]
    return agnostic_digest(manager, "RevokeAll", fields, {"account": str(account), "nonce": nonce})


def revoke_grants_digest(manager, account, grants: list[bytes]) -> bytes:
    fields = [{"name": "account", "type": "address"}, {"name": "grants", "type": "bytes32[]"}]
    return agnostic_digest(manager, "RevokeGrants", fields, {"account": str(account), "grants": grants})


def as_activator(world):
    return boa.load_partial(str(ROOT / "contracts" / "SessionActivator.vy")).at(world.manager.address)


def test_signed_revoke_all_stops_every_grant_once_per_nonce(world, entries, execute, refused, grant_hash) -> None:
    grant, grants = entries
    account = str(grant.account)
    activate(world, grant, sign_digest(EOA7702, multi_digest(world.manager.address, grants)), grants,
             consent_for(world.manager.address, grants))
    epoch = world.manager.epochOf(account)
    signature = sign_digest(EOA7702, revoke_all_digest(world.manager.address, account, 7))
    activator = as_activator(world)
    with boa.env.prank(str(STRANGER.address)):  # the relayer, say
        activator.revokeAllSigned(account, 7, signature)
    assert world.manager.epochOf(account) == epoch + 1
    events = {type(e).__name__: e for e in activator.get_logs()}
    assert events["RevokeAllSigned"].nonce == 7 and bytes(events["RevokeAllSigned"].signature) == signature
    with refused("sessions: revoked by revokeAll", grants[0]):
        execute(grant, world.target.address, 0, poke(), raw=b"")
    # A replay (the same nonce, delivered again) changes nothing and logs nothing.
    with boa.env.prank(str(STRANGER.address)):
        activator.revokeAllSigned(account, 7, signature)
    assert world.manager.epochOf(account) == epoch + 1
    assert not activator.get_logs()
    # A new nonce revokes again.
    with boa.env.prank(str(STRANGER.address)):
        signature = sign_digest(EOA7702, revoke_all_digest(world.manager.address, account, 8))
        activator.revokeAllSigned(account, 8, signature)
    assert world.manager.epochOf(account) == epoch + 2


@pytest.mark.parametrize("case", ["stranger", "zero", "other nonce", "other account", "other manager", "chain-bound"])
def test_signed_revoke_all_refused_without_the_accounts_signature(world, case) -> None:
    account = str(world.eoa_account.address)
    manager = world.manager.address
    signature = {
        "stranger": lambda: sign_digest(KEY, revoke_all_digest(manager, account, 1)),
        "zero": lambda: b"\x00" * 65,
        "other nonce": lambda: sign_digest(EOA7702, revoke_all_digest(manager, account, 2)),
        "other account": lambda: sign_digest(EOA7702, revoke_all_digest(manager, str(world.account.address), 1)),
        "other manager": lambda: sign_digest(EOA7702, revoke_all_digest(world.manager2.address, account, 1)),
        "chain-bound": lambda: sign_digest(EOA7702, revoke_grants_digest(manager, account, [b"\x01" * 32])),
    }[case]()
    epoch = world.manager.epochOf(account)
    with boa.reverts("sessions: bad revocation signature"):
        as_activator(world).revokeAllSigned(account, 1, signature)
    assert world.manager.epochOf(account) == epoch


def test_signed_revoke_grants_revokes_this_chains_entries(world, entries, execute) -> None:
    grant, grants = entries
    account = str(grant.account)
    activate(world, grant, sign_digest(EOA7702, multi_digest(world.manager.address, grants)), grants,
             consent_for(world.manager.address, grants))
    signature = sign_digest(EOA7702, revoke_grants_digest(world.manager.address, account, grants))
    activator = as_activator(world)
    with boa.env.prank(str(STRANGER.address)):
        activator.revokeGrantsSigned(account, grants, signature)
    for h in grants:  # every listed hash is revoked here; only this chain's was ever usable
        assert world.manager.stateOf(account, h) & 0xFF == 2
    names = [type(e).__name__ for e in activator.get_logs()]
    assert names.count("GrantRevoked") == len(grants) and names.count("RevokeGrantsSigned") == 1
    with boa.reverts("sessions: revoked"):
        execute(grant, world.target.address, 0, poke(), raw=b"")
    # Delivered again: nothing changes, nothing is logged (a relayer's echo ends here).
    with boa.env.prank(str(STRANGER.address)):
        activator.revokeGrantsSigned(account, grants, signature)
    assert not activator.get_logs()


def test_signed_revoke_grants_refusals(world, entries) -> None:
    grant, grants = entries
    account = str(grant.account)
    activator = as_activator(world)
    with boa.reverts("sessions: bad revocation signature"):
        activator.revokeGrantsSigned(
            account, grants, sign_digest(KEY, revoke_grants_digest(world.manager.address, account, grants))
        )
    with boa.reverts("sessions: bad revocation signature"):
        activator.revokeGrantsSigned(
            account, grants[:1], sign_digest(EOA7702, revoke_grants_digest(world.manager.address, account, grants))
        )
    with boa.reverts("sessions: no grants"):
        activator.revokeGrantsSigned(account, [], b"")
    assert world.manager.stateOf(account, grants[0]) == 0


def test_revocations_run_only_as_the_manager(world) -> None:
    extension = world.extension_deployer.at(world.manager.EXTENSION())
    direct = boa.load_partial(str(ROOT / "contracts" / "SessionActivator.vy")).at(extension.ACTIVATOR())
    with boa.reverts("sessions: call the manager"):
        direct.revokeAllSigned(str(world.eoa_account.address), 1, b"\x00" * 65)
    with boa.reverts("sessions: call the manager"):
        direct.revokeGrantsSigned(str(world.eoa_account.address), [b"\x01" * 32], b"\x00" * 65)
