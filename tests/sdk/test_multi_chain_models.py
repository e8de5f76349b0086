"""A multi-chain grant offline: its digest, its file, its entries and what is refused (no node).

The digest is checked against the EIP-712 message spelled out by eth-account here; against the contract in
tests/unit/sessions/test_multi_chain_sdk.py (titanoboa) and tests/integration/test_multi_chain_grants.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from charter import InvalidInput, LocalSigner
from charter._core.eip712 import sign_typed
from charter.sessions import ChainGrant, Grant, MultiChainGrant, Permission, SignedGrant, ensure_signed_grant
from charter.sessions.describe import load_grant, load_grant_file, save_grant

MANAGER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ACCOUNT = Account.create()
STRANGER = Account.create()


def _grant(**changes: object) -> Grant:
    fields: dict[str, object] = {
        "account": ACCOUNT.address, "agent_id": 1, "session_key": STRANGER.address, "valid_after": 1_000,
        "valid_until": 4_600, "permissions": (Permission(target=STRANGER.address, selector=b"\0" * 4, max_value=5),),
    }
    return Grant.model_validate({**fields, **changes})


def _multi(chains: tuple[int, ...] = (1, 10, 8453), signer: object = ACCOUNT) -> MultiChainGrant:
    entries = tuple(ChainGrant(grant=_grant(valid_after=1_000 + i), chain_id=c, manager=MANAGER)
                    for i, c in enumerate(chains))
    unsigned = MultiChainGrant(entries=entries)
    return MultiChainGrant(entries=entries, signature=sign_typed(LocalSigner(signer), unsigned.typed_data()))


def _spelled_out(manager: str, grants: list[bytes]) -> bytes:
    typed = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "verifyingContract", "type": "address"}],
            "MultiChainGrant": [{"name": "grants", "type": "bytes32[]"}],
        },
        "primaryType": "MultiChainGrant",
        "domain": {"name": "Charter SessionManager", "version": "1", "verifyingContract": manager},
        "message": {"grants": grants},
    }
    message = encode_typed_data(full_message=typed)
    return keccak(b"\x19" + message.version + message.header + message.body)


def test_the_digest_is_eip712_multichaingrant_without_a_chain_id() -> None:
    multi = _multi()
    assert multi.grants == [e.grant.hash(e.chain_id, MANAGER) for e in multi.entries]
    assert multi.digest == _spelled_out(MANAGER, multi.grants)
    assert "chainId" not in multi.typed_data()["domain"]
    assert _multi((10, 1, 8453)).digest != multi.digest  # the order signed is part of it


def test_each_entry_is_its_chains_signed_grant() -> None:
    multi = _multi()
    entry = multi.entry(10)
    assert (entry.chain_id, entry.hash, entry.grants) == (10, multi.grants[1], tuple(multi.grants))
    assert entry.signed_digest == multi.digest and entry.multi_chain
    assert entry.check_signature().valid is True and multi.check_signature().valid is True
    assert SignedGrant.from_json(entry.to_json()) == entry
    with pytest.raises(InvalidInput, match="no entry for chain 5: its chains are 1, 10, 8453"):
        multi.entry(5)
    assert ensure_signed_grant(multi, 8453) == multi.entry(8453)
    with pytest.raises(InvalidInput, match="name the chain"):
        ensure_signed_grant(multi)


def test_a_grant_of_one_chain_keeps_its_file_format() -> None:
    single = SignedGrant(grant=_grant(), chain_id=1, manager=MANAGER, signature=b"\1" * 65)
    assert "grants" not in json.loads(single.to_json())
    assert single.signed_digest == single.hash and not single.multi_chain


def test_an_entry_not_in_its_list_is_refused() -> None:
    multi = _multi()
    with pytest.raises(InvalidInput, match="not among the grants it lists"):
        SignedGrant.from_json(multi.entry(1).to_json().replace('"chain_id": 1', '"chain_id": 2'))


def test_a_stranger_signature_is_not_the_accounts() -> None:
    check = _multi(signer=STRANGER).check_signature()
    assert check.valid is None and STRANGER.address in check.reason


@pytest.mark.parametrize(("chains", "managers", "accounts", "needle"), [
    ((1,), None, None, "2 to 16 entries, got 1"),
    (tuple(range(1, 18)), None, None, "2 to 16 entries, got 17"),
    ((1, 1), None, None, "one entry per chain"),
    ((1, 10), ("0x" + "11" * 20, MANAGER), None, "the same SessionManager"),
    ((1, 10), None, (ACCOUNT.address, STRANGER.address), "the same account"),
])
def test_inconsistent_files_are_refused(chains: tuple[int, ...], managers: tuple[str, ...] | None,
                                        accounts: tuple[str, ...] | None, needle: str) -> None:
    entries = [{"grant": json.loads(_grant(account=(accounts or [ACCOUNT.address] * len(chains))[i]).model_dump_json()),
                "chain_id": c, "manager": (managers or [MANAGER] * len(chains))[i]} for i, c in enumerate(chains)]
    with pytest.raises(InvalidInput, match=needle):
        MultiChainGrant.from_json(json.dumps({"entries": entries}))


def test_grant_files_of_both_kinds(tmp_path: Path) -> None:
    multi = _multi()
    path = tmp_path / "multi.json"
    save_grant(str(path), multi, ["send ETH"])
    loaded, _ = load_grant_file(str(path))
    assert loaded == multi
    entry, _ = load_grant(str(path), 8453)
    assert entry == multi.entry(8453)
    with pytest.raises(InvalidInput, match=r"multi\.json is a multi-chain grant \(chains 1, 10, 8453\): name the"):
        load_grant(str(path))
    with pytest.raises(InvalidInput, match="no entry for chain 5"):
        load_grant(str(path), 5)
    report = multi.report()
    assert report[0].startswith(f"multi-chain grant 0x{multi.digest.hex()} of account {ACCOUNT.address}")
    for e in multi.entries:
        assert f"  chain {e.chain_id}:" in report and any(f"grant 0x{e.hash.hex()}" in line for line in report)
    summary = multi.summary()
    assert [e["chain_id"] for e in summary["entries"]] == [1, 10, 8453]
    assert summary["grants"] == ["0x" + h.hex() for h in multi.grants]
