"""Sending a contract call: simulate, send, wait, and explain refusals.

Every write of the SDK goes through :func:`send_checked`: the call is first
simulated from the signer's address (so a refusal surfaces as a typed
exception before anything is signed or paid for), then sent with padded gas,
and a transaction that reverts once mined is replayed on the state before its
block to recover the reason.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from hexbytes import HexBytes
from pydantic import BaseModel, ConfigDict
from web3 import Web3
from web3.exceptions import TimeExhausted, TransactionNotFound, Web3RPCError
from web3.logs import DISCARD
from web3.types import TxParams, TxReceipt, Wei

from ..exceptions import CharterError, ContractRevert, EffectNotObserved, TransactionFailed
from .revert import RevertContext, map_revert, revert_reason, translate
from .signers import Signer, pad_gas

Explain = Callable[[CharterError, RevertContext], CharterError]
"""Rebuilds a refusal with facts read after it."""


class TxResult(BaseModel):
    """A mined transaction and the value it produced, if any."""

    model_config = ConfigDict(frozen=True)

    tx_hash: str
    block_number: int
    gas_used: int
    agent_id: int | None = None
    """The agent the transaction concerned (the new id for ``register``)."""
    grant_hash: str | None = None
    """The session grant the transaction concerned, as 0x-hex."""
    order_id: str | None = None
    """The intent order the transaction concerned, as 0x-hex."""
    count: int | None = None
    """How many orders a batch settled or refunded."""
    index: int | None = None
    """The feedback's index for its client (``giveFeedback``: 1 for the client's first feedback)."""
    request_hash: str | None = None
    """The validation request the transaction concerned, as 0x-hex."""
    sent: bool = True
    """False when nothing needed sending (``tx_hash`` is then empty): see ``note``."""
    note: str | None = None
    """Why nothing was sent, when ``sent`` is False; else what else was sent first, if anything
    (a multi-chain grant's entry activated before a session call)."""


def estimate(w3: Web3, call: TxParams) -> int:
    """Gas for `call`, simulated on the pending block (whose timestamp is "now":
    on an idle chain the latest block can be minutes old, and deadlines and
    validity windows are checked against the time), else on the latest block
    for nodes that refuse the pending tag."""
    try:
        return int(w3.eth.estimate_gas(call, "pending"))
    except Web3RPCError:  # reverts are ContractLogicError, not this: they propagate
        return int(w3.eth.estimate_gas(call, "latest"))


def wait_receipt(w3: Web3, tx_hash: Any, timeout: float = 120) -> TxReceipt:
    """The receipt of `tx_hash`, looked for at once and then after 5, 10, 20, 40 and 80 ms, then
    every 100 ms (web3's own wait sleeps 100 ms before its second look: on a node that mines at
    once, most transactions paid that in full). Raises web3's ``TimeExhausted`` after `timeout`
    seconds (``translate`` makes it :class:`~charter.exceptions.NotConfirmed`)."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            return w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeExhausted(f"transaction {HexBytes(tx_hash).to_0x_hex()} is not in the chain after {timeout} s")
        time.sleep(min(delay, left))
        delay = min(delay * 2, 0.1)


def failure(w3: Web3, receipt: TxReceipt, call: TxParams, ctx: RevertContext) -> CharterError:
    """Why a mined transaction reverted: replayed on the state before its block."""
    block = int(receipt["blockNumber"])
    tx_hash = receipt["transactionHash"].to_0x_hex()
    try:
        w3.eth.call(call, max(block - 1, 0))
    except Exception as exc:  # noqa: BLE001 - any error here only loses the reason
        reason = revert_reason(exc)
        if reason:
            return map_revert(reason, ctx)
    return TransactionFailed(
        f"transaction {tx_hash} reverted in block {block} after using {receipt['gasUsed']:,} "
        "gas and replaying it gave no reason (out of gas, or the state changed in that "
        "block); read the state again and retry"
    )


def send_checked(
    w3: Web3,
    signer: Signer,
    to: str,
    data: bytes | str,
    ctx: RevertContext,
    *,
    value: int = 0,
    timeout: float = 120,
    explain: Explain | None = None,
) -> TxReceipt:
    """Simulate, send and wait for a call; refusals become typed exceptions.

    `explain` may rebuild a refusal with facts read after it (what is left of
    a budget, who owns the agent...).
    """
    ctx = dataclasses.replace(ctx, sender=signer.address)
    call: TxParams = {"from": signer.address, "to": Web3.to_checksum_address(to), "data": HexBytes(data)}
    if value:
        call["value"] = Wei(value)
    try:
        with translate(w3, ctx):
            gas = estimate(w3, call)
            tx: TxParams = {k: v for k, v in call.items() if k != "from"}  # type: ignore[assignment]
            tx["gas"] = pad_gas(gas)
            tx_hash = HexBytes(signer.send_transaction(w3, tx))
            receipt = wait_receipt(w3, tx_hash, timeout)
    except ContractRevert as exc:
        raise (explain(exc, ctx) if explain else exc) from None
    if receipt["status"] != 1:
        error = failure(w3, receipt, call, ctx)
        raise (explain(error, ctx) if explain else error) from None
    return receipt


def result(receipt: TxReceipt, agent_id: int | None = None, **extra: Any) -> TxResult:
    """The :class:`TxResult` of a mined transaction."""
    return TxResult(
        tx_hash=receipt["transactionHash"].to_0x_hex(),
        block_number=int(receipt["blockNumber"]),
        gas_used=int(receipt["gasUsed"]),
        agent_id=agent_id,
        **extra,
    )


def _same(actual: Any, expected: Any) -> bool:
    """Whether an event argument is the expected value (addresses and bytes in any form)."""
    if isinstance(expected, bytes | bytearray):
        return isinstance(actual, bytes | bytearray) and bytes(actual) == bytes(expected)
    if isinstance(expected, str) and isinstance(actual, str) and Web3.is_address(expected):
        return actual.lower() == expected.lower()
    return bool(actual == expected)


def _shown(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return HexBytes(value).to_0x_hex()
    return str(value) if isinstance(value, int) or Web3.is_address(value) else repr(value)


def expect_event(
    receipt: TxReceipt | TxResult,
    contract: Any,
    event: str,
    *,
    w3: Web3 | None = None,
    subject: str = "",
    effect: str = "nothing was done",
    hint: str = "",
    **expected: Any,
) -> Any:
    """The first `event` that `contract` emitted in the transaction with the `expected`
    arguments; raises :class:`EffectNotObserved` when there is none.

    A call to an address without code (or to a contract that ignores it)
    succeeds and does nothing: a status-1 receipt alone proves nothing, the
    event does. `receipt` may be a :class:`TxResult` (then `w3`, or the
    contract's, fetches the receipt). The message names `subject` (default:
    the expected arguments), says `effect` and what to check (`hint`).
    """
    if isinstance(receipt, TxResult):
        node = w3 if w3 is not None else contract.w3
        receipt = node.eth.get_transaction_receipt(HexBytes(receipt.tx_hash))
    address = Web3.to_checksum_address(contract.address)
    logs = getattr(contract.events, event)().process_receipt(receipt, errors=DISCARD)
    for log in logs:
        if Web3.to_checksum_address(log["address"]) != address:
            continue
        if all(_same(log["args"].get(name), value) for name, value in expected.items()):
            return log
    tx_hash = HexBytes(receipt["transactionHash"]).to_0x_hex()
    subject = subject or ", ".join(f"{name} {_shown(value)}" for name, value in expected.items())
    raise EffectNotObserved(
        f"the transaction {tx_hash} was mined but {address} emitted no {event}"
        + (f" for {subject}" if subject else "")
        + f"; {effect}"
        + (f" — check {hint}" if hint else "")
    )
