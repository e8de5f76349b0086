"""`ape run account upgrade|deploy|address|show` against one anvil: EIP-7702 signed by ape's
test accounts (by the EOA itself, or sponsored), deployed accounts, and refusals."""

from __future__ import annotations

import json

import pytest
from ape_helpers import ape_runner, ok, refused
from web3 import Web3

from charter import Charter, LocalSigner
from charter.devchain import DEV_KEYS, local_anvil


@pytest.fixture(scope="module")
def node():
    with local_anvil() as chain:
        Charter.deploy(chain.w3, LocalSigner.from_key(DEV_KEYS[0]))
        yield chain, ape_runner(chain.url)


def test_upgrade_show_and_idempotence(node):
    chain, run = node
    w3 = chain.w3
    eoa = Web3.to_checksum_address(w3.eth.accounts[3])
    charter = Charter.connect(w3)
    delegate = charter.accounts.delegate
    assert w3.eth.get_code(eoa) == b""

    out = ok(run("account", "upgrade", "--sender", "TEST::3"))
    assert f"{eoa} is now a Charter account (EIP-7702)" in out
    assert bytes(w3.eth.get_code(eoa)) == bytes.fromhex("ef0100") + bytes.fromhex(delegate[2:])
    again = ok(run("account", "upgrade", "--sender", "TEST::3"))
    assert "already a Charter account (EIP-7702) of this suite: nothing was sent" in again

    shown = ok(run("account", "show", eoa))
    assert "kind: eip7702" in shown and f"owner: {eoa}" in shown
    data = json.loads(_json(ok(run("account", "show", "--sender", "TEST::3", "--json"))))
    assert data["address"] == eoa and data["kind"] == "eip7702" and data["epoch"] == 0


def test_sponsored_upgrade(node):
    chain, run = node
    w3 = chain.w3
    eoa = Web3.to_checksum_address(w3.eth.accounts[4])
    sponsor = Web3.to_checksum_address(w3.eth.accounts[0])
    nonce_before = w3.eth.get_transaction_count(eoa)
    out = json.loads(_json(ok(run("account", "upgrade", "--sender", "TEST::4", "--sponsor", "TEST::0", "--json"))))
    assert out["account"] == eoa and out["sent"] is True
    tx = w3.eth.get_transaction(out["tx_hash"])
    assert tx["from"] == sponsor and tx["type"] == 4
    assert w3.eth.get_transaction_count(eoa) == nonce_before + 1  # the authorization used the EOA's nonce
    assert Charter.connect(w3).accounts.kind(eoa).value == "eip7702"


def test_deploy_address_show(node):
    chain, run = node
    w3 = chain.w3
    owner = Web3.to_checksum_address(w3.eth.accounts[5])
    expected = Charter.connect(w3).accounts.address_of(owner, 7)
    assert ok(run("account", "address", owner, "--salt", "7")).strip().splitlines()[-1] == expected
    deployed = ok(run("account", "deploy", "--owner", owner, "--salt", "7"))
    assert f"account {expected} (owner {owner}): deployed" in deployed
    assert len(w3.eth.get_code(expected)) > 100
    assert "already there" in ok(run("account", "deploy", "--owner", owner, "--salt", "7"))
    shown = ok(run("account", "show", expected))
    assert "kind: deployed" in shown and f"owner: {owner}" in shown


def test_account_refusals(node):
    chain, run = node
    plain = Web3.to_checksum_address(chain.w3.eth.accounts[6])
    assert "not a valid address" in refused(run("account", "show", "nothex"))
    line = refused(run("account", "show", plain))
    assert "is not a Charter account" in line and "upgrade" in line
    assert "not a test account" in refused(run("account", "upgrade", "--sender", "TEST::99"))
    assert "no ape account is named 'nobody'" in refused(run("account", "upgrade", "--sponsor", "nobody"))
    assert "salt" in refused(run("account", "deploy", "--salt", "not-a-salt")).lower()
    assert "not a valid address" in refused(run("account", "deploy", "--owner", "0x1234"))


def _json(stdout: str) -> str:
    """The JSON document at the end of a script's output (ape logs its transactions first)."""
    return stdout[stdout.index("{"):]
