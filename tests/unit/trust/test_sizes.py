"""Both trust registries keep at least 4,000 bytes under EIP-170 (24,576),
measured as deployed (runtime code and immutables)."""

from __future__ import annotations

import boa

EIP170 = 24_576
MARGIN = 4_000


def test_size_margin(reputation, validation):
    for name, contract in (("ReputationRegistry", reputation), ("ValidationRegistry", validation)):
        size = len(boa.env.get_code(contract.address))
        assert 0 < size <= EIP170 - MARGIN, f"{name}: {size:,} bytes deployed, {EIP170 - size:,} under EIP-170"
