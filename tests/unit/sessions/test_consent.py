"""S5 and the agent half of S3: a grant acts in an agent's name only with
that agent's consent to its session key, and only while the agent has the
generation the grant names (a transfer voids every grant bound to it).

Consent is checked once, at activation (first use of an off-chain grant,
or `issue`): it is implied when the session key is the agent's wallet or
the account is the agent's owner or wallet; otherwise the owner or the
wallet signs the grant digest (ECDSA or ERC-1271)."""

import boa
import pytest

from .conftest import AGENT_OWNER, EOA7702, KEY, KEY2, STRANGER, WALLET_SIGNER
from .helpers import (
    AGENT_INACTIVE,
    AGENT_TRANSFERRED,
    PENDING,
    STORED_ACTIVE,
    ZERO32,
    high_s,
    pack_grant_signature,
    poke,
    sign_digest,
)


@pytest.fixture
def transfer_agent(world):
    """Hand the agent from AGENT_OWNER to `to` (default: STRANGER)."""

    def _transfer(agent_id=None, to=None, frm=AGENT_OWNER):
        agent_id = world.agent_id if agent_id is None else agent_id
        with boa.env.prank(str(frm)):
            world.registry.transferFrom(str(frm), str(to or STRANGER.address), agent_id)

    return _transfer


# ---------------------------------------------------------------- consent given


def test_owner_signature_is_consent(make_grant, execute, target, manager, account, grant_hash):
    grant = make_grant()
    execute(grant, target.address, 0, poke())  # default: AGENT_OWNER signs the digest
    assert manager.stateOf(account.address, grant_hash(grant)) & 255 == STORED_ACTIVE


def test_session_key_is_the_agent_wallet(world, make_grant, execute, target, set_wallet):
    """The agent's own key: no separate consent needed."""
    set_wallet(KEY, world.agent_id, AGENT_OWNER)
    grant = make_grant()
    execute(grant, target.address, 0, poke(), agent=b"")
    assert str(target.lastCaller()) == str(world.account.address)


def test_session_key_is_the_owner_default_wallet(world, make_grant, sign_grant, target):
    """Until a wallet is proved, the owner is the agent's wallet: a session
    key held by the owner itself is consented."""
    grant = make_grant(session_key=AGENT_OWNER)
    with boa.env.prank(AGENT_OWNER):
        world.manager.execute(
            grant.abi(), pack_grant_signature(sign_grant(grant)), target.address, 0, poke()
        )
    assert int(target.count()) == 1


def test_account_is_the_agent_owner(world, make_grant, execute, target):
    """A principal granting a key for its own agent: its grant signature is
    the consent."""
    with boa.env.prank(EOA7702.address):
        own_agent = world.registry.register()
    grant = make_grant(account=world.eoa_account.address, agent_id=own_agent)
    execute(grant, target.address, 0, poke(), agent=b"")
    assert str(target.lastCaller()) == str(world.eoa_account.address)


def test_account_is_the_agent_wallet(world, make_grant, execute, target, set_wallet):
    set_wallet(EOA7702, world.agent_id, AGENT_OWNER)
    grant = make_grant(account=world.eoa_account.address)
    execute(grant, target.address, 0, poke(), agent=b"")
    assert int(target.count()) == 1


def test_wallet_signature_is_consent(world, make_grant, execute, target, set_wallet, consent):
    set_wallet(KEY2, world.agent_id, AGENT_OWNER)
    grant = make_grant()
    execute(grant, target.address, 0, poke(), agent=consent(grant, signer=KEY2))
    assert int(target.count()) == 1


def test_contract_owner_consents_through_erc1271(world, make_grant, execute, target, consent):
    """An agent owned by a contract wallet: ERC-1271 on the grant digest."""
    with boa.env.prank(str(world.wallet.address)):
        contract_agent = world.registry.register()
    grant = make_grant(agent_id=contract_agent)
    execute(grant, target.address, 0, poke(), agent=consent(grant, signer=WALLET_SIGNER))
    assert int(target.count()) == 1


def test_issue_with_consent(make_grant, issue, execute, target, manager, account, grant_hash):
    grant = make_grant()
    issue(grant)
    assert manager.stateOf(account.address, grant_hash(grant)) == STORED_ACTIVE
    execute(grant, target.address, 0, poke(), raw=b"")
    assert int(target.count()) == 1


def test_consent_is_checked_once(world, make_grant, execute, target, set_wallet):
    """Later uses need no consent, and a wallet change does not undo it
    (pause or transfer the agent to stop its grants)."""
    grant = make_grant()
    execute(grant, target.address, 0, poke())
    set_wallet(KEY2, world.agent_id, AGENT_OWNER)
    execute(grant, target.address, 0, poke(), raw=b"")
    assert int(target.count()) == 2


# ---------------------------------------------------------------- consent refused


def test_no_consent(make_grant, execute, target, grant_hash, refused):
    grant = make_grant()
    with refused("sessions: no agent consent", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), agent=b"")


def test_consent_by_a_stranger(make_grant, execute, target, grant_hash, refused, consent):
    grant = make_grant()
    with refused("sessions: no agent consent", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), agent=consent(grant, signer=STRANGER))


def test_consent_by_the_session_key(make_grant, execute, target, grant_hash, refused, consent):
    """The key cannot consent for the agent to itself."""
    grant = make_grant()
    with refused("sessions: no agent consent", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), agent=consent(grant, signer=KEY))


def test_consent_for_another_grant_is_not_replayable(
    make_grant, execute, target, grant_hash, refused, consent
):
    grant = make_grant()
    other = grant.but(salt=b"\x01" * 32)
    with refused("sessions: no agent consent", grant_hash(other)):
        execute(other, target.address, 0, poke(), agent=consent(grant))


def test_consent_for_another_manager_or_chain(
    world, make_grant, execute, target, grant_hash, refused, consent
):
    grant = make_grant()
    for wrong in (
        consent(grant, manager=world.manager2.address),
        consent(grant, chain_id=boa.env.evm.patch.chain_id + 1),
    ):
        with refused("sessions: no agent consent", grant_hash(grant)):
            execute(grant, target.address, 0, poke(), agent=wrong)


def test_zero_high_s_and_malformed_consent(make_grant, execute, target, grant_hash, refused, consent):
    grant = make_grant()
    for wrong in (b"\x00" * 65, high_s(consent(grant)), consent(grant)[:64], b"\x01"):
        with refused("sessions: no agent consent", grant_hash(grant)):
            execute(grant, target.address, 0, poke(), agent=wrong)


def test_former_owner_cannot_consent(world, make_grant, execute, target, grant_hash, refused, consent, transfer_agent):
    """After a transfer the old owner's signature is no consent for the new
    generation."""
    transfer_agent()
    grant = make_grant(agent_generation=2)
    with refused("sessions: no agent consent", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), agent=consent(grant))
    # the new owner's consent works
    execute(grant, target.address, 0, poke(), agent=consent(grant, signer=STRANGER))
    assert int(target.count()) == 1


def test_refusing_erc1271_owner(world, make_grant, execute, target, grant_hash, refused, consent):
    with boa.env.prank(str(world.wallet.address)):
        contract_agent = world.registry.register()
    grant = make_grant(agent_id=contract_agent)
    world.wallet.set_mode(2)  # wrong magic value
    with refused("sessions: no agent consent", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), agent=consent(grant, signer=WALLET_SIGNER))


def test_issue_without_consent(make_grant, issue, grant_hash, refused):
    grant = make_grant()
    with refused("sessions: no agent consent", grant_hash(grant)):
        issue(grant, agent=b"")


def test_unknown_agent_on_issue(make_grant, issue, grant_hash, refused):
    grant = make_grant(agent_id=12_345)
    with refused("sessions: unknown agent", grant_hash(grant)):
        issue(grant)


def test_grant_signature_must_be_the_pair(make_grant, execute, sign_grant, target, grant_hash, refused):
    """The bare account signature (the pre-consent format) or nothing at all
    is not a first-use grantSignature."""
    grant = make_grant()
    for raw in (sign_grant(grant), b"", ZERO32 * 3):
        with refused("sessions: bad grant signature", grant_hash(grant)):
            execute(grant, target.address, 0, poke(), raw=raw)


# ---------------------------------------------------------------- generation


def test_transfer_voids_active_grant(make_grant, execute, target, grant_hash, refused, transfer_agent, view):
    grant = make_grant()
    execute(grant, target.address, 0, poke())
    transfer_agent()
    with refused("sessions: agent changed hands", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), raw=b"")
    assert view.grantState(grant.abi()).status == AGENT_TRANSFERRED


def test_transfer_voids_pending_and_issued_grants(
    make_grant, execute, issue, target, grant_hash, refused, transfer_agent
):
    pending = make_grant()
    issued = make_grant(salt=b"\x02" * 32)
    issue(issued)
    transfer_agent()
    with refused("sessions: agent changed hands", grant_hash(pending)):
        execute(pending, target.address, 0, poke(), agent=sign_digest(STRANGER, grant_hash(pending)))
    with refused("sessions: agent changed hands", grant_hash(issued)):
        execute(issued, target.address, 0, poke(), raw=b"")


def test_transfer_back_does_not_revive(
    world, make_grant, execute, target, grant_hash, refused, transfer_agent
):
    grant = make_grant()
    execute(grant, target.address, 0, poke())
    transfer_agent()
    transfer_agent(to=AGENT_OWNER, frm=STRANGER.address)
    assert world.registry.generationOf(world.agent_id) == 3
    with refused("sessions: agent changed hands", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), raw=b"")


def test_grant_for_a_future_generation(make_grant, execute, target, grant_hash, refused):
    grant = make_grant(agent_generation=2)
    with refused("sessions: agent changed hands", grant_hash(grant)):
        execute(grant, target.address, 0, poke())


def test_generation_zero_never_works(make_grant, execute, target, grant_hash, refused):
    grant = make_grant(agent_generation=0)
    with refused("sessions: agent changed hands", grant_hash(grant)):
        execute(grant, target.address, 0, poke())


def test_other_agents_grants_survive_a_transfer(world, make_grant, execute, target, transfer_agent):
    """O(1) and precise: only grants bound to the transferred agent stop."""
    grant = make_grant(agent_id=world.agent2_id)
    execute(grant, target.address, 0, poke())
    transfer_agent()
    execute(grant, target.address, 0, poke(), raw=b"")
    assert int(target.count()) == 2


def test_paused_then_transferred_reports_inactive_first(
    world, make_grant, execute, target, transfer_agent, view
):
    grant = make_grant()
    execute(grant, target.address, 0, poke())
    with boa.env.prank(AGENT_OWNER):
        world.registry.pause(world.agent_id)
    assert view.grantState(grant.abi()).status == AGENT_INACTIVE
    transfer_agent()
    assert view.grantState(grant.abi()).status == AGENT_INACTIVE
    with boa.env.prank(STRANGER.address):
        world.registry.resume(world.agent_id)
    assert view.grantState(grant.abi()).status == AGENT_TRANSFERRED


def test_pending_grant_state(make_grant, view):
    assert view.grantState(make_grant().abi()).status == PENDING


def test_session_view_needs_a_manager(world):
    with boa.reverts("sessions: zero manager"):
        world.view_deployer.deploy("0x0000000000000000000000000000000000000000")
