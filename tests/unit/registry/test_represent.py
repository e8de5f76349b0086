"""Agents represented from another chain: the sequence counter, agentState,
represent (newest state wins, a kill wins a tie, Retired is final), the
represented id, and the refusals of every change made on the mirror itself."""

import boa
import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..helpers import STATUS_ACTIVE, STATUS_PAUSED, STATUS_RETIRED, ZERO_ADDRESS

HOME = 10  # the home chain of the mirrored agents (boa's chain is 1)
HOME_ID = 7


def rid(inbox, home=HOME, agent=HOME_ID):
    return int.from_bytes(keccak(abi_encode(["address", "uint256", "uint256"], [str(inbox), home, agent])), "big")


@pytest.fixture
def inbox():
    return boa.env.generate_address("inbox")


@pytest.fixture
def deliver(registry, inbox):
    """`represent` as `inbox` (or `by`); returns the represented id."""

    def _deliver(
        owner, wallet=None, status=STATUS_ACTIVE, generation=1, sequence=0, *, by=None, home=HOME, agent=HOME_ID
    ):
        wallet = ZERO_ADDRESS if wallet is None else wallet
        with boa.env.prank(by or inbox):
            return registry.represent(home, agent, owner, wallet, status, generation, sequence)

    return _deliver


def state(registry, agent_id):
    return tuple(registry.agentState(agent_id))


# ---------------------------------------------------------------- the home side: sequence and agentState


def test_sequence_grows_on_every_mirrored_change(registry, agent, owner, other_owner, wallet, set_wallet):
    def seq():
        return registry.agentState(agent)[4]

    assert state(registry, agent) == (owner, owner, STATUS_ACTIVE, 1, 0)
    with boa.env.prank(owner):
        registry.pause(agent)
    assert seq() == 1
    with boa.env.prank(owner):
        registry.resume(agent)
    assert seq() == 2
    set_wallet(wallet, agent, owner)
    assert state(registry, agent) == (owner, wallet.address, STATUS_ACTIVE, 1, 3)
    with boa.env.prank(owner):
        registry.unsetAgentWallet(agent)
    assert state(registry, agent) == (owner, ZERO_ADDRESS, STATUS_ACTIVE, 1, 4)
    with boa.env.prank(owner):
        registry.unsetAgentWallet(agent)  # nothing to clear: no change, no new sequence
    assert seq() == 4
    with boa.env.prank(owner):
        registry.transferFrom(owner, other_owner, agent)
    assert state(registry, agent) == (other_owner, ZERO_ADDRESS, STATUS_ACTIVE, 2, 5)
    with boa.env.prank(other_owner):
        registry.setAgentURI(agent, "ipfs://new")
        registry.setMetadata(agent, "k", b"v")
    assert seq() == 5  # URI and metadata are not mirrored
    with boa.env.prank(other_owner):
        registry.retire(agent)
    assert state(registry, agent) == (other_owner, ZERO_ADDRESS, STATUS_RETIRED, 2, 6)


def test_agent_state_of_unknown_agent_reverts(registry):
    with boa.reverts("registry: unknown agent"):
        registry.agentState(99)


def test_home_of_local_and_unknown(registry, agent, chain_id):
    assert tuple(registry.homeOf(agent)) == (chain_id, agent, ZERO_ADDRESS)
    assert tuple(registry.homeOf(12345)) == (0, 0, ZERO_ADDRESS)


# ---------------------------------------------------------------- the remote side: represent


def test_represent_creates_a_mirror_every_check_reads(registry, deliver, inbox, owner, wallet):
    agent_id = deliver(owner, wallet.address, STATUS_ACTIVE, 3, 9)
    assert agent_id == rid(inbox) == registry.representedId(inbox, HOME, HOME_ID)
    assert registry.ownerOf(agent_id) == owner
    assert registry.isActive(agent_id) is True
    assert registry.statusOf(agent_id) == STATUS_ACTIVE
    assert registry.generationOf(agent_id) == 3
    assert registry.activeGeneration(agent_id) == 3
    assert tuple(registry.consentSigners(agent_id)) == (owner, wallet.address)
    assert registry.getAgentWallet(agent_id) == wallet.address
    assert registry.isAuthorizedOrOwner(owner, agent_id) is True
    assert tuple(registry.homeOf(agent_id)) == (HOME, HOME_ID, inbox)
    assert state(registry, agent_id) == (owner, wallet.address, STATUS_ACTIVE, 3, 9)
    # A mirror is no local registration: the supply and the owner's balance stay.
    assert registry.totalSupply() == 0
    assert registry.balanceOf(owner) == 0
    assert registry.agentOfWallet(wallet.address) == 0


def test_represent_logs_the_state(registry, deliver, inbox, owner):
    agent_id = deliver(owner, owner, STATUS_PAUSED, 1, 4)
    logs = [e for e in registry.get_logs() if type(e).__name__ == "Represented"]
    assert len(logs) == 1
    e = logs[0]
    assert (e.agentId, e.homeChainId, e.homeAgentId, e.inbox) == (agent_id, HOME, HOME_ID, inbox)
    assert (e.owner, e.wallet, e.status, e.generation, e.sequence) == (owner, owner, STATUS_PAUSED, 1, 4)


def test_owner_as_wallet(registry, deliver, owner):
    agent_id = deliver(owner, owner)
    assert registry.getAgentWallet(agent_id) == owner
    assert tuple(registry.consentSigners(agent_id)) == (owner, owner)


def test_each_inbox_and_home_has_its_own_id(registry, deliver, owner, stranger):
    a = deliver(owner)
    forged = deliver(stranger, by=boa.env.generate_address("forger"))
    assert forged != a
    assert registry.ownerOf(a) == owner  # another inbox cannot touch the first one's mirror
    assert deliver(owner, home=HOME + 1) != a
    assert deliver(owner, agent=HOME_ID + 1) != a


def test_newer_state_wins_older_is_ignored(registry, deliver, owner, other_owner):
    agent_id = deliver(owner, sequence=5)
    deliver(owner, status=STATUS_PAUSED, sequence=6)
    assert registry.isActive(agent_id) is False
    # The resume that came before the pause (sequence 4), delivered late: ignored.
    deliver(owner, status=STATUS_ACTIVE, sequence=4)
    assert registry.statusOf(agent_id) == STATUS_PAUSED
    # A transfer (new owner, generation) delivered later wins.
    deliver(other_owner, status=STATUS_PAUSED, generation=2, sequence=7)
    assert registry.ownerOf(agent_id) == other_owner
    assert registry.generationOf(agent_id) == 2


def test_replay_changes_nothing_and_logs_nothing(registry, deliver, owner):
    deliver(owner, status=STATUS_PAUSED, sequence=3)
    deliver(owner, status=STATUS_PAUSED, sequence=3)
    assert not [e for e in registry.get_logs() if type(e).__name__ == "Represented"]


def test_a_kill_wins_a_tie(registry, deliver, owner):
    """Two states with the same sequence come only from two forks of the home
    chain: the more final status stays, so an abandoned fork cannot revive it."""
    agent_id = deliver(owner, status=STATUS_PAUSED, sequence=3)
    deliver(owner, status=STATUS_ACTIVE, sequence=3)
    assert registry.statusOf(agent_id) == STATUS_PAUSED
    deliver(owner, status=STATUS_RETIRED, sequence=3)
    assert registry.statusOf(agent_id) == STATUS_RETIRED


def test_retired_is_final(registry, deliver, owner, other_owner):
    agent_id = deliver(owner, status=STATUS_RETIRED, sequence=2)
    deliver(other_owner, status=STATUS_ACTIVE, generation=2, sequence=3)
    assert registry.statusOf(agent_id) == STATUS_RETIRED
    assert registry.ownerOf(agent_id) == owner
    assert registry.activeGeneration(agent_id) == 0


def test_a_new_owner_does_not_inherit_approvals(registry, deliver, owner, other_owner, approved):
    agent_id = deliver(owner, sequence=1)
    with boa.env.prank(owner):
        registry.approve(approved, agent_id)
    assert registry.isAuthorizedOrOwner(approved, agent_id) is True
    deliver(other_owner, generation=2, sequence=2)
    assert registry.getApproved(agent_id) == ZERO_ADDRESS
    assert registry.isAuthorizedOrOwner(approved, agent_id) is False


def test_wallet_follows_home(registry, deliver, owner, wallet):
    agent_id = deliver(owner, wallet.address, sequence=1)
    deliver(owner, owner, sequence=2)
    assert registry.getAgentWallet(agent_id) == owner
    deliver(owner, ZERO_ADDRESS, sequence=3)
    assert registry.getAgentWallet(agent_id) == ZERO_ADDRESS
    assert tuple(registry.consentSigners(agent_id)) == (owner, ZERO_ADDRESS)


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("pause", ()),
        ("resume", ()),
        ("retire", ()),
        ("setAgentURI", ("ipfs://x",)),
        ("setMetadata", ("k", b"v")),
        ("unsetAgentWallet", ()),
    ],
)
def test_the_mirror_changes_only_from_home(registry, deliver, owner, call, args):
    agent_id = deliver(owner, status=STATUS_PAUSED if call == "resume" else STATUS_ACTIVE)
    with boa.env.prank(owner), boa.reverts("registry: represented agent"):
        getattr(registry, call)(agent_id, *args)


def test_the_mirror_cannot_be_transferred_or_rewalleted_here(
    registry, deliver, owner, other_owner, wallet, wallet_proof
):
    agent_id = deliver(owner)
    with boa.env.prank(owner), boa.reverts("registry: represented agent"):
        registry.transferFrom(owner, other_owner, agent_id)
    with boa.env.prank(owner), boa.reverts("registry: represented agent"):
        registry.safeTransferFrom(owner, other_owner, agent_id)
    deadline = boa.env.timestamp + 60
    proof = wallet_proof(wallet, agent_id, owner, deadline)
    with boa.env.prank(owner), boa.reverts("registry: represented agent"):
        registry.setAgentWallet(agent_id, wallet.address, deadline, proof)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"home": 1}, "registry: bad home chain"),  # this chain
        ({"home": 0}, "registry: bad home chain"),
        ({"home": 1 << 96}, "registry: bad home chain"),
        ({"agent": 0}, "registry: bad home agent"),
        ({"status": 3}, "registry: bad status"),
        ({"generation": 0}, "registry: bad generation"),
        ({"generation": (1 << 32) + 1}, "registry: bad generation"),
        ({"sequence": 1 << 32}, "registry: bad sequence"),
    ],
)
def test_malformed_states_revert(registry, deliver, owner, chain_id, kwargs, reason):
    assert chain_id == 1
    with boa.reverts(reason):
        deliver(owner, **kwargs)


def test_zero_owner_reverts(registry, deliver):
    with boa.reverts("registry: zero owner"):
        deliver(ZERO_ADDRESS)


def test_local_agents_are_unaffected(registry, agent, owner, deliver):
    deliver(owner)
    assert registry.totalSupply() == 1
    with boa.env.prank(owner):
        registry.pause(agent)
    assert registry.statusOf(agent) == STATUS_PAUSED


# ---------------------------------------------------------------- fuzz: the mirror is the newest state delivered

home_states = st.lists(
    st.tuples(st.integers(0, 2), st.integers(1, 3), st.sampled_from([0, 1, 2])),  # status, generation, owner index
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=home_states, order=st.randoms(use_true_random=False), dupes=st.integers(0, 6))
def test_any_delivery_order_converges_on_the_home_state(registry, inbox, history, order, dupes):
    """Invariant: whatever order, duplicates and losses the transport delivers
    the home chain's states in, the mirror holds the newest delivered state,
    and once the last state is delivered it equals the home chain's; a
    Retired agent never comes back."""
    owners = [boa.env.generate_address(f"o{i}") for i in range(3)]
    # The home chain's history: sequence i, statuses never leaving Retired.
    states = []
    retired = False
    for seq, (status, generation, who) in enumerate(history):
        if retired:
            status = STATUS_RETIRED
        retired = retired or status == STATUS_RETIRED
        states.append((owners[who], status, generation, seq))
    deliveries = states + [order.choice(states) for _ in range(dupes)]
    order.shuffle(deliveries)
    with boa.env.anchor():
        agent_id = None
        seen = []
        for owner, status, generation, seq in deliveries:
            with boa.env.prank(inbox):
                agent_id = registry.represent(HOME, HOME_ID, owner, ZERO_ADDRESS, status, generation, seq)
            seen.append((owner, status, generation, seq))
            got = state(registry, agent_id)
            if any(s[1] == STATUS_RETIRED for s in seen):
                assert got[2] == STATUS_RETIRED
            else:
                newest = max(seen, key=lambda s: s[3])
                assert (got[0], got[2], got[3], got[4]) == newest
        last = states[-1]
        got = state(registry, agent_id)
        assert got[2] == last[1]
        if not retired:
            assert (got[0], got[3], got[4]) == (last[0], last[2], last[3])
