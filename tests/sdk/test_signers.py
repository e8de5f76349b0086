"""Signers: the node's unlocked account signs every message a local key does, and
a private key is accepted wherever a signer is."""

from __future__ import annotations

import pytest
from eth_typing import ChecksumAddress
from web3 import Web3

from charter import InvalidInput, LocalSigner, NodeSigner
from charter._core.signers import as_signer, json_typed_data
from charter.accounts.models import Call
from charter.deployments import create2_address
from charter.sessions import GrantBuilder, one_of
from charter.sessions.typed_data import request_typed_data

from .conftest import dev_key

TOKEN = "0x" + "33" * 20
BOB = Web3.to_checksum_address("0x" + "fe" * 20)


def _grant(account: str) -> GrantBuilder:
    return (
        GrantBuilder(account, 7, "0x" + "22" * 20)
        .allow(TOKEN, "transfer(address to, uint256 amount)", to=one_of(BOB), amount=one_of(2**255 + 12345))
        .token_budget(TOKEN, cap=250 * 10**18, per=86_400)
        .native_budget(3 * 10**18)
        .valid_for(hours=1)
    )


def test_node_signer_signs_large_integers_like_a_local_key(w3: Web3, dev_accounts: list[ChecksumAddress]) -> None:
    local = LocalSigner.from_key(dev_key(1))
    node = NodeSigner(w3, dev_accounts[1])
    assert local.address == node.address
    manager = create2_address("SessionManager")
    grant = _grant(local.address).build(now=1_700_000_000, epoch=2**40)
    typed = grant.typed_data(31337, manager)
    assert node.sign_typed_data(typed) == local.sign_typed_data(typed)

    request = request_typed_data(
        grant.hash(31337, manager), [Call(target=TOKEN, value=10**18, data=b"\xa9\x05\x9c\xbb" + b"\x01" * 64)],
        2**70, 2**40, 31337, manager,
    )
    assert node.sign_typed_data(request) == local.sign_typed_data(request)


def test_typed_data_goes_out_as_json_strings() -> None:
    assert json_typed_data({"a": [1, True, b"\x01\xff", "x", None], "b": {"c": 2**200}}) == {
        "a": ["1", True, "0x01ff", "x", None], "b": {"c": str(2**200)},
    }


def test_a_private_key_is_a_signer() -> None:
    key = dev_key(1)
    signer = as_signer(key)
    assert isinstance(signer, LocalSigner) and signer.address == LocalSigner.from_key(key).address
    assert as_signer(f"  {key}\n").address == signer.address
    with pytest.raises(InvalidInput, match="0x followed by 64 hex digits") as refused:
        as_signer(key[2:])
    assert key[2:] not in str(refused.value)
    with pytest.raises(InvalidInput, match="an address cannot sign"):
        as_signer(signer.address)
    with pytest.raises(InvalidInput, match="not a valid secp256k1 key"):
        as_signer("0x" + "00" * 32)
    with pytest.raises(InvalidInput, match="int is not a signer"):
        as_signer(5)  # type: ignore[arg-type]
