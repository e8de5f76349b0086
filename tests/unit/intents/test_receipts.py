"""Settlement receipts (T1's evidence): a settled order leaves, in its status
word, the top 248 bits of keccak256(abi.encode(orderId, user, openerAgentId,
fillerAgentId, fillerChainId, payout, keccak256(abi.encode(inputs)))); an
open, refunded or unknown order has none. Computed here independently."""

from __future__ import annotations

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from .conftest import DEST_CHAIN, ORIGIN_CHAIN, RECIPIENT2
from .helpers import (
    STATUS_OPEN,
    STATUS_REFUNDED,
    STATUS_SETTLED,
    UNFILLED_RECORD,
    ZERO32,
    ZERO_ADDRESS,
    filler_data,
    record_hash,
)

MASK = (1 << 256) - 256


def receipt(order, filler_agent: int, filler_chain: int, payout) -> bytes:
    inputs = keccak(abi_encode(["(address,uint256)[]"], [[i.abi() for i in order.data.inputs]]))
    digest = keccak(
        abi_encode(
            ["bytes32", "address", "uint256", "uint256", "uint256", "address", "bytes32"],
            [
                order.id,
                to_checksum_address(str(order.user)),
                order.data.agent_id,
                filler_agent,
                filler_chain,
                to_checksum_address(str(payout)),
                inputs,
            ],
        )
    )
    return (int.from_bytes(digest, "big") & MASK).to_bytes(32, "big")


def test_a_settled_order_leaves_its_receipt(open_order, fill_and_prove, settle_order, settler, filler, filler_agent):
    order = open_order()
    assert settler.settlementReceipt(order.id) == ZERO32 and settler.orderStatus(order.id) == STATUS_OPEN
    fill_and_prove(order)
    settle_order(order)
    assert settler.orderStatus(order.id) == STATUS_SETTLED
    assert settler.settlementReceipt(order.id) == receipt(order, filler_agent, DEST_CHAIN, filler)


def test_the_receipt_binds_payout_agent_and_chain(open_order, fill_order, prove, settle_order, settler):
    order = open_order()
    fill_order(order, data=filler_data(RECIPIENT2, 0))
    prove(order, record_hash(RECIPIENT2, 0))
    settle_order(order, payout=RECIPIENT2, filler_agent=0)
    got = settler.settlementReceipt(order.id)
    assert got == receipt(order, 0, DEST_CHAIN, RECIPIENT2)
    assert got != receipt(order, 0, ORIGIN_CHAIN, RECIPIENT2)


def test_a_refunded_or_unknown_order_has_no_receipt(open_order, prove, refund_order, settler, make_order):
    order = open_order()
    prove(order, UNFILLED_RECORD)
    refund_order(order)
    assert settler.orderStatus(order.id) == STATUS_REFUNDED
    assert settler.settlementReceipt(order.id) == ZERO32
    assert settler.settlementReceipt(make_order().id) == ZERO32


def test_a_local_fill_leaves_a_receipt_of_this_chain(open_order, fill_order, settler, filler, filler_agent):
    order = open_order(local=True, oracle=ZERO_ADDRESS)
    fill_order(order)
    assert settler.orderStatus(order.id) == STATUS_SETTLED
    assert settler.settlementReceipt(order.id) == receipt(order, filler_agent, ORIGIN_CHAIN, filler)
