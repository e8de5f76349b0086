"""Hyperlane's real contracts (from the pinned npm package) on the two session anvils:
dispatch on A, our validators sign A's checkpoint, `process` delivers on B."""

from __future__ import annotations

import pytest
from eth_account import Account
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from charter.hyperlane import LocalHyperlane, Message, artifact, message_id_metadata, sign_checkpoint
from charter.hyperlane.local import deploy

from .conftest import CHAIN_A, CHAIN_B, VALIDATORS, World

STRANGER = Account.from_key(b"\x77" * 32)


def send(world: World, side, fn, value: int = 0):
    return side.send(world.deployer, fn, value)


def dispatch(world: World, a: LocalHyperlane, recipient: str, body: bytes) -> tuple[Message, bytes, int]:
    """Dispatch `body` from A to `recipient` on B; the message, the checkpoint root and index."""
    to = HexBytes(b"\x00" * 12 + HexBytes(recipient))
    fee = int(a.mailbox.functions.quoteDispatch(CHAIN_B, to, body).call())
    fn = a.mailbox.functions.dispatch(CHAIN_B, to, body)
    receipt = send(world, world.a, fn, fee)
    assert receipt["status"] == 1
    (event,) = a.mailbox.events.Dispatch().process_receipt(receipt, errors=DISCARD)
    message = Message.decode(event.args.message)
    (dispatched,) = a.mailbox.events.DispatchId().process_receipt(receipt, errors=DISCARD)
    assert message.id == bytes(dispatched.args.messageId)
    root, index = a.merkle_tree_hook.functions.latestCheckpoint().call()
    return message, bytes(root), int(index)


def metadata(a: LocalHyperlane, signers, message: Message, root: bytes, index: int) -> bytes:
    hook = a.merkle_tree_hook.address
    order = {v.address: i for i, v in enumerate(VALIDATORS)}
    ordered = sorted(signers, key=lambda s: order.get(s.address, len(order)))
    return message_id_metadata(
        hook, root, index, [sign_checkpoint(s, CHAIN_A, hook, root, index, message.id) for s in ordered]
    )


def test_dispatch_sign_process_delivers_once(world: World, hyperlane) -> None:
    a, b = hyperlane
    recipient = deploy(world.b.w3, world.deployer, "TestRecipient")
    body = b"charter: hello from A"
    message, root, index = dispatch(world, a, recipient.address, body)
    assert (message.origin, message.destination, message.body) == (CHAIN_A, CHAIN_B, body)
    assert message.sender[12:] == HexBytes(world.deployer.address)

    process = b.mailbox.functions.process(metadata(a, VALIDATORS[:2], message, root, index), message.encode())
    assert send(world, world.b, process)["status"] == 1
    assert b.mailbox.functions.delivered(message.id).call()
    assert bytes(recipient.functions.lastData().call()) == body
    assert bytes(recipient.functions.lastSender().call()) == message.sender
    with pytest.raises(ContractLogicError, match="already delivered"):
        process.call({"from": world.deployer.address})


@pytest.mark.parametrize("signers", ["one", "stranger", "unordered"])
def test_process_refuses_what_the_validators_did_not_sign(world: World, hyperlane, signers: str) -> None:
    a, b = hyperlane
    recipient = deploy(world.b.w3, world.deployer, "TestRecipient")
    message, root, index = dispatch(world, a, recipient.address, b"unproven")
    hook = a.merkle_tree_hook.address
    if signers == "one":
        data = metadata(a, VALIDATORS[:1], message, root, index)
    elif signers == "stranger":
        data = metadata(a, [VALIDATORS[0], STRANGER], message, root, index)
    else:  # two validators, not in the ISM's order
        sigs = [sign_checkpoint(v, CHAIN_A, hook, root, index, message.id) for v in (VALIDATORS[1], VALIDATORS[0])]
        data = message_id_metadata(hook, root, index, sigs)
    # too few signatures cannot even be sliced out of the metadata: a revert without a reason
    with pytest.raises(ContractLogicError, match="execution reverted" if signers == "one" else "!threshold"):
        b.mailbox.functions.process(data, message.encode()).call({"from": world.deployer.address})
    assert not b.mailbox.functions.delivered(message.id).call()


def test_artifacts_come_from_the_pinned_package() -> None:
    import json
    from pathlib import Path

    pinned = json.loads((Path(__file__).resolve().parents[2] / "package.json").read_text())["devDependencies"]
    for name in ("Mailbox", "MerkleTreeHook", "StorageMessageIdMultisigIsm", "TestPostDispatchHook"):
        data = artifact(name)
        assert data["version"] == pinned["@hyperlane-xyz/core"]
        assert data["bytecode"].startswith("0x") and len(data["bytecode"]) > 1_000
        assert data["source"].startswith("@hyperlane-xyz/core@")
