"""AgentAccount guards and its ERC-1271 answer, as the sessions rely on
them: only the owner executes, only the manager executes session calls,
never on the account itself; signatures are bound to the account."""

import boa
import pytest

from .conftest import EOA7702, KEY, OWNER, STRANGER
from .helpers import (
    ACCOUNT_NAME,
    ERC1271_MAGIC,
    ZERO_ADDRESS,
    Call,
    high_s,
    message_typed_data,
    poke,
    sign_digest,
    typed_digest,
)

FAIL_WORD = b"\xff\xff\xff\xff"


def test_zero_manager_refused(world):
    with boa.reverts("account: zero manager"):
        world.account_deployer.deploy(OWNER.address, ZERO_ADDRESS)


def test_owner_and_manager(world, account, manager):
    assert str(account.owner()) == OWNER.address
    assert str(account.MANAGER()) == str(manager.address)
    assert str(world.wallet_account.owner()) == str(world.wallet.address)


def test_owner_executes(account, target):
    with boa.env.prank(OWNER.address):
        out = account.execute(target.address, 3, poke())
    assert int.from_bytes(out, "big") == 1
    assert (target.count(), str(target.lastCaller()), target.lastValue()) == (
        1,
        str(account.address),
        3,
    )
    with boa.env.prank(OWNER.address):
        account.executeBatch([Call(str(target.address), 1, poke()).abi()] * 2)
    assert target.count() == 3


@pytest.mark.parametrize("sender", ["session_key", "stranger", "manager"])
def test_only_owner_executes(world, account, target, sender):
    who = {
        "session_key": KEY.address,
        "stranger": STRANGER.address,
        "manager": str(world.manager.address),
    }[sender]
    with boa.reverts("account: not the owner"), boa.env.prank(who):
        account.execute(target.address, 0, poke())
    with boa.reverts("account: not the owner"), boa.env.prank(who):
        account.executeBatch([Call(str(target.address), 0, poke()).abi()])
    assert target.count() == 0


@pytest.mark.parametrize(
    "sender", ["session_key", "stranger", "owner", "other_manager"]
)
def test_only_manager_executes_session_calls(world, account, target, sender):
    who = {
        "session_key": KEY.address,
        "stranger": STRANGER.address,
        "owner": OWNER.address,
        "other_manager": str(world.manager2.address),
    }[sender]
    with boa.reverts("account: not the manager"), boa.env.prank(who):
        account.executeFromManager(target.address, 0, poke())
    with boa.reverts("account: not the manager"), boa.env.prank(who):
        account.executeBatchFromManager([Call(str(target.address), 0, poke()).abi()])
    assert target.count() == 0


def test_account_never_calls_itself_for_a_session(world, account, target):
    """Second line of defence behind the manager's "forbidden target"."""
    with boa.reverts("account: self call"), boa.env.prank(str(world.manager.address)):
        account.executeFromManager(account.address, 0, b"")
    calls = [
        Call(str(target.address), 0, poke()).abi(),
        Call(str(account.address), 0, b"").abi(),
    ]
    with boa.reverts("account: self call"), boa.env.prank(str(world.manager.address)):
        account.executeBatchFromManager(calls)
    assert target.count() == 0


def test_hash_message_is_charter_message_in_account_domain(account, chain_id):
    digest = b"\x42" * 32
    assert bytes(account.hashMessage(digest)) == typed_digest(
        message_typed_data(digest, chain_id, account.address)
    )
    fields, name, version, chain, contract, _, _ = account.eip712Domain()
    assert (fields, name, version, chain, str(contract)) == (
        b"\x0f",
        ACCOUNT_NAME,
        "1",
        chain_id,
        str(account.address),
    )


def test_is_valid_signature(world, account, chain_id):
    digest = b"\x42" * 32
    wrapped = typed_digest(message_typed_data(digest, chain_id, account.address))
    good = sign_digest(OWNER, wrapped)
    assert bytes(account.isValidSignature(digest, good)) == ERC1271_MAGIC
    refused = [
        sign_digest(OWNER, digest),  # raw digest
        sign_digest(STRANGER, wrapped),
        high_s(good),
        sign_digest(
            OWNER,
            typed_digest(message_typed_data(digest, chain_id, world.account_b.address)),
        ),
        b"",
        b"\x00" * 65,
    ]
    for signature in refused:
        assert bytes(account.isValidSignature(digest, signature)) == FAIL_WORD
    # the same owner's signature for account A is not one for account B
    assert bytes(world.account_b.isValidSignature(digest, good)) == FAIL_WORD


def test_eip7702_account_signature(world):
    eoa = world.eoa_account
    digest = b"\x24" * 32
    assert (
        bytes(eoa.isValidSignature(digest, sign_digest(EOA7702, digest)))
        == ERC1271_MAGIC
    )
    assert bytes(eoa.isValidSignature(digest, sign_digest(OWNER, digest))) == FAIL_WORD
    assert (
        bytes(eoa.isValidSignature(digest, high_s(sign_digest(EOA7702, digest))))
        == FAIL_WORD
    )
