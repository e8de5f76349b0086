"""The SDK's multi-chain grant against the contract's `activate` (titanoboa): its digest, its entries and the
calldata it sends are the ones the SessionManager accepts, byte for byte.

The SDK's hashing is checked here against the contract itself (a grant signed by the SDK activates, one byte
off does not) and against the test's own spelled-out EIP-712 message (`test_multi_chain.multi_digest`).
"""

from __future__ import annotations

from dataclasses import asdict

import boa
import pytest
from eth_abi import decode as abi_decode

from charter._core.eip712 import sign_typed
from charter._core.signers import LocalSigner
from charter.sessions import ChainGrant, Grant, MultiChainGrant
from charter.sessions.calldata import calldata

from .conftest import AGENT_OWNER_KEY, EOA7702, STRANGER
from .helpers import STORED_ACTIVE, Permission, poke
from .helpers import Grant as UnitGrant
from .test_multi_chain import OTHER_CHAINS, multi_digest

ERROR_STRING = bytes.fromhex("08c379a0")


def sdk_grant(grant) -> Grant:
    """The unit tests' grant as the SDK's model (the same fields)."""
    return Grant.model_validate(asdict(grant))


@pytest.fixture
def multi(world, make_grant, chain_id) -> MultiChainGrant:
    """The SDK's multi-chain grant of the EIP-7702 account: this chain's entry first, then two other chains',
    signed by the account's key, the agent owner consenting (both through the SDK)."""
    grant = sdk_grant(make_grant(account=str(world.eoa_account.address)))
    # each chain's grant has its own window (each chain's time): here, the others' start a second later
    grants = [grant, *(grant.model_copy(update={"valid_after": grant.valid_after + 1}) for _ in OTHER_CHAINS)]
    entries = tuple(ChainGrant(grant=g, chain_id=c, manager=str(world.manager.address))
                    for g, c in zip(grants, (chain_id, *OTHER_CHAINS), strict=True))
    unsigned = MultiChainGrant(entries=entries)
    return MultiChainGrant(entries=entries, signature=sign_typed(LocalSigner(EOA7702), unsigned.typed_data()),
                           agent_consent=sign_typed(LocalSigner(AGENT_OWNER_KEY), unsigned.typed_data()))


def send_activate(world, data: bytes) -> str | None:
    """`data` sent to the manager by a stranger (anyone may activate), as the SDK sends it: None when it
    succeeds, else the revert reason."""
    done = boa.env.execute_code(to_address=str(world.manager.address), data=data, sender=str(STRANGER.address))
    if not done.is_error:
        return None
    output = bytes(done.output)
    assert output[:4] == ERROR_STRING, output
    (reason,) = abi_decode(["string"], output[4:])
    return str(reason)


def test_the_sdk_digest_is_the_one_spelled_out(world, multi, grant_hash, make_grant) -> None:
    assert multi.digest == multi_digest(world.manager.address, multi.grants)
    # each entry's hash is the chain-bound grant hash of its chain
    grant = make_grant(account=str(world.eoa_account.address))
    later = grant.but(valid_after=grant.valid_after + 1)
    assert multi.grants == [grant_hash(grant), *(grant_hash(later, chain_id=c) for c in OTHER_CHAINS)]


def test_the_sdk_entry_activates_and_is_then_used_as_issued(world, multi, chain_id, execute) -> None:
    entry = multi.entry(chain_id)
    data = calldata("activate", entry.grant.as_tuple(), entry.signature, entry.agent_consent, list(entry.grants))
    assert send_activate(world, data) is None
    assert world.manager.stateOf(entry.grant.account, entry.hash) & 0xFF == STORED_ACTIVE
    before = world.target.count()
    execute(unit_grant(entry.grant), world.target.address, 0, poke(), raw=b"")  # no signature presented
    assert world.target.count() == before + 1


def unit_grant(grant: Grant) -> UnitGrant:
    """The SDK grant as the unit tests' model (for their `execute` fixture)."""
    return UnitGrant(account=grant.account, agent_id=grant.agent_id, session_key=grant.session_key,
                     valid_after=grant.valid_after, valid_until=grant.valid_until, native_budget=grant.native_budget,
                     permissions=tuple(Permission(p.target, p.selector, p.max_value) for p in grant.permissions))


def test_another_chains_sdk_entry_is_refused_here(world, multi) -> None:
    theirs = multi.entry(OTHER_CHAINS[0])  # its own window: another grant than this chain's
    reason = send_activate(world, calldata("activate", theirs.grant.as_tuple(), theirs.signature,
                                           theirs.agent_consent, list(theirs.grants)))
    assert reason == "sessions: not an entry of the grant"


def test_a_signature_of_another_list_is_refused(world, multi, chain_id) -> None:
    entry = multi.entry(chain_id)
    shorter = list(entry.grants[:2])  # still lists this chain's entry, but the account signed three
    reason = send_activate(world, calldata("activate", entry.grant.as_tuple(), entry.signature,
                                           entry.agent_consent, shorter))
    assert reason == "sessions: bad grant signature"
