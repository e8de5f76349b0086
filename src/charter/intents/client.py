"""Client of the IntentSettler: build, open, fill, settle and refund ERC-7683 orders.

    intents = charter.intents                        # the settler on this chain
    order = intents.order(user=account, agent_id=7, inputs=[Input(token=usdc, amount=100)],
                          outputs=[Output(token=usdc2, amount=99, recipient=bob, chain_id=2)],
                          destination_chain_id=2, oracle=oracle, fill_within=600)
    intents.open(order)                              # approves the inputs, then opens
    dest.fill(order, FillRecord(payout=solver, filler_agent_id=9))     # on chain 2
    intents.settle([(order, record, proof)])         # on chain 1, with the oracle's proof
    intents.outcome(tx)                              # which orders of a batch landed, which were skipped, why
    intents.credits(account); intents.withdraw()     # escrow a receiver refused is credited to it

Every write is checked client-side, simulated, sent and confirmed by its
event (see :mod:`charter._core.tx`); refusals are typed exceptions
(:mod:`charter.exceptions`, ``IntentRefused`` and its subclasses).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress, HexStr
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import BlockIdentifier

from .._core.artifacts import abi
from .._core.chain import ChainClient
from .._core.checks import check_address, validation_message
from .._core.eip712 import sign_typed
from .._core.revert import RevertContext, translate
from .._core.signers import Signer, SignerLike
from .._core.tx import TxResult, expect_event, result, send_checked
from ..accounts.models import Call
from ..exceptions import InvalidInput, NoCredit, OrderInvalid, OrderNotFillable
from .models import (
    MAX_INPUTS,
    MAX_OUTPUTS,
    MAX_SETTLE,
    MIN_REFUND_DELAY,
    NATIVE,
    UNFILLED_RECORD,
    BatchOutcome,
    Credit,
    FillRecord,
    Input,
    Order,
    OrderData,
    OrderStatus,
    Output,
    SkipReason,
    new_nonce,
)
from .typed_data import gasless_order_digest, gasless_order_typed_data

ERC20_ABI: list[dict[str, Any]] = [
    {"type": "function", "name": "approve", "stateMutability": "nonpayable",
     "inputs": [{"name": "spender", "type": "address"}, {"name": "amount", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"type": "function", "name": "allowance", "stateMutability": "view",
     "inputs": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"}],
     "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "function", "name": "balanceOf", "stateMutability": "view",
     "inputs": [{"name": "owner", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "event", "name": "Approval", "anonymous": False,
     "inputs": [{"name": "owner", "type": "address", "indexed": True},
                {"name": "spender", "type": "address", "indexed": True},
                {"name": "value", "type": "uint256", "indexed": False}]},
]

DEFAULT_FILL_WINDOW = 600
"""Seconds between opening and the fill deadline when none is given."""


@dataclass(frozen=True)
class OpenedOrder:
    """An order found in an ``Open`` event."""

    order: Order
    block_number: int
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class FillEvent:
    """A ``Filled`` event on a destination settler."""

    order_id: bytes
    filler: ChecksumAddress
    record: FillRecord
    record_hash: bytes
    block_number: int
    tx_hash: str


@dataclass(frozen=True)
class UnfilledEvent:
    """A ``RecordedUnfilled`` event: the order can never be filled there."""

    order_id: bytes
    block_number: int
    tx_hash: str


class Intents(ChainClient):
    """Typed client of one IntentSettler (origin and destination roles)."""

    def __init__(
        self,
        w3: Web3,
        settler: str,
        signer: SignerLike | None = None,
        *,
        chain_id: int | None = None,
        timeout: float = 120,
    ) -> None:
        super().__init__(w3, signer, chain_id=chain_id, timeout=timeout)
        self.address: ChecksumAddress = check_address(settler, "settler address")
        self.contract: Contract = w3.eth.contract(address=self.address, abi=abi("IntentSettler"))

    def __repr__(self) -> str:
        who = self.signer.address if self.signer is not None else "read-only"
        return f"<Intents {self.address} on chain {self.chain_id} ({who})>"

    def with_signer(self, signer: SignerLike) -> Intents:
        """The same settler, sending as `signer`."""
        return Intents(self.w3, self.address, signer, chain_id=self._chain_id, timeout=self.timeout)

    # ------------------------------------------------------------ building

    def order(
        self,
        *,
        user: str,
        inputs: Sequence[Input],
        outputs: Sequence[Output],
        destination_chain_id: int,
        agent_id: int = 0,
        oracle: str | None = None,
        fill_deadline: int | None = None,
        fill_within: int = DEFAULT_FILL_WINDOW,
        refund_after: int | None = None,
        exclusive_filler: str | None = None,
        exclusivity_deadline: int = 0,
        destination_settler: str | None = None,
        open_deadline: int | None = None,
        nonce: int | None = None,
        now: int | None = None,
    ) -> Order:
        """An order opened by `user` on this settler, checked as the settler will check it.

        Defaults: the fill deadline `fill_within` seconds from now; refunds
        without proof :data:`MIN_REFUND_DELAY` after it; the destination
        settler at this settler's address (the same address on every chain);
        a random nonce. An order whose destination is this chain and settler
        needs no oracle. Raises :class:`OrderInvalid`.
        """
        now = int(now if now is not None else self._now())
        deadline = int(fill_deadline if fill_deadline is not None else now + fill_within)
        order = _build(
            Order,
            user=user,
            origin_chain_id=self.chain_id,
            origin_settler=self.address,
            open_deadline=open_deadline if open_deadline is not None else deadline,
            fill_deadline=deadline,
            data=_build(
                OrderData,
                nonce=nonce if nonce is not None else new_nonce(),
                agent_id=agent_id,
                refund_after=refund_after if refund_after is not None else deadline + MIN_REFUND_DELAY,
                oracle=oracle or NATIVE,
                exclusive_filler=exclusive_filler or NATIVE,
                exclusivity_deadline=exclusivity_deadline,
                destination_chain_id=destination_chain_id,
                destination_settler=destination_settler or self.address,
                inputs=tuple(inputs),
                outputs=tuple(outputs),
            ),
        )
        check_order(order, now)
        built: Order = order
        return built

    # ------------------------------------------------------------ origin

    def open(self, order: Order, signer: SignerLike | None = None) -> TxResult:
        """Open `order` as its user: approve the ERC-20 inputs to the settler where the
        allowance is short, then ``open`` with the native inputs as value."""
        sender = self._signer(signer, "open an order")
        self._check_origin(order)
        if sender.address != order.user:
            raise InvalidInput(
                f"order {order.order_id_hex[:10]}… is by {order.user}, not the sender {sender.address}; "
                "build it with user= the sender, or have the user sign it for openFor (Intents.sign)"
            )
        data = self.contract.encode_abi("open", [order.on_chain()])
        return self._pay_and_send(sender, order, "open", data, order.data.inputs, order.native_in, "Open",
                                  "the order was not opened")

    def open_calls(self, order: Order) -> list[Call]:
        """The calls that open `order` from its user's account: an exact ``approve`` per
        ERC-20 input, then ``open`` (for ``Sessions.execute_batch``, where the approvals
        count against the grant's token caps)."""
        self._check_origin(order)
        calls = [
            Call(target=item.token, value=0, data=HexBytes(_approve_data(self.w3, self.address, item.amount)))
            for item in order.data.inputs
            if not item.native
        ]
        calls.append(
            Call(target=self.address, value=order.native_in,
                 data=HexBytes(self.contract.encode_abi("open", [order.on_chain()])))
        )
        return calls

    def typed_data(self, order: Order) -> dict[str, Any]:
        """The full EIP-712 message the user signs for ``openFor``."""
        return gasless_order_typed_data(order)

    def digest(self, order: Order) -> bytes:
        return gasless_order_digest(order)

    def sign(self, order: Order, user: SignerLike | None = None) -> bytes:
        """The user's EIP-712 signature of `order` for ``openFor`` (anyone may then open it)."""
        signer = self._signer(user, "sign a gasless order")
        self._check_origin(order)
        if order.native_in:
            raise OrderInvalid("a gasless order cannot escrow native value (openFor carries none); use open")
        if signer.address != order.user:
            raise InvalidInput(f"order {order.order_id_hex[:10]}… is by {order.user}; {signer.address} cannot sign it")
        return sign_typed(signer, gasless_order_typed_data(order))

    def open_for(self, order: Order, signature: bytes, sender: SignerLike | None = None) -> TxResult:
        """Open a gasless order the user signed; the user's ERC-20 inputs are pulled
        (the user must have approved the settler)."""
        relayer = self._signer(sender, "open a gasless order")
        self._check_origin(order)
        data = self.contract.encode_abi("openFor", [order.gasless(), bytes(signature), b""])
        receipt = send_checked(self.w3, relayer, self.address, data, self._ctx("open", order), timeout=self.timeout)
        expect_event(receipt, self.contract, "Open", subject=f"order {order.order_id_hex}",
                     effect="the order was not opened", orderId=order.order_id)
        return result(receipt, order_id=order.order_id_hex)

    def invalidate_nonces(self, nonces: Iterable[int], user: SignerLike | None = None) -> TxResult:
        """Cancel gasless orders before they are opened (one transaction per bitmap word)."""
        signer = self._signer(user, "cancel gasless orders")
        words: dict[int, int] = {}
        for nonce in nonces:
            if not 0 <= int(nonce) < 2**256:
                raise InvalidInput(f"a nonce is a uint256, got {nonce}")
            words[int(nonce) >> 8] = words.get(int(nonce) >> 8, 0) | (1 << (int(nonce) & 255))
        if not words:
            raise InvalidInput("no nonces to cancel")
        last: TxResult | None = None
        for position, mask in sorted(words.items()):
            data = self.contract.encode_abi("invalidateNonces", [position, mask])
            receipt = send_checked(self.w3, signer, self.address, data, RevertContext(action="cancel"),
                                   timeout=self.timeout)
            expect_event(receipt, self.contract, "NoncesInvalidated", user=signer.address, wordPos=position)
            last = result(receipt)
        assert last is not None
        return last

    def nonce_used(self, user: str, nonce: int) -> bool:
        word = self._read("nonceBitmap", check_address(user, "user"), nonce >> 8)
        return bool(int(word) >> (nonce & 255) & 1)

    def resolve(self, order: Order) -> dict[str, Any]:
        """The settler's ``resolveFor`` of `order` (the ERC-7683 resolved order, as a dict)."""
        self._check_origin(order)
        resolved = self._read("resolveFor", order.gasless(), b"")
        names = ("user", "originChainId", "openDeadline", "fillDeadline", "orderId", "maxSpent", "minReceived",
                 "fillInstructions")
        return dict(zip(names, resolved, strict=True))

    def settle(
        self, items: Sequence[tuple[Order, FillRecord, bytes]], sender: SignerLike | None = None
    ) -> TxResult:
        """Release the escrow of filled orders, each with its oracle's proof (empty for
        oracles that hold what they were told). In a batch, an order that cannot be settled
        (settled meanwhile, not proven, ...) is skipped and the others settle; ``count`` is
        how many settled and :meth:`outcome` says which and why. A single order that cannot
        be settled raises its reason; so does a batch of which none can (``OrderNotOpen``)."""
        relayer = self._signer(sender, "settle orders")
        items = list(items)
        if not 1 <= len(items) <= MAX_SETTLE:
            raise InvalidInput(f"settle takes 1 to {MAX_SETTLE} orders, got {len(items)}")
        for order, _, _ in items:
            self._check_origin(order)
        arg = [(o.as_tuple(), r.payout, r.filler_agent_id, bytes(p)) for o, r, p in items]
        data = self.contract.encode_abi("settle", [arg])
        receipt = send_checked(self.w3, relayer, self.address, data, self._ctx("settle", items[0][0]),
                               timeout=self.timeout)
        logs = self.contract.events.Settled().process_receipt(receipt, errors=DISCARD)
        if not logs:
            expect_event(receipt, self.contract, "Settled", effect="no order was settled")
        return result(receipt, order_id=items[0][0].order_id_hex, count=len(logs))

    def refund(self, items: Sequence[tuple[Order, bytes]], sender: SignerLike | None = None) -> TxResult:
        """Return the escrow of unfilled orders to their users, each with its proof of
        non-fill (empty once ``refundAfter`` has passed, or for a local order). Skips what
        cannot be refunded, as :meth:`settle` does; a user who refuses the refund is credited
        it (:meth:`credits`, :meth:`withdraw`)."""
        relayer = self._signer(sender, "refund orders")
        items = list(items)
        if not 1 <= len(items) <= MAX_SETTLE:
            raise InvalidInput(f"refund takes 1 to {MAX_SETTLE} orders, got {len(items)}")
        for order, _ in items:
            self._check_origin(order)
        data = self.contract.encode_abi("refund", [[(o.as_tuple(), bytes(p)) for o, p in items]])
        receipt = send_checked(self.w3, relayer, self.address, data, self._ctx("refund", items[0][0]),
                               timeout=self.timeout)
        logs = self.contract.events.Refunded().process_receipt(receipt, errors=DISCARD)
        if not logs:
            expect_event(receipt, self.contract, "Refunded", effect="no order was refunded")
        return result(receipt, order_id=items[0][0].order_id_hex, count=len(logs))

    def outcome(self, tx: TxResult | str) -> BatchOutcome:
        """What the settle or refund transaction `tx` (its result or hash) did on this
        settler: the orders it settled or refunded, those it skipped and why, and the
        payments it credited instead of sending."""
        tx_hash = tx.tx_hash if isinstance(tx, TxResult) else str(tx)
        with translate(self.w3, RevertContext(chain_id=self._chain_id)):
            receipt = self.w3.eth.get_transaction_receipt(HexStr(tx_hash))
        events = self.contract.events
        landed = [bytes(log["args"]["orderId"])
                  for kind in (events.Settled(), events.Refunded())
                  for log in kind.process_receipt(receipt, errors=DISCARD)
                  if log["address"] == self.address]
        skipped = {bytes(log["args"]["orderId"]): SkipReason(int(log["args"]["reason"]))
                   for kind in (events.SettleSkipped(), events.RefundSkipped())
                   for log in kind.process_receipt(receipt, errors=DISCARD)
                   if log["address"] == self.address}
        credits = tuple(
            Credit(Web3.to_checksum_address(log["args"]["account"]), Web3.to_checksum_address(log["args"]["token"]),
                   int(log["args"]["amount"]))
            for log in events.Credited().process_receipt(receipt, errors=DISCARD) if log["address"] == self.address
        )
        return BatchOutcome(tx_hash=tx_hash, landed=tuple(landed), skipped=skipped, credits=credits)

    # ------------------------------------------------------------ credits

    def credits(self, account: str, token: str = NATIVE, block: BlockIdentifier = "latest") -> int:
        """What this settler holds for `account` in `token` (``NATIVE``: native value):
        payments of escrow it refused, or did not take within ``PAY_GAS``."""
        return int(self._read("credits", check_address(account, "account"), check_address(token, "token"),
                              block=block))

    def credited(self, account: str, from_block: int, to_block: BlockIdentifier = "latest") -> list[Credit]:
        """The ``Credited`` events of `account` in the block range (which tokens to withdraw)."""
        with translate(self.w3):
            logs = self.contract.events.Credited().get_logs(
                from_block=from_block, to_block=to_block,
                argument_filters={"account": check_address(account, "account")})
        return [Credit(Web3.to_checksum_address(log["args"]["account"]), Web3.to_checksum_address(log["args"]["token"]),
                       int(log["args"]["amount"])) for log in logs]

    def withdraw(self, token: str = NATIVE, to: str | None = None, signer: SignerLike | None = None) -> TxResult:
        """Send everything credited to the signer in `token` (``NATIVE``: native value) to
        `to` (default: the signer). :class:`NoCredit` before sending if there is none."""
        account = self._signer(signer, "withdraw credits")
        token = check_address(token, "token")
        receiver = check_address(to, "to") if to is not None else account.address
        amount = self.credits(account.address, token)
        if amount == 0:
            what = "native value" if token == NATIVE else f"token {token}"
            raise NoCredit(f"nothing is credited to {account.address} in {what} on settler {self.address}; "
                           "check Intents.credits(account, token)", "intents: no credit")
        data = self.contract.encode_abi("withdraw", [token, receiver])
        receipt = send_checked(self.w3, account, self.address, data, RevertContext(action="withdraw",
                               chain_id=self._chain_id), timeout=self.timeout)
        expect_event(receipt, self.contract, "Withdrawn", effect="nothing was withdrawn", account=account.address,
                     token=token)
        return result(receipt)

    # ------------------------------------------------------------ destination

    def fill(self, order: Order, record: FillRecord | None = None, signer: SignerLike | None = None) -> TxResult:
        """Fill `order` on this (its destination) settler: approve the ERC-20 outputs where
        the allowance is short, then ``fill`` with the native outputs as value. `record`
        names the payout on the origin and the filler's agent (default: the filler, none)."""
        filler = self._signer(signer, "fill an order")
        self._check_destination(order)
        filler_data = record.filler_data() if record is not None else b""
        data = self.contract.encode_abi("fill", [order.order_id, order.origin_data, filler_data])
        return self._pay_and_send(filler, order, "fill", data, order.data.outputs, order.native_out, "Filled",
                                  "the order was not filled")

    def check_fillable(self, order: Order, origin: Intents | None) -> OrderStatus | None:
        """Refuse (:class:`~charter.exceptions.OrderNotFillable`) to fill `order` on this settler
        (its destination) when the fill could not be paid, before anything is sent.

        `origin` is the settler of the order's origin chain (this one for a local order):
        the order must be OPEN there; UNKNOWN (never opened there, or a node that lags
        behind the block that opened it), SETTLED and REFUNDED are refused. With `origin`
        None the origin is not read: whoever fills takes the risk of delivering outputs
        for an order that can never settle. Either way this settler must hold no record
        for the order yet (filled, or recorded as not filled). Returns the origin status
        read (OPEN), or None when it was not read.
        """
        self._check_destination(order)
        where = f"order {order.order_id_hex}"
        status: OrderStatus | None = None
        if origin is not None:
            origin._check_origin(order)
            status = origin.origin_status(order.order_id)
            on = f"on its origin (settler {origin.address} on chain {origin.chain_id})"
            if status == OrderStatus.UNKNOWN:
                raise OrderNotFillable(
                    f"{where} is UNKNOWN {on}: it was never opened there, or that node lags behind the block "
                    "that opened it; check the order file, and retry with a node that has caught up; "
                    "nothing was sent"
                )
            if status == OrderStatus.SETTLED:
                raise OrderNotFillable(
                    f"{where} is already SETTLED {on}: it was filled and its escrow paid to that filler, so "
                    "another fill would never be paid; nothing was sent"
                )
            if status == OrderStatus.REFUNDED:
                raise OrderNotFillable(
                    f"{where} is REFUNDED {on}: its escrow went back to its user, so a fill would never be "
                    "paid; nothing was sent"
                )
        record = self.record_of(order.order_id)
        if any(record):
            what = (
                "it was recorded as not filled by its deadline" if record == UNFILLED_RECORD
                else f"it was filled (record 0x{record.hex()})"
            )
            raise OrderNotFillable(
                f"{where} already has a record on its destination (chain {self.chain_id}): {what}; an order is "
                "filled at most once; nothing was sent"
            )
        return status

    def check_oracle(self, oracle: str) -> ChecksumAddress:
        """`oracle` if a contract is deployed there on this (the origin) chain, else
        :class:`~charter.exceptions.InvalidInput`: an order whose oracle has no code can never be
        proven, so it is refunded only after its refund time."""
        address = check_address(oracle, "oracle")
        with translate(self.w3):
            code = bytes(self.w3.eth.get_code(address))
        if not code:
            raise InvalidInput(
                f"oracle {address} has no code on chain {self.chain_id}: a settlement oracle is a contract on the "
                "order's origin chain (an AttesterOracle or a HyperlaneOracle); an order naming this address "
                "could never be settled, only refunded after its refund time; check the address and the chain"
            )
        return address

    def record_unfilled(self, order: Order, sender: SignerLike | None = None) -> TxResult:
        """Record on the destination that `order` was not filled by its fill deadline."""
        signer = self._signer(sender, "record an unfilled order")
        self._check_destination(order)
        if order.is_local:
            raise InvalidInput(
                f"order {order.order_id_hex[:10]}… is local (its destination is its origin settler): it has no "
                "destination record; refund it without a proof once its fill deadline has passed"
            )
        data = self.contract.encode_abi("recordUnfilled", [order.order_id, order.origin_data])
        receipt = send_checked(self.w3, signer, self.address, data, self._ctx("record", order), timeout=self.timeout)
        expect_event(receipt, self.contract, "RecordedUnfilled", orderId=order.order_id)
        return result(receipt, order_id=order.order_id_hex)

    # ------------------------------------------------------------ status

    def origin_status(self, order_id: bytes, block: BlockIdentifier = "latest") -> OrderStatus:
        """UNKNOWN, OPEN, SETTLED or REFUNDED, as this settler (the origin) holds it."""
        return OrderStatus(int(self._read("orderStatus", bytes(order_id), block=block)))

    def settlement_receipt(self, order_id: bytes, block: BlockIdentifier = "latest") -> bytes | None:
        """The receipt this settler (the origin) keeps of a settled order (:meth:`Order.receipt`),
        or None when the order is not settled here."""
        receipt = bytes(self._read("settlementReceipt", bytes(order_id), block=block))
        return receipt if any(receipt) else None

    def settled(self, order_id: bytes, from_block: int = 0) -> tuple[Order, FillRecord] | None:
        """A settled order and the fill it was settled with, from this settler's (the origin's)
        ``Open`` and ``Settled`` logs since `from_block`, checked against its receipt
        (:meth:`settlement_receipt`); None while the order is not settled here."""
        order_id = bytes(order_id)
        held = self.settlement_receipt(order_id)
        if held is None:
            return None
        with translate(self.w3, RevertContext(chain_id=self._chain_id)):
            opened = self.contract.events.Open().get_logs(from_block=from_block, argument_filters={"orderId": order_id})
            settled = self.contract.events.Settled().get_logs(from_block=from_block,
                                                              argument_filters={"orderId": order_id})
        orders = [Order.from_origin_data(log["args"]["resolvedOrder"]["fillInstructions"][0]["originData"])
                  for log in opened if len(log["args"]["resolvedOrder"]["fillInstructions"]) == 1]
        order = next((o for o in orders if o.order_id == order_id), None)
        if order is None or not settled:
            raise InvalidInput(
                f"order 0x{order_id.hex()} is settled on chain {self.chain_id} but its Open or Settled log is not "
                f"in blocks {from_block}..latest; give the block it was opened in (from_block)"
            )
        args = settled[-1]["args"]
        fill = FillRecord(payout=args["payout"], filler_agent_id=args["fillerAgentId"])
        if order.receipt(fill) != held:
            raise InvalidInput(f"the logs of order 0x{order_id.hex()} do not match its settlement receipt; "
                               "check the settler address")
        return order, fill

    def record_of(self, order_id: bytes, block: BlockIdentifier = "latest") -> bytes:
        """The record this settler (the destination) holds for `order_id` (32 zero bytes if none)."""
        return bytes(self._read("fillRecords", bytes(order_id), block=block))

    def status(self, order: Order, destination: Intents | None = None) -> OrderStatus:
        """Where `order` stands: its origin status (this settler), refined by its
        destination (`destination`, or this settler for a local order) while it is open."""
        self._check_origin(order)
        status = self.origin_status(order.order_id)
        if status != OrderStatus.OPEN:
            return status
        dest = destination or (self if order.is_local else None)
        if dest is not None:
            record = dest.record_of(order.order_id)
            if record == UNFILLED_RECORD:
                return OrderStatus.EXPIRED
            if any(record):
                return OrderStatus.FILLED
            if dest._now() > order.fill_deadline:
                return OrderStatus.EXPIRED
        return status

    # ------------------------------------------------------------ events

    def opened(self, from_block: int, to_block: BlockIdentifier = "latest") -> list[OpenedOrder]:
        """Charter orders opened on this settler in the block range (others are skipped)."""
        found = []
        with translate(self.w3):
            logs = self.contract.events.Open().get_logs(from_block=from_block, to_block=to_block)
        for log in logs:
            resolved = log["args"]["resolvedOrder"]
            instructions = resolved["fillInstructions"]
            if len(instructions) != 1:
                continue
            try:
                order = Order.from_origin_data(instructions[0]["originData"])
            except InvalidInput:
                continue
            if order.order_id != bytes(log["args"]["orderId"]):
                continue
            found.append(OpenedOrder(order, int(log["blockNumber"]), log["transactionHash"].to_0x_hex(),
                                     int(log["logIndex"])))
        return found

    def fills(self, from_block: int, to_block: BlockIdentifier = "latest") -> list[FillEvent]:
        with translate(self.w3):
            logs = self.contract.events.Filled().get_logs(from_block=from_block, to_block=to_block)
        return [
            FillEvent(
                order_id=bytes(log["args"]["orderId"]),
                filler=Web3.to_checksum_address(log["args"]["filler"]),
                record=FillRecord(payout=log["args"]["payout"], filler_agent_id=log["args"]["fillerAgentId"]),
                record_hash=bytes(log["args"]["recordHash"]),
                block_number=int(log["blockNumber"]),
                tx_hash=log["transactionHash"].to_0x_hex(),
            )
            for log in logs
        ]

    def unfilled(self, from_block: int, to_block: BlockIdentifier = "latest") -> list[UnfilledEvent]:
        with translate(self.w3):
            logs = self.contract.events.RecordedUnfilled().get_logs(from_block=from_block, to_block=to_block)
        return [
            UnfilledEvent(bytes(log["args"]["orderId"]), int(log["blockNumber"]), log["transactionHash"].to_0x_hex())
            for log in logs
        ]

    # ------------------------------------------------------------ internals

    def _now(self) -> int:
        with translate(self.w3):
            return int(self.w3.eth.get_block("latest")["timestamp"])

    def _read(self, fn: str, *args: Any, block: BlockIdentifier = "latest") -> Any:
        with translate(self.w3, RevertContext(chain_id=self._chain_id)):
            return self.contract.get_function_by_name(fn)(*args).call(block_identifier=block)

    def _ctx(self, action: str, order: Order) -> RevertContext:
        return RevertContext(action=action, chain_id=self._chain_id, order_id=order.order_id_hex,
                             agent_id=order.data.agent_id or None)

    def _check_origin(self, order: Order) -> None:
        if order.origin_chain_id != self.chain_id or order.origin_settler != self.address:
            raise InvalidInput(
                f"order {order.order_id_hex[:10]}… has its origin at settler {order.origin_settler} on chain "
                f"{order.origin_chain_id}, not this settler {self.address} on chain {self.chain_id}; "
                "use the Intents client of its origin chain"
            )

    def _check_destination(self, order: Order) -> None:
        if order.data.destination_chain_id != self.chain_id or order.data.destination_settler != self.address:
            raise InvalidInput(
                f"order {order.order_id_hex[:10]}… is destined for settler {order.data.destination_settler} on "
                f"chain {order.data.destination_chain_id}, not this settler {self.address} on chain "
                f"{self.chain_id}; fill it with the Intents client of its destination chain"
            )

    def _pay_and_send(self, signer: Signer, order: Order, action: str, data: bytes | str,
                      payments: Sequence[Input | Output], value: int, event: str, effect: str) -> TxResult:
        """Approve the ERC-20 `payments` where the allowance is short, send `data` with the
        native ones as `value`, and return once `event` for the order is in the receipt."""
        for item in payments:
            if not item.native:
                self._ensure_allowance(signer, item.token, item.amount)
        receipt = send_checked(self.w3, signer, self.address, data, self._ctx(action, order), value=value,
                               timeout=self.timeout)
        expect_event(receipt, self.contract, event, subject=f"order {order.order_id_hex}", effect=effect,
                     orderId=order.order_id)
        return result(receipt, order_id=order.order_id_hex)

    def _ensure_allowance(self, owner: Signer, token: str, amount: int) -> None:
        erc20 = self.w3.eth.contract(address=Web3.to_checksum_address(token), abi=ERC20_ABI)
        with translate(self.w3):
            if len(self.w3.eth.get_code(erc20.address)) == 0:
                raise InvalidInput(f"token {token} has no code on chain {self.chain_id}")
            allowance = int(erc20.functions.allowance(owner.address, self.address).call())
        if allowance >= amount:
            return
        receipt = send_checked(self.w3, owner, erc20.address, _approve_data(self.w3, self.address, amount),
                               RevertContext(action="approve"), timeout=self.timeout)
        expect_event(receipt, erc20, "Approval", owner=owner.address, spender=self.address,
                     effect="the settler was not approved")


def fill_origin(order: Order, destination: Intents, origin: Intents | None, skip_origin_check: bool) -> Intents | None:
    """Where a fill of `order` on `destination` reads the order first: `origin` (a settler of
    its origin chain) if given, `destination` itself for a local order, None only when the
    filler took the risk (`skip_origin_check`); otherwise :class:`InvalidInput` says what to give."""
    if skip_origin_check and origin is not None:
        raise InvalidInput("--skip-origin-check and --origin-rpc contradict each other: give one of them")
    if origin is not None:
        return origin
    if order.origin_chain_id == destination.chain_id:
        return destination
    if skip_origin_check:
        return None
    raise InvalidInput(
        f"order {order.order_id_hex}'s origin is chain {order.origin_chain_id}, not the connected chain "
        f"{destination.chain_id}: pass --origin-rpc URL (a node of chain {order.origin_chain_id}) so that the fill "
        "checks the order is OPEN there, or --skip-origin-check to fill at your risk (you may deliver outputs "
        "for an order that can never settle); nothing was sent"
    )


def check_order(order: Order, now: int | None = None) -> None:
    """The settler's checks of an order's own fields, client-side; :class:`OrderInvalid`."""
    d = order.data
    now = int(now if now is not None else time.time())
    problems = []
    if order.fill_deadline <= now:
        problems.append("the fill deadline is not in the future")
    if order.open_deadline > order.fill_deadline:
        problems.append("the open deadline is after the fill deadline")
    if d.refund_after < order.fill_deadline + MIN_REFUND_DELAY:
        problems.append(f"refund_after must be at least {MIN_REFUND_DELAY:,} s after the fill deadline")
    if d.exclusive_filler == NATIVE and d.exclusivity_deadline:
        problems.append("an exclusivity deadline needs an exclusive filler")
    if any(i.amount == 0 for i in d.inputs) or any(o.amount == 0 for o in d.outputs):
        problems.append("every input and output amount must be positive")
    if any(o.chain_id != d.destination_chain_id for o in d.outputs):
        problems.append("every output must be on the destination chain")
    if any(o.recipient == NATIVE for o in d.outputs):
        problems.append("every output needs a recipient")
    if not order.is_local and d.oracle == NATIVE:
        problems.append("an order whose destination is another chain or settler needs an oracle")
    if problems:
        raise OrderInvalid(f"order {order.order_id_hex[:10]}… is refused: " + "; ".join(problems))


def _build(model: Any, **fields: Any) -> Any:
    try:
        return model(**fields)
    except ValueError as exc:
        raise OrderInvalid(f"not a valid order: {validation_message(exc)}") from None


def _approve_data(w3: Web3, spender: str, amount: int) -> bytes:
    token = w3.eth.contract(abi=ERC20_ABI)
    return bytes(HexBytes(token.encode_abi("approve", [Web3.to_checksum_address(spender), amount])))


__all__ = [
    "DEFAULT_FILL_WINDOW",
    "MAX_INPUTS",
    "MAX_OUTPUTS",
    "FillEvent",
    "Intents",
    "OpenedOrder",
    "UnfilledEvent",
    "check_order",
]
