"""No false successes: a transaction to an address without code succeeds and
does nothing, so owner actions refuse accounts that are not Charter accounts of
this suite before anything is sent (NotACharterAccount), and every write checks
its receipt for the event it promises (EffectNotObserved).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from eth_account import Account
from web3 import Web3

from charter import (
    Call,
    Charter,
    EffectNotObserved,
    LocalSigner,
    NodeSigner,
    NotACharterAccount,
    Registry,
    Sessions,
)
from charter._core.artifacts import abi, init_code
from charter._core.tx import expect_event, result

from .test_cli import Invoke, _ok, _refused
from .test_cli import invoke as invoke  # noqa: F401 - the CLI fixture

NOWHERE = Web3.to_checksum_address("0x00000000000000000000000000000000c0de0000")
"""An address with no code: calls to it succeed and do nothing."""


@pytest.fixture
def fund(w3: Web3, deployer: NodeSigner) -> Callable[[str], None]:
    def send(address: str) -> None:
        w3.eth.wait_for_transaction_receipt(deployer.send_transaction(w3, {"to": address, "value": 10**18}))  # type: ignore[typeddict-item]

    return send


@pytest.fixture
def eoa(fund: Callable[[str], None]) -> LocalSigner:
    """A funded EOA that was never upgraded."""
    signer = LocalSigner(Account.create())
    fund(signer.address)
    return signer


@pytest.fixture
def as_eoa(w3: Web3, registry_address: str, manifest: Any, eoa: LocalSigner) -> Charter:
    return Charter.connect(w3, signer=eoa, manifest=manifest)


@pytest.fixture
def token(w3: Web3, deployer: NodeSigner) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(deployer.send_transaction(w3, {"data": init_code("DemoToken")}))  # type: ignore[typeddict-item]
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi("DemoToken"))


def _delegate_elsewhere(w3: Web3, signer: LocalSigner, target: str) -> None:
    """Have `signer`'s EOA delegate (EIP-7702) to `target`, which is not the AccountDelegate."""
    account = signer.account
    nonce = int(w3.eth.get_transaction_count(account.address, "pending"))
    authorization = account.sign_authorization({"chainId": w3.eth.chain_id, "address": target, "nonce": nonce + 1})
    tx = {
        "to": account.address, "data": b"", "value": 0, "type": 4, "authorizationList": [authorization], "gas": 100_000
    }
    # The call itself runs `target`'s code on empty calldata and may revert; the delegation stays.
    w3.eth.wait_for_transaction_receipt(signer.send_transaction(w3, tx))  # type: ignore[arg-type]
    assert bytes(w3.eth.get_code(account.address)) == bytes.fromhex("ef0100") + bytes.fromhex(target[2:])


def _owner_actions(charter: Charter, account: str) -> dict[str, Callable[[], Any]]:
    sessions, accounts = charter.sessions, charter.accounts
    return {
        "revoke": lambda: sessions.revoke("0x" + "ab" * 32, account=account),
        "revoke-all": lambda: sessions.revoke_all(account),
        "max session length": lambda: sessions.set_max_session_length(account, 3_600),
        "execute": lambda: accounts.execute(account, NOWHERE, b""),
        "execute batch": lambda: accounts.execute_batch(account, [Call(target=NOWHERE, value=0, data=b"")]),
    }


# ---------------------------------------------------------------- refused before sending


@pytest.mark.parametrize("action", ["revoke", "revoke-all", "max session length", "execute", "execute batch"])
def test_owner_actions_refuse_a_never_upgraded_eoa(
    w3: Web3, as_eoa: Charter, eoa: LocalSigner, action: str
) -> None:
    nonce = w3.eth.get_transaction_count(eoa.address)
    with pytest.raises(NotACharterAccount) as info:
        _owner_actions(as_eoa, eoa.address)[action]()
    message = str(info.value)
    assert eoa.address in message and "no code" in message and "charter account upgrade" in message
    assert w3.eth.get_transaction_count(eoa.address) == nonce  # nothing was sent


@pytest.mark.parametrize("action", ["revoke", "revoke-all", "max session length", "execute"])
def test_owner_actions_refuse_an_eoa_delegated_elsewhere(
    w3: Web3, as_eoa: Charter, eoa: LocalSigner, token: Any, action: str
) -> None:
    _delegate_elsewhere(w3, eoa, token.address)
    nonce = w3.eth.get_transaction_count(eoa.address)
    with pytest.raises(NotACharterAccount) as info:
        _owner_actions(as_eoa, eoa.address)[action]()
    message = str(info.value)
    assert token.address in message and as_eoa.accounts.delegate in message and "upgrade" in message
    assert w3.eth.get_transaction_count(eoa.address) == nonce


def test_a_contract_that_is_no_account_is_refused(as_eoa: Charter, token: Any) -> None:
    with pytest.raises(NotACharterAccount, match="not a Charter account"):
        as_eoa.sessions.revoke_all(token.address)


def test_ensure_charter_account_accepts_an_upgraded_eoa_after_refusing_it(as_eoa: Charter, eoa: LocalSigner) -> None:
    with pytest.raises(NotACharterAccount):
        as_eoa.accounts.ensure_charter_account(eoa.address)
    as_eoa.accounts.upgrade(eoa)
    info = as_eoa.accounts.ensure_charter_account(eoa.address)
    assert info.owner == eoa.address and info.manager == as_eoa.accounts.manager
    as_eoa.sessions.revoke_all(eoa.address)  # a real account: the event is there
    assert as_eoa.sessions.epoch_of(eoa.address) == 1
    as_eoa.sessions.set_max_session_length(eoa.address, 3_600)
    assert as_eoa.sessions.max_session_length(eoa.address) == 3_600


def test_upgrade_twice_sends_nothing_the_second_time(w3: Web3, as_eoa: Charter, eoa: LocalSigner) -> None:
    first = as_eoa.accounts.upgrade(eoa)
    assert first.sent and first.tx_hash
    nonce = w3.eth.get_transaction_count(eoa.address)
    again = as_eoa.accounts.upgrade(eoa)
    assert not again.sent and again.tx_hash == "" and "already" in (again.note or "")
    assert w3.eth.get_transaction_count(eoa.address) == nonce


# ---------------------------------------------------------------- the receipt must show the effect


def test_expect_event_refuses_a_receipt_without_the_event(
    w3: Web3, as_eoa: Charter, eoa: LocalSigner, deployer: NodeSigner
) -> None:
    receipt = w3.eth.wait_for_transaction_receipt(deployer.send_transaction(w3, {"to": eoa.address, "value": 1}))  # type: ignore[typeddict-item]
    assert receipt["status"] == 1
    grant_hash = b"\xab" * 32
    with pytest.raises(EffectNotObserved) as info:
        expect_event(
            receipt, as_eoa.sessions.contract, "GrantRevoked", grantHash=grant_hash, account=eoa.address,
            subject=f"grant 0x{grant_hash.hex()} from account {eoa.address}", effect="nothing was revoked",
        )
    message = str(info.value)
    assert receipt["transactionHash"].to_0x_hex() in message and "GrantRevoked" in message
    assert "0x" + grant_hash.hex() in message and "nothing was revoked" in message
    with pytest.raises(EffectNotObserved):  # a TxResult works too
        expect_event(result(receipt), as_eoa.sessions.contract, "AllGrantsRevoked")


def test_expect_event_returns_the_matching_event(as_eoa: Charter, eoa: LocalSigner) -> None:
    as_eoa.accounts.upgrade(eoa)
    tx = as_eoa.sessions.revoke_all(eoa.address)
    event = expect_event(tx, as_eoa.sessions.contract, "AllGrantsRevoked", account=eoa.address, epoch=1)
    assert event["args"]["epoch"] == 1
    with pytest.raises(EffectNotObserved):  # the event, but not with these arguments
        expect_event(tx, as_eoa.sessions.contract, "AllGrantsRevoked", account=eoa.address, epoch=2)


@pytest.fixture
def nowhere_registry(w3: Web3, eoa: LocalSigner) -> Registry:
    """A Registry client pointed at an address without code."""
    return Registry(w3, NOWHERE, eoa)


@pytest.mark.parametrize(
    "verb",
    ["register", "set_uri", "set_metadata", "pause", "resume", "retire"],
)
def test_registry_verbs_on_an_address_without_code_do_not_succeed(nowhere_registry: Registry, verb: str) -> None:
    calls: dict[str, Callable[[], Any]] = {
        "register": lambda: nowhere_registry.register("ipfs://x"),
        "set_uri": lambda: nowhere_registry.set_uri(1, "ipfs://y"),
        "set_metadata": lambda: nowhere_registry.set_metadata(1, "name", "scout"),
        "pause": lambda: nowhere_registry.pause(1),
        "resume": lambda: nowhere_registry.resume(1),
        "retire": lambda: nowhere_registry.retire(1),
    }
    with pytest.raises(EffectNotObserved) as info:
        calls[verb]()
    assert NOWHERE in str(info.value) and "AgentRegistry" in str(info.value)


def test_renounce_to_an_address_without_code_does_not_succeed(
    w3: Web3, as_eoa: Charter, eoa: LocalSigner, fund: Callable[[str], None]
) -> None:
    as_eoa.accounts.upgrade(eoa)
    agent_id = as_eoa.registry.register("ipfs://agent")
    key = LocalSigner(Account.create())
    fund(key.address)
    grant = as_eoa.sessions.prepare(
        as_eoa.sessions.builder(eoa.address, agent_id, key.address).allow(NOWHERE, "ping()").valid_for(hours=1)
    )
    elsewhere = Sessions(w3, NOWHERE, as_eoa.accounts, key)
    with pytest.raises(EffectNotObserved, match="GrantRevoked"):
        elsewhere.renounce(grant)
    # The real manager emits it: renounce succeeds.
    assert as_eoa.sessions.renounce(grant, key).grant_hash == "0x" + as_eoa.sessions.hash(grant).hex()


# ---------------------------------------------------------------- the CLI


def test_cli_revoke_all_on_a_plain_eoa_is_one_line_and_nonzero(invoke: Invoke, w3: Web3, eoa: LocalSigner) -> None:
    key = eoa.account.key.to_0x_hex()
    nonce = w3.eth.get_transaction_count(eoa.address)
    result: Result = invoke("session", "revoke-all", key=key)
    line = _refused(result)
    assert "not a Charter account" in line and "charter account upgrade" in line
    assert w3.eth.get_transaction_count(eoa.address) == nonce
    assert "not a Charter account" in _refused(invoke("session", "revoke", "0x" + "ab" * 32, key=key))


def test_cli_account_upgrade_twice_says_already(invoke: Invoke, eoa: LocalSigner, tmp_path: Path) -> None:
    key = eoa.account.key.to_0x_hex()
    assert "is now a Charter account" in _ok(invoke("account", "upgrade", key=key))
    assert "already a Charter account" in _ok(invoke("account", "upgrade", key=key))
