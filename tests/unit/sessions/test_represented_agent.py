"""Sessions of an agent represented from another chain (M2's remote side):
the grant names the represented id and obeys the state its home chain's
registry reports: paused, resumed, transferred (a new generation), retired.
The represented record lives where a local agent's does, so the manager
reads it with the same single call."""

import boa
import pytest

from .conftest import AGENT_OWNER
from .helpers import poke

HOME = 10
HOME_ID = 5
ACTIVE, PAUSED, RETIRED = 0, 1, 2


@pytest.fixture
def inbox():
    return boa.env.generate_address("inbox")


@pytest.fixture
def home(registry, inbox):
    """`home(status, generation, sequence, owner)`: the inbox delivers the home chain's state."""

    def _deliver(status=ACTIVE, generation=1, sequence=0, owner=AGENT_OWNER):
        with boa.env.prank(inbox):
            return registry.represent(HOME, HOME_ID, owner, owner, status, generation, sequence)

    return _deliver


def test_a_grant_on_a_represented_agent_follows_its_home(home, make_grant, execute, grant_hash, refused, target):
    agent_id = home(sequence=1)
    grant = make_grant(agent_id=agent_id)
    execute(grant, target.address, 0, poke())  # first use: the mirrored owner consented
    home(PAUSED, sequence=2)
    with refused("sessions: agent not active", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")
    home(ACTIVE, sequence=1)  # a stale resume (older than the pause): no effect
    with refused("sessions: agent not active", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")
    home(ACTIVE, sequence=3)
    execute(grant, target.address, 0, poke(), sig=b"")
    assert target.count() == 2


def test_transfer_at_home_voids_the_grants_here(home, make_grant, execute, grant_hash, refused, target):
    agent_id = home(sequence=0)
    grant = make_grant(agent_id=agent_id)
    execute(grant, target.address, 0, poke())
    home(generation=2, sequence=1, owner=boa.env.generate_address("buyer"))
    with refused("sessions: agent changed hands", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")


def test_retired_at_home_is_final_here(home, make_grant, execute, grant_hash, refused, target):
    agent_id = home(sequence=0)
    grant = make_grant(agent_id=agent_id)
    execute(grant, target.address, 0, poke())
    home(RETIRED, sequence=4)
    home(ACTIVE, sequence=9)
    with refused("sessions: agent not active", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")


def test_consent_comes_from_the_mirrored_owner_only(registry, home, make_grant, execute, grant_hash, refused, target):
    """Whoever owns the agent at home consents here; another inbox's record
    with the same home id is another agent."""
    agent_id = home(sequence=0)
    forged = None
    with boa.env.prank(boa.env.generate_address("forger")):
        forged = registry.represent(
            HOME, HOME_ID, boa.env.generate_address("mallory"), boa.env.generate_address("mallory"), ACTIVE, 1, 50
        )
    assert forged != agent_id
    assert registry.ownerOf(agent_id) == AGENT_OWNER
    grant = make_grant(agent_id=forged)
    with refused("sessions: no agent consent", grant_hash(grant)):
        execute(grant, target.address, 0, poke())
