"""The SDK's EIP-712 encoding matches the contract byte for byte."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys import keys
from eth_utils import keccak
from web3 import Web3

from charter import NodeSigner, Registry
from charter.exceptions import InvalidInput
from charter.registry.typed_data import (
    AGENT_WALLET_SET_TYPEHASH,
    agent_wallet_set_digest,
    agent_wallet_set_typed_data,
    sign_agent_wallet_set,
)

UINT256_MAX = 2**256 - 1
A = "0x1111111111111111111111111111111111111111"
B = "0x00000000000000000000000000000000000000Ff"


@pytest.mark.parametrize(
    ("agent_id", "wallet", "owner", "deadline"),
    [
        (1, A, B, 0),
        (2, B, A, 1_795_341_600),
        (UINT256_MAX, A, A, UINT256_MAX),
        (123_456_789, "0x0000000000000000000000000000000000000000", B, 2**128),
        (7, Account.create().address, Account.create().address, 1),
    ],
)
def test_sdk_digest_equals_contract_digest(
    registry: Registry, agent_id: int, wallet: str, owner: str, deadline: int
) -> None:
    wallet, owner = Web3.to_checksum_address(wallet), Web3.to_checksum_address(owner)
    ours = agent_wallet_set_digest(registry.chain_id, registry.address, agent_id, wallet, owner, deadline)
    theirs = registry.wallet_digest(agent_id, wallet, deadline, owner=owner)
    assert len(ours) == 32
    assert ours == theirs


def test_digest_binds_every_field(registry: Registry) -> None:
    base = (registry.chain_id, registry.address, 5, A, B, 1_000)
    digest = agent_wallet_set_digest(*base)
    variants = [
        (registry.chain_id + 1, registry.address, 5, A, B, 1_000),
        (registry.chain_id, B, 5, A, B, 1_000),
        (registry.chain_id, registry.address, 6, A, B, 1_000),
        (registry.chain_id, registry.address, 5, B, B, 1_000),
        (registry.chain_id, registry.address, 5, A, A, 1_000),
        (registry.chain_id, registry.address, 5, A, B, 1_001),
    ]
    assert len({agent_wallet_set_digest(*v) for v in variants} | {digest}) == len(variants) + 1


def test_domain_matches_the_contracts_erc5267_domain(registry: Registry) -> None:
    fields, name, version, chain_id, verifying, salt, extensions = (
        registry.contract.functions.eip712Domain().call()
    )
    typed = agent_wallet_set_typed_data(registry.chain_id, registry.address, 1, A, B, 0)
    assert fields == b"\x0f"  # name, version, chainId, verifyingContract
    assert salt == b"\x00" * 32 and extensions == []
    assert typed["domain"] == {
        "name": name,
        "version": version,
        "chainId": chain_id,
        "verifyingContract": verifying,
    }
    assert typed["primaryType"] == "AgentWalletSet"
    assert [f["name"] for f in typed["types"]["EIP712Domain"]] == ["name", "version", "chainId", "verifyingContract"]
    assert AGENT_WALLET_SET_TYPEHASH == keccak(
        text="AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)"
    )


def test_local_and_node_signatures_recover_to_the_wallet(
    w3: Web3, registry: Registry, dev_accounts: list[str], new_wallet: Callable[[], LocalAccount]
) -> None:
    args = (registry.chain_id, registry.address, 9)
    local = new_wallet()
    node = NodeSigner(w3, dev_accounts[5])
    for signer in (local, node):
        signature = sign_agent_wallet_set(signer, *args, None, A, 1_000)
        assert len(signature) == 65 and signature[64] in (27, 28)
        digest = agent_wallet_set_digest(*args, signer.address, A, 1_000)
        r, s, v = (int.from_bytes(signature[i:j], "big") for i, j in ((0, 32), (32, 64), (64, 65)))
        public_key = keys.Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest)
        assert public_key.to_checksum_address() == signer.address


def test_typed_data_validates_its_inputs() -> None:
    with pytest.raises(InvalidInput):
        agent_wallet_set_typed_data(1, "not-an-address", 1, A, B, 0)
    with pytest.raises(InvalidInput):
        agent_wallet_set_typed_data(1, A, -1, A, B, 0)
    with pytest.raises(InvalidInput):
        agent_wallet_set_typed_data(1, A, 1, A, B, UINT256_MAX + 1)
