"""`ape run grant --chains` and `ape run revoke FILE`: a multi-chain grant from ape's one network.

Two anvils with the suite (chain 31337, where ape is attached, and 31338, reached through
$CHARTER_RPC_31338); ape's test account 0 is an EIP-7702 account and owns agent 1 on both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ape_helpers import ape_runner, ok, refused
from eth_account import Account

from charter import Charter, LocalSigner, MultiChainGrant
from charter.devchain import DEV_KEYS, local_anvils
from charter.sessions import GrantStatus

HERE, THERE = 31337, 31338


@pytest.fixture(scope="module")
def chains():
    with local_anvils(HERE, THERE) as running:
        owner = LocalSigner.from_key(DEV_KEYS[0])  # ape's test account 0
        for chain in running:
            Charter.deploy(chain.w3, owner)
            charter = Charter.connect(chain.w3, signer=owner)
            charter.accounts.upgrade(owner)
            assert charter.registry.register("ipfs://charter-test/ape-multi-chain.json") == 1
        yield running


def test_grant_signed_once_from_ape_then_this_networks_entry_revoked(chains, tmp_path: Path) -> None:
    here, there = chains
    run = ape_runner(here.url, **{f"CHARTER_RPC_{THERE}": there.url})
    path = tmp_path / "multi.json"
    key, bob = Account.create().address, Account.create().address
    out = ok(run("grant", "--chains", f"{HERE},{THERE}", "--agent", "1", "--key", key,
                 "--allow", f"{bob}::value<=1000", "--native-budget", "1000", "--valid-for", "1h", "--out", str(path)))
    assert f"signed once off-chain for chains {HERE}, {THERE}" in out
    multi = MultiChainGrant.from_json(path.read_text())
    assert multi.chain_ids == [HERE, THERE] and multi.check_signature().valid is True
    assert multi.account == LocalSigner.from_key(DEV_KEYS[0]).address
    assert all(f"grant 0x{h.hex()}" in out for h in multi.grants)

    revoked = ok(run("revoke", str(path)))
    assert f"revoked on chain {HERE}" in revoked
    sessions = {c.chain_id: Charter.connect(c.w3).sessions for c in chains}
    assert sessions[HERE].state(multi.entry(HERE)).status is GrantStatus.REVOKED
    assert sessions[THERE].state(multi.entry(THERE)).status is GrantStatus.PENDING

    unknown = refused(ape_runner(here.url)("grant", "--chains", f"{HERE},{THERE}", "--agent", "1", "--key", key,
                                           "--allow", f"{bob}::value<=1", "--valid-for", "1h"))
    assert f"chain {THERE} has no RPC (ape is connected to chain {HERE}): set $CHARTER_RPC_{THERE}" in unknown
