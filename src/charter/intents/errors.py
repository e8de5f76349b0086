"""IntentSettler, AttesterOracle and Hyperlane adapter revert reasons (``"intents: ..."``, ``"oracle: ..."``,
``"hyperlane: ..."``) as exceptions."""

from __future__ import annotations

from .._core.revert import Message, RevertContext, detail, internal, register_reverts
from ..exceptions import (
    AlreadyFilled,
    AlreadyRefunded,
    AlreadySettled,
    ContractRevert,
    FillDeadlinePassed,
    FillRefused,
    IntentAgentInactive,
    IntentRefused,
    IntentUnauthorized,
    NoCredit,
    NotExclusiveFiller,
    NotProven,
    OracleRefused,
    OrderExists,
    OrderInvalid,
    OrderNonceUsed,
    OrderNotOpen,
    OrderSignatureInvalid,
    TokenRefused,
)


def order_label(ctx: RevertContext) -> str:
    return f"order {ctx.order_id[:10]}…" if ctx.order_id else "the order"


def _intent(text: str, advice: str) -> Message:
    """A message about the order: `text` (``{order}`` names it), the client's detail, then `advice`."""

    def message(ctx: RevertContext) -> str:
        return f"{text.format(order=order_label(ctx))}{detail(ctx)}; {advice}"

    return message


_REBUILD = "build the order again (the SDK's Intents.order checks this before sending)"
_INVALID: dict[str, str] = {
    "intents: unknown order data type": "the order data is not Charter's (orderDataType differs)",
    "intents: fill deadline passed": "the fill deadline is not in the future",
    "intents: open after fill deadline": "the open deadline is after the fill deadline",
    "intents: refund too early": "refundAfter is less than a day (MIN_REFUND_DELAY) after the fill deadline",
    "intents: no exclusive filler": "an exclusivity deadline is set without an exclusive filler",
    "intents: empty order": "the order has no inputs or no outputs",
    "intents: zero amount": "an input or output amount is zero",
    "intents: output chain": "an output is on another chain than the order's destination",
    "intents: zero recipient": "an output has no recipient",
    "intents: not an address": "a token or recipient word has its high 12 bytes set",
    "intents: zero destination": "the destination settler is zero",
    "intents: no oracle": "a cross-chain order names no settlement oracle",
    "intents: nonce mismatch": "orderData.nonce differs from the gasless order's nonce",
    "intents: non-canonical order": "the order bytes are not the canonical ABI encoding of the order (extra "
    "bytes, gaps or reordered arrays: one order has one id)",
}

REVERTS: dict[str, tuple[type[ContractRevert], Message]] = {
    reason: (OrderInvalid, _intent(f"{text} in {{order}}", _REBUILD)) for reason, text in _INVALID.items()
}
REVERTS.update({
    "intents: order exists": (OrderExists, _intent(
        "{order} was already opened (same fields, same nonce)", "open it with another nonce")),
    "intents: wrong settler": (OrderSignatureInvalid, _intent(
        "the gasless {order} names another origin settler", "sign it for this settler")),
    "intents: wrong chain": (OrderSignatureInvalid, _intent(
        "the gasless {order} names another origin chain", "sign it for this chain")),
    "intents: open deadline passed": (OrderSignatureInvalid, _intent(
        "the gasless {order} is past its open deadline", "have the user sign a new order")),
    "intents: bad signature": (OrderSignatureInvalid, _intent(
        "the signature is not the user's EIP-712 (or ERC-1271) signature of {order} on this chain "
        "and settler", "have the user sign exactly this order (Intents.sign)")),
    "intents: nonce used": (OrderNonceUsed, _intent(
        "the nonce of {order} was already used or cancelled", "sign the order again with a fresh nonce")),
    "intents: not the agent's": (IntentUnauthorized, _intent(
        "the sender may not act for the agent named on {order} (not its owner, operator, approved "
        "address, wallet, or an account running a session of that agent)",
        "send from one of those, or name your own agent (0 for none)")),
    "intents: agent not active": (IntentAgentInactive, _intent(
        "the agent named on {order} is unknown, paused or retired", "its owner must resume it, or name another")),
    "intents: zero address": (ContractRevert, internal("intents: zero address")),
    "intents: wrong value": (TokenRefused, _intent(
        "the native value sent does not equal the native amounts of {order}",
        "send exactly the native inputs (open) or outputs (fill)")),
    "intents: amount not received": (TokenRefused, _intent(
        "the settler did not receive exactly the input amount of {order} (fee-on-transfer or "
        "rebasing token)", "use a token that transfers exact amounts")),
    "intents: token transfer failed": (TokenRefused, _intent(
        "a token transfer of {order} failed (allowance or balance too low, or the token refused)",
        "check the balance and approve the settler for the amount")),
    "intents: token has no code": (TokenRefused, _intent(
        "a token of {order} has no code on this chain", "check the token address and chain")),
    "intents: native transfer failed": (TokenRefused, _intent(
        "a native transfer of {order} was refused by its recipient", "name a recipient that accepts ETH")),
    "intents: order mismatch": (FillRefused, _intent(
        "the originData does not hash to the id of {order}", "fill with the originData of its Open event")),
    "intents: wrong destination": (FillRefused, _intent(
        "{order} is not destined for this settler on this chain", "fill it on its destination chain and settler")),
    "intents: zero payout": (FillRefused, _intent(
        "the fill of {order} names no payout address", "name where the escrow is to go on the origin")),
    "intents: fill deadline not passed": (FillDeadlinePassed, _intent(
        "the fill deadline of {order} has not passed yet", "wait until it has")),
    "intents: local order": (FillRefused, _intent(
        "{order} is a local order: it has no destination record", "refund it without a proof after its fill deadline")),
    "intents: already filled": (AlreadyFilled, _intent(
        "{order} was already filled (or recorded as not filled)", "nothing to do: check its status")),
    "intents: exclusive filler": (NotExclusiveFiller, _intent(
        "{order} is exclusive to another filler until its exclusivity deadline",
        "wait until the deadline has passed")),
    "intents: fill not proven": (NotProven, _intent(
        "the oracle did not prove the fill of {order} with this payout and agent",
        "wait for the proof (the relayer), and settle with the payout the fill recorded")),
    "intents: unfilled not proven": (NotProven, _intent(
        "the oracle did not prove that {order} went unfilled",
        "record it as unfilled on the destination and prove that, or wait until refundAfter")),
    "intents: not filled": (NotProven, _intent(
        "{order} is destined for this settler and was not filled here",
        "fill it; a local order is settled by its fill")),
    "intents: unknown order": (OrderNotOpen, _intent(
        "{order} was never opened on this settler", "check the order and the chain")),
    "intents: not open": (OrderNotOpen, _intent(
        "{order} is not open here (it was never opened, or is settled or refunded)", "check its status")),
    "intents: already settled": (AlreadySettled, _intent(
        "{order} was already settled", "nothing to do")),
    "intents: already refunded": (AlreadyRefunded, _intent(
        "{order} was already refunded", "nothing to do")),
    "intents: nothing to settle": (OrderNotOpen, _intent(
        "no order of the batch could be settled (each was skipped: see its SettleSkipped reason)",
        "settle each order alone to see why")),
    "intents: nothing to refund": (OrderNotOpen, _intent(
        "no order of the batch could be refunded (each was skipped: see its RefundSkipped reason)",
        "refund each order alone to see why")),
    "intents: no credit": (NoCredit, _intent(
        "nothing is credited to the sender in this token", "check Intents.credits(account, token)")),
    "intents: out of gas": (IntentRefused, _intent(
        "the transaction had too little gas left to give a receiver of escrow its PAY_GAS",
        "send it with more gas (the SDK's estimate does)")),
    "intents: call the settler": (ContractRevert, internal("intents: call the settler")),
    "oracle: bad committee": (OracleRefused, _intent(
        "the committee is empty, has more than 16 members, a zero member, or is not sorted ascending",
        "pass distinct members sorted by address")),
    "oracle: bad threshold": (OracleRefused, _intent(
        "the threshold is 0 or above the number of members", "pick 1 <= threshold <= members")),
    "oracle: bad predecessor": (OracleRefused, _intent(
        "the predecessor oracle has no code", "name a deployed AttesterOracle as the predecessor, or none")),
    "oracle: not approved": (OracleRefused, _intent(
        "the hand-over is not signed by enough members of the oracle's committee",
        "gather at least threshold signatures of the Rotation, sorted by signer")),
    "oracle: rotated": (OracleRefused, _intent(
        "the oracle was already handed over to its successor",
        "rotate its current oracle (AttesterOracle.current) instead")),
    "oracle: bad successor": (OracleRefused, _intent(
        "the successor has no code or does not name this oracle as its predecessor",
        "deploy the successor with predecessor= this oracle")),
    "hyperlane: no code": (OracleRefused, _intent(
        "the Mailbox or the settler named has no code on this chain", "pass this chain's Mailbox and IntentSettler")),
    "hyperlane: bad remote": (OracleRefused, _intent(
        "a remote names no reporter or chain id 0", "give each remote its domain, chain id and reporter")),
    "hyperlane: not the mailbox": (OracleRefused, _intent(
        "only the oracle's Mailbox delivers reports", "deliver through the Mailbox (process)")),
    "hyperlane: unknown sender": (OracleRefused, _intent(
        "the message is not from the reporter the oracle trusts for its origin domain",
        "report through the destination's configured HyperlaneReporter")),
    "hyperlane: bad body": (OracleRefused, _intent(
        "the message is not a HyperlaneReporter report", "report through a HyperlaneReporter")),
    "hyperlane: no orders": (OrderInvalid, _intent("a report needs at least one order", "pass 1 to 10 orders")),
    "hyperlane: no record": (NotProven, _intent(
        "this chain's settler holds no record of {order} (not filled, nor recorded as not filled)",
        "fill it or record it as unfilled first, and wait for the transaction")),
    "hyperlane: not canonical": (OrderInvalid, _intent(
        "the originData of {order} is not in the canonical ABI encoding", "pass the originData of its Open event")),
    "hyperlane: not destined here": (FillRefused, _intent(
        "{order} is not destined for this chain's settler", "report it on its destination chain")),
    "hyperlane: mixed batch": (OrderInvalid, _intent(
        "the orders of one report must share their origin chain, origin settler and oracle",
        "report each origin and oracle separately")),
    "hyperlane: fee too low": (OracleRefused, _intent(
        "the value sent is below the Mailbox's fee for this report", "send at least quoteReport (the SDK does)")),
    "hyperlane: no credit": (OracleRefused, _intent(
        "the caller has no excess fee credited by the reporter", "nothing to withdraw")),
    "hyperlane: transfer failed": (OracleRefused, _intent(
        "the address refused the withdrawn ETH (the credit is kept)", "withdraw to an address that accepts ETH")),
})


def _fill_too_late(reason: str, ctx: RevertContext) -> ContractRevert | None:
    """The same reason means an order that cannot be opened (open) or filled any more (fill)."""
    if reason != "intents: fill deadline passed" or ctx.action != "fill":
        return None
    return FillDeadlinePassed(
        f"the fill deadline of {order_label(ctx)} has passed{detail(ctx)}; it can no longer be filled "
        "(its user gets a refund)",
        reason,
    )


PATTERNS = (_fill_too_late,)

register_reverts("intents", REVERTS, PATTERNS)
