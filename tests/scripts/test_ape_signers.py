"""ape accounts as SDK signers, in-process: the coercion in ``as_signer``, and EIP-7702
authorizations signed through ape (accepted, declined, unsupported, not the EOA's)."""

from __future__ import annotations

import pytest
from ape import accounts as ape_accounts
from ape.exceptions import APINotImplementedError
from ape.types.signatures import MessageSignature
from eth_account import Account

from charter import LocalSigner
from charter._core.signers import AuthorizationSigner, NodeSigner, as_signer
from charter.accounts.client import _authorizer
from charter.ape_extras import ApeSigner, AuthorizationUnsupported, _ape_authorization, _authority
from charter.devchain import DEV_KEYS
from charter.exceptions import CharterError, InvalidInput

DELEGATE = "0x" + "5a" * 20


class _Keyed:
    """An ape-like account that signs authorizations with `key` (ape's MessageSignature, v = y parity)."""

    def __init__(self, key: str, address: str | None = None) -> None:
        self.local = Account.from_key(key)
        self.address = address or self.local.address

    def sign_authorization(self, address, chain_id=None, nonce=None):
        signed = self.local.sign_authorization({"chainId": chain_id, "address": address, "nonce": nonce})
        return MessageSignature(v=signed.y_parity, r=signed.r.to_bytes(32, "big"), s=signed.s.to_bytes(32, "big"))


class _Legacy(_Keyed):
    """Says v as 27/28, as some signers do."""

    def sign_authorization(self, address, chain_id=None, nonce=None):
        signature = super().sign_authorization(address, chain_id, nonce)
        return MessageSignature(v=signature.v + 27, r=signature.r, s=signature.s)


class _Declines:
    address = Account.from_key(DEV_KEYS[1]).address

    def sign_authorization(self, address, chain_id=None, nonce=None):
        return None


class _Hardware:
    address = Account.from_key(DEV_KEYS[2]).address

    def sign_authorization(self, address, chain_id=None, nonce=None):
        raise APINotImplementedError("Authorization signing is not supported by 'LedgerAccount'")


def test_ape_accounts_become_ape_signers():
    account = ape_accounts.test_accounts[1]
    signer = as_signer(account)
    assert isinstance(signer, ApeSigner) and signer.account is account
    assert signer.address == Account.from_key(DEV_KEYS[1]).address
    assert isinstance(signer, AuthorizationSigner)
    assert isinstance(_authorizer(account, "the EOA"), ApeSigner)
    with pytest.raises(InvalidInput, match="ape account"):
        as_signer(object())


def test_ape_signed_authorization_matches_eth_account():
    key = DEV_KEYS[3]
    ape_auth = ApeSigner(_Keyed(key)).sign_authorization(31337, DELEGATE, 5)
    local_auth = LocalSigner.from_key(key).sign_authorization(31337, DELEGATE, 5)
    assert ape_auth == local_auth
    assert ApeSigner(_Legacy(key)).sign_authorization(31337, DELEGATE, 5) == local_auth
    assert _authority(local_auth) == Account.from_key(key).address
    reference = Account.from_key(key).sign_authorization({"chainId": 31337, "address": DELEGATE, "nonce": 5})
    assert (local_auth["yParity"], local_auth["r"], local_auth["s"]) == (reference.y_parity, reference.r, reference.s)
    converted = _ape_authorization(local_auth)
    assert (converted.chain_id, converted.nonce, converted.v) == (31337, 5, local_auth["yParity"])
    assert int.from_bytes(converted.r, "big") == local_auth["r"]
    assert _ape_authorization(reference).model_dump() == converted.model_dump()


def test_real_ape_test_account_signs_an_authorization():
    account = ape_accounts.test_accounts[2]
    auth = ApeSigner(account).sign_authorization(31337, DELEGATE, 3)
    assert auth == LocalSigner.from_key(DEV_KEYS[2]).sign_authorization(31337, DELEGATE, 3)


def test_authorization_refusals_are_typed_and_name_the_way_out():
    with pytest.raises(AuthorizationUnsupported, match="charter account upgrade") as unsupported:
        ApeSigner(_Hardware()).sign_authorization(31337, DELEGATE, 0)
    assert "_Hardware" in str(unsupported.value) and "$CHARTER_PRIVATE_KEY" in str(unsupported.value)
    with pytest.raises(CharterError, match="declined to sign the EIP-7702 authorization"):
        ApeSigner(_Declines()).sign_authorization(31337, DELEGATE, 0)
    impostor = _Keyed(DEV_KEYS[4], address=Account.from_key(DEV_KEYS[0]).address)
    with pytest.raises(CharterError, match="recovers to another address"):
        ApeSigner(impostor).sign_authorization(31337, DELEGATE, 0)


def test_signers_that_cannot_authorize_are_refused():
    from web3 import Web3

    node = NodeSigner(Web3(), Account.from_key(DEV_KEYS[0]).address)
    with pytest.raises(InvalidInput, match="cannot sign an EIP-7702 authorization"):
        _authorizer(node, "the EOA to upgrade")
    with pytest.raises(InvalidInput, match="private key"):
        _authorizer("0x1234", "the EOA to upgrade")
    assert isinstance(_authorizer(DEV_KEYS[0], "the EOA"), LocalSigner)


def test_raw_ape_accounts_sign_everywhere_on_a_chain():
    """On the anvil ape's pytest plugin runs: raw ape accounts as the connection's signer, as a wallet
    that signs its proof, as the EOA that upgrades with EIP-7702, as an agent owner's consent and as
    the session key."""
    from charter import Call, Charter
    from charter.ape_extras import web3

    w3 = web3()
    owner, wallet, principal, stranger, key = (ape_accounts.test_accounts[i] for i in (0, 5, 6, 7, 8))
    Charter.deploy(w3, owner)  # a raw ape account pays for the deployment
    charter = Charter.connect(w3, signer=owner)
    assert isinstance(charter.signer, ApeSigner)
    agent_id = charter.registry.register("ipfs://ape-signers")
    charter.registry.set_agent_wallet(agent_id, wallet)  # the wallet's EIP-712 proof, signed by ape
    assert charter.registry.agent(agent_id).wallet == wallet.address

    as_principal = Charter.connect(w3, signer=principal)
    result = as_principal.accounts.upgrade(principal)  # ape signs the authorization and the type-4 tx
    assert result.sent and as_principal.accounts.kind(principal.address).value == "eip7702"

    sessions = as_principal.sessions
    grant = sessions.prepare(
        sessions.builder(principal.address, agent_id, key.address)
        .allow_eth(stranger.address, max_value=10**15).native_budget(10**15).valid_for(hours=1)
    )
    consent = sessions.consent(grant, owner)  # someone else's agent: its owner consents, through ape
    signed = sessions.sign(grant, agent_consent=consent)
    before = stranger.balance
    sessions.execute(signed, Call.to(stranger.address, value=10**14), key=key)
    assert stranger.balance - before == 10**14


_FRESH = """
import json
from ape import accounts
from charter._core.signers import as_signer
typed = json.loads({typed!r})
signer = as_signer(accounts.test_accounts[3])
print(json.dumps([type(signer).__module__ + "." + type(signer).__name__, signer.sign_typed_data(typed).hex()]))
"""


def test_ape_support_plugs_in_from_above():
    """``charter._core.signers`` never imports ape support: ``charter.ape_extras`` registers its
    adapter, and the ``charter`` package imports it, so in a fresh interpreter that imports only
    ape and the signers module an ape account still becomes an ApeSigner and signs like its key."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from charter._core.signers import signer_adapters
    from charter.ape_extras import ape_signer

    assert ape_signer in signer_adapters()
    assert ape_signer(object()) is None and ape_signer(LocalSigner.from_key(DEV_KEYS[0])) is None
    typed = {
        "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
                  "Note": [{"name": "text", "type": "string"}, {"name": "amount", "type": "uint256"}]},
        "primaryType": "Note",
        "domain": {"name": "Charter", "chainId": 31337},
        "message": {"text": "ape signs", "amount": 7},
    }
    out = subprocess.run([sys.executable, "-c", _FRESH.format(typed=json.dumps(typed))], capture_output=True,
                         text=True, check=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    kind, signature = json.loads(out.stdout.strip().splitlines()[-1])
    assert kind == "charter.ape_extras.ApeSigner"
    expected = LocalSigner.from_key(DEV_KEYS[3]).sign_typed_data(typed)
    assert bytes.fromhex(signature.removeprefix("0x")) == bytes(expected)
