"""Room for what comes next (issue 17): every coordination contract keeps at
least 4,000 bytes under EIP-170 (24,576), measured as deployed (runtime code
and immutables). `make bench` records the suite's sizes too."""

from __future__ import annotations

import boa
import pytest

from .conftest import CONTRACTS, MOCKS

EIP170 = 24_576
MARGIN = 4_000


@pytest.fixture
def deployed(world):
    mailbox = boa.load_partial(str(MOCKS / "MockMailbox.vy")).deploy()
    members = sorted(boa.env.generate_address(f"member-{i}") for i in range(3))
    return {
        "IntentSettler": world.settler,
        "IntentView": world.view,
        "HyperlaneReporter": boa.load_partial(str(CONTRACTS / "HyperlaneReporter.vy")).deploy(
            mailbox.address, world.dest.address
        ),
        "HyperlaneOracle": boa.load_partial(str(CONTRACTS / "HyperlaneOracle.vy")).deploy(
            mailbox.address, mailbox.address, [(7, 7, mailbox.address)]
        ),
        "AttesterOracle": boa.load_partial(str(CONTRACTS / "AttesterOracle.vy")).deploy(
            members, 2, "0x" + "00" * 20
        ),
    }


NAMES = ["IntentSettler", "IntentView", "HyperlaneReporter", "HyperlaneOracle", "AttesterOracle"]


@pytest.mark.parametrize("name", NAMES)
def test_size_margin(deployed, name):
    size = len(boa.env.get_code(deployed[name].address))
    assert 0 < size <= EIP170 - MARGIN, f"{name}: {size:,} bytes deployed, {EIP170 - size:,} under EIP-170"
