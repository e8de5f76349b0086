"""openFor: a gasless order signed by its user (EIP-712 typed data with the
nested CharterOrder, or ERC-1271), sent by anyone, usable once, only until
its open deadline, only on its chain and settler (I3)."""

from __future__ import annotations

import boa
import pytest

from ..sessions.helpers import compact
from .conftest import DEST_CHAIN, ORIGIN_CHAIN, RECIPIENT, RELAYER, SIGNER_1271, STRANGER, USER
from .helpers import (
    NATIVE,
    STATUS_NONE,
    STATUS_OPEN,
    ZERO_ADDRESS,
    Input,
    gasless_typed_data,
    high_s,
    normalize,
    output,
    resolved,
    sign_digest,
    typed_digest,
)


@pytest.fixture
def gasless(make_order, now):
    """A gasless order: open for 10 minutes, fill within an hour."""

    def _gasless(**kw):
        kw.setdefault("open_deadline", now() + 600)
        return make_order(**kw)

    return _gasless


# ---------------------------------------------------------------- works


def test_open_for_pulls_from_the_user(gasless, open_for, settler, token, events, user, relayer, resolver):
    order = gasless()
    assert normalize(resolver.resolveFor(order.gasless(), b"")) == resolved(order)
    before, relayer_before = token.balanceOf(user), token.balanceOf(relayer)
    open_for(order)
    (ev,) = events(settler)
    assert ev.name == "Open" and ev.args["orderId"] == order.id
    assert normalize(ev.args["resolvedOrder"]) == resolved(order)
    assert ev.args["resolvedOrder"][2] == order.open_deadline < order.fill_deadline
    assert token.balanceOf(user) == before - 1_000
    assert token.balanceOf(relayer) == relayer_before
    assert settler.orderStatus(order.id) == STATUS_OPEN
    assert settler.nonceBitmap(user, 0) == 1 << order.data.nonce


def test_open_for_sent_by_the_user_itself(gasless, open_for, settler, user):
    order = open_for(gasless(), sender=user)
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_full_order_hashes_like_eip712(gasless, open_for, settler, token, token2, now, filler):
    """Four inputs, four outputs, exclusivity, an agent field of 0 and a
    large nonce: the arrays of structs hash as EIP-712 says (eth_account)."""
    order = gasless(
        nonce=2**255 + 7,
        exclusive_filler=filler,
        exclusivity_deadline=now() + 60,
        inputs=[Input(str(token.address), 1 + i) for i in range(4)],
        outputs=[output(token2.address, 10 + i, RECIPIENT, DEST_CHAIN) for i in range(4)],
    )
    open_for(order)
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_erc1271_contract_user(gasless, open_for, settler, token, contract_user, sign_order):
    order = gasless(user=contract_user.address)
    before = token.balanceOf(contract_user.address)
    open_for(order, signature=sign_order(order, signer=SIGNER_1271))
    assert settler.orderStatus(order.id) == STATUS_OPEN
    assert token.balanceOf(contract_user.address) == before - 1_000


def test_erc1271_contract_user_wrong_key(gasless, open_for, contract_user, sign_order):
    order = gasless(user=contract_user.address)
    with boa.reverts("intents: bad signature"):
        open_for(order, signature=sign_order(order, signer=STRANGER))


def test_erc1271_wallet_that_says_no(gasless, open_for, contract_user, sign_order):
    order = gasless(user=contract_user.address)
    signature = sign_order(order, signer=SIGNER_1271)
    for mode in (2, 3, 4):  # wrong magic, reverts, writes storage (static call)
        contract_user.set_mode(mode)
        with boa.reverts("intents: bad signature"):
            open_for(order, signature=signature)


def test_open_deadline_inclusive(gasless, open_for, settler, warp):
    order = gasless()
    warp(order.open_deadline)
    open_for(order)
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_invalidated_nonce_in_a_higher_word(gasless, open_for, settler, user):
    order = gasless(nonce=256 * 3 + 5)
    settler.invalidateNonces(3, 1 << 4, sender=user)  # a neighbour bit only
    open_for(order)
    assert settler.nonceBitmap(user, 3) == (1 << 4) | (1 << 5)


# ---------------------------------------------------------------- refused


def test_replay_refused(gasless, open_for, sign_order, token, user):
    order = gasless()
    signature = sign_order(order)
    open_for(order, signature=signature)
    before = token.balanceOf(user)
    with boa.reverts("intents: nonce used"):
        open_for(order, signature=signature)
    assert token.balanceOf(user) == before


def test_same_nonce_other_order_refused(gasless, open_for):
    first = open_for(gasless(nonce=9))
    with boa.reverts("intents: nonce used"):
        open_for(first.but(inputs=first.data.inputs * 2))


def test_invalidate_nonces_cancels(gasless, open_for, settler, user, events):
    order = gasless(nonce=42)
    settler.invalidateNonces(0, 1 << 42, sender=user)
    (ev,) = events(settler)
    assert ev.name == "NoncesInvalidated"
    assert ev.args == {"user": user, "wordPos": 0, "mask": 1 << 42}
    with boa.reverts("intents: nonce used"):
        open_for(order)
    assert settler.orderStatus(order.id) == STATUS_NONE


def test_invalidate_is_per_user(gasless, open_for, settler, stranger):
    order = gasless(nonce=42)
    settler.invalidateNonces(0, 1 << 42, sender=stranger)
    open_for(order)


def test_open_deadline_passed(gasless, open_for, settler, warp, resolver):
    order = gasless()
    warp(order.open_deadline + 1)
    with boa.reverts("intents: open deadline passed"):
        open_for(order)
    with boa.reverts("intents: open deadline passed"):
        resolver.resolveFor(order.gasless(), b"")


def test_open_deadline_after_fill_deadline(gasless, open_for, now):
    fill = now() + 600
    order = gasless(fill_deadline=fill, open_deadline=fill + 1)
    with boa.reverts("intents: open after fill deadline"):
        open_for(order)


def test_signature_for_another_chain_domain(gasless, open_for, sign_order):
    order = gasless()
    with boa.reverts("intents: bad signature"):
        open_for(order, signature=sign_order(order, chain_id=DEST_CHAIN))


def test_signature_for_another_settler_domain(gasless, open_for, sign_order, dest):
    order = gasless()
    with boa.reverts("intents: bad signature"):
        open_for(order, signature=sign_order(order, settler=dest.address))


def test_order_for_another_chain(gasless, open_for, sign_order, settler, on_chain, resolver):
    """Signed for DEST_CHAIN in its fields (and domain): refused here; the
    same call on DEST_CHAIN passes the chain checks (positive control)."""
    order = gasless(origin_chain_id=DEST_CHAIN)
    signature = sign_order(order)
    with boa.reverts("intents: wrong chain"):
        open_for(order, signature=signature)
    with on_chain(DEST_CHAIN):
        assert normalize(resolver.resolveFor(order.gasless(), b""))[0] == USER.address


def test_order_for_another_settler(gasless, open_for, dest, settler):
    """Signed for `settler`, sent to `dest` on the same chain."""
    order = gasless()
    with boa.reverts("intents: wrong settler"):
        open_for(order, on=dest)
    assert settler.orderStatus(order.id) == STATUS_NONE


def test_wrong_signer(gasless, open_for, sign_order):
    order = gasless()
    with boa.reverts("intents: bad signature"):
        open_for(order, signature=sign_order(order, signer=STRANGER))


@pytest.mark.parametrize("signature", [b"", b"\x00" * 65, b"\x00" * 64 + b"\x1b", b"\xff" * 65])
def test_garbage_signatures(gasless, open_for, signature):
    with boa.reverts("intents: bad signature"):
        open_for(gasless(), signature=signature)


def test_high_s_signature(gasless, open_for, sign_order):
    order = gasless()
    with boa.reverts("intents: bad signature"):
        open_for(order, signature=high_s(sign_order(order)))


def test_compact_signature(gasless, open_for, sign_order):
    order = gasless()
    with boa.reverts("intents: bad signature"):
        open_for(order, signature=compact(sign_order(order)))


def test_tampered_order(gasless, open_for, sign_order, stranger, token):
    """A relayer cannot change what was signed: more input, another
    recipient, another user."""
    order = gasless()
    signature = sign_order(order)
    for changed in (
        order.but(inputs=[Input(str(token.address), 1_001)]),
        order.but(outputs=[output(token.address, 990, stranger, DEST_CHAIN)]),
        order.but(refund_after=order.data.refund_after + 1),
        order.but(user=stranger),
    ):
        with boa.reverts("intents: bad signature"):
            open_for(changed, signature=signature)


def test_nonce_mismatch(gasless, open_for, sign_order):
    order = gasless(nonce=5)
    signature = sign_order(order, nonce=6)
    with boa.reverts("intents: nonce mismatch"):
        open_for(order, signature=signature, nonce=6)


def test_native_input_refused(gasless, open_for):
    """openFor has no msg.value: a native input cannot be paid."""
    with boa.reverts("intents: wrong value"):
        open_for(gasless(inputs=[Input(NATIVE, 1)]))


def test_zero_user_refused(gasless, open_for, settler):
    """The zero address never signs (ecrecover failures return zero)."""
    order = gasless(user=ZERO_ADDRESS)
    with boa.reverts("intents: bad signature"):
        open_for(order, signature=b"\x00" * 65)


def test_origin_filler_data_is_ignored(gasless, settler):
    """Whoever relays, with whatever originFillerData: the signed digest
    has no sender field and the filler data is not part of the order."""
    order = gasless()
    typed = gasless_typed_data(order, ORIGIN_CHAIN, settler.address)
    signature = sign_digest(USER, typed_digest(typed))
    settler.openFor(order.gasless(), signature, b"\x01\x02", sender=RELAYER)
    assert settler.orderStatus(order.id) == STATUS_OPEN
