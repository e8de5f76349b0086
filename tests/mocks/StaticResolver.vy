# pragma version 0.4.3
"""
@title Calls a settler's `resolve` with STATICCALL (test mock)
@notice The caller is this contract: the order's user must be it, or be
        anything (resolve checks the order's own fields only).
"""

struct OnchainCrossChainOrder:
    fillDeadline: uint32
    orderDataType: bytes32
    orderData: Bytes[1184]


@external
@view
def order_id(settler: address, order: OnchainCrossChainOrder) -> bytes32:
    answer: Bytes[4096] = raw_call(
        settler,
        abi_encode(order, method_id=method_id("resolve((uint32,bytes32,bytes))")),
        max_outsize=4096,
        is_static_call=True,
    )
    # ResolvedCrossChainOrder: its offset, then user, originChainId,
    # openDeadline, fillDeadline, orderId.
    return extract32(answer, 32 * 5)
