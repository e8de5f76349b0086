"""Clients of the ERC-8004 Reputation and Validation registries, plain and receipt-backed.

    charter = Charter.connect(w3, signer=alice)
    charter.reputation.give(agent_id, 87)                    # anyone may review (plain ERC-8004)
    charter.backed_reputation.give_for_order(order_id, 95)   # a counterparty of a settled order
    charter.backed_reputation.backed_summary(agent_id, min_value=10**15)
    charter.validation.request(validator, agent_id, "ipfs://…")

Writes are checked client-side, then simulated from the signer's address so a
refusal surfaces as a typed exception (:class:`~charter.exceptions.TrustRefused`
and its subclasses) before anything is sent; every write is confirmed by the
event it must emit.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal

from eth_typing import ChecksumAddress
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.types import BlockIdentifier

from .._core.artifacts import abi
from .._core.chain import ChainClient
from .._core.checks import check_address
from .._core.revert import RevertContext, translate
from .._core.signers import SignerLike
from .._core.tx import TxResult, expect_event, result, send_checked
from ..exceptions import InvalidInput, NotACounterparty, ReceiptMissing, ReceiptUsed
from ..intents.models import FillRecord, Order
from ..registry.models import check_agent_id
from . import errors as _errors  # noqa: F401  (registers the trust reverts)
from .models import (
    FEEDBACK_TAG,
    NATIVE,
    BackedSummary,
    Backing,
    Feedback,
    Receipt,
    Summary,
    ValidationStatus,
    ValidationSummary,
    check_hash,
    check_tag,
    check_uri,
    check_value,
)

_ZERO32 = b"\0" * 32
_PAGE = 1_024
Side = Literal["filler", "opener"]
"""Which agent of a settled order a feedback is about."""


def _order_id(order_id: bytes | str) -> bytes:
    return check_hash(order_id, "order id")


class _Registry(ChainClient):
    _abi_name = ""
    _kind = ""

    def __init__(
        self, w3: Web3, address: str, signer: SignerLike | None = None, *, timeout: float = 120,
        chain_id: int | None = None,
    ) -> None:
        super().__init__(w3, signer, chain_id=chain_id, timeout=timeout)
        self.address: ChecksumAddress = check_address(address, f"{self._kind} registry address")
        self.contract: Contract = w3.eth.contract(address=self.address, abi=abi(self._abi_name))

    def __repr__(self) -> str:
        who = self.signer.address if self.signer is not None else "read-only"
        return f"<{type(self).__name__} {self.address} ({who})>"

    def with_signer(self, signer: SignerLike) -> Any:
        """The same registry, sending as `signer`."""
        return type(self)(self.w3, self.address, signer, timeout=self.timeout, chain_id=self._chain_id)

    def identity_registry(self) -> ChecksumAddress:
        """The identity registry whose agents this registry is about."""
        return Web3.to_checksum_address(self._read("getIdentityRegistry"))

    def _ctx(self, action: str, agent_id: int | None = None, order_id: bytes | None = None) -> RevertContext:
        return RevertContext(action=action, agent_id=agent_id, chain_id=self._chain_id, registry=self.address,
                             order_id=None if order_id is None else "0x" + order_id.hex())

    def _read(self, fn: str, *args: Any, agent_id: int | None = None, block: BlockIdentifier = "latest") -> Any:
        with translate(self.w3, RevertContext(agent_id=agent_id, chain_id=self._chain_id, registry=self.address)):
            return self.contract.get_function_by_name(fn)(*args).call(block_identifier=block)

    def _send(self, signer: SignerLike | None, action: str, fn: str, *args: Any, ctx: RevertContext) -> Any:
        chosen = self._signer(signer, action)
        data = self.contract.get_function_by_name(fn)(*args)._encode_transaction_data()
        return send_checked(self.w3, chosen, self.address, data, ctx, timeout=self.timeout), chosen

    def _paged(self, count_fn: str, page_fn: str, key: Any) -> list[Any]:
        total = int(self._read(count_fn, key))
        out: list[Any] = []
        while len(out) < total:
            page = self._read(page_fn, key, len(out))
            if not page:
                break
            out.extend(page)
        return out


class Reputation(_Registry):
    """Typed client of one ReputationRegistry: the ERC-8004 one, or the receipt-backed one
    (bound to an IntentSettler: :attr:`backed`)."""

    _abi_name = "ReputationRegistry"
    _kind = "reputation"

    @property
    def settler(self) -> ChecksumAddress | None:
        """The IntentSettler whose settled orders back feedback here; None for the plain registry."""
        if not hasattr(self, "_settler"):
            found = self._read("SETTLER")
            self._settler = None if int(found, 16) == 0 else Web3.to_checksum_address(found)
        return self._settler

    @property
    def backed(self) -> bool:
        """Whether every feedback here cites a settled order (the receipt-backed registry)."""
        return self.settler is not None

    # ------------------------------------------------------------ writes

    def give(
        self,
        agent_id: int,
        value: int | float | str | Decimal,
        decimals: int | None = None,
        *,
        tag1: str = "",
        tag2: str = "",
        endpoint: str = "",
        feedback_uri: str = "",
        feedback_hash: bytes | str | None = None,
        signer: SignerLike | None = None,
    ) -> TxResult:
        """``giveFeedback`` on `agent_id`, as the signer. `value` is an int (with `decimals`, default
        0) or a decimal number (``"87.5"``: its own decimals). In the receipt-backed registry,
        `feedback_hash` is the settled order's id: prefer :meth:`give_for_order`. The result's
        ``index`` is the feedback's index for this client."""
        agent_id = check_agent_id(agent_id)
        raw, places = check_value(value, decimals)
        digest = check_hash(feedback_hash, "feedback hash")
        args = (agent_id, raw, places, check_tag(tag1, "tag1"), check_tag(tag2, "tag2"),
                check_uri(endpoint, "endpoint"), check_uri(feedback_uri, "feedback URI"), digest)
        ctx = self._ctx("give feedback to", agent_id, digest if self.backed else None)
        receipt, chosen = self._send(signer, "give feedback", "giveFeedback", *args, ctx=ctx)
        log = expect_event(receipt, self.contract, "NewFeedback", agentId=agent_id, clientAddress=chosen.address,
                           effect="no feedback was recorded")
        return result(receipt, agent_id=agent_id, index=int(log["args"]["feedbackIndex"]))

    def give_for_order(
        self,
        order_id: bytes | str,
        value: int | float | str | Decimal,
        decimals: int | None = None,
        *,
        about: Side | None = None,
        agent_id: int | None = None,
        tag1: str = FEEDBACK_TAG,
        tag2: str = "",
        endpoint: str = "",
        feedback_uri: str = "",
        inboxes: Sequence[str] = (),
        from_block: int = 0,
        signer: SignerLike | None = None,
    ) -> TxResult:
        """Receipt-backed feedback on the other side of settled order `order_id` (this registry's
        settler is its origin): the opener's side reviews the filler's agent, the filler's side the
        opener's agent. `about` picks the side when the signer is on both; `agent_id` is the
        reviewed agent's id here (found by itself: the filler's agent when it lives on this chain,
        else the agent representing it through one of `inboxes` or the order's oracle).
        Records the order's receipt first when nobody has (the result's ``note`` says so)."""
        order_id = _order_id(order_id)
        if not self.backed:
            raise InvalidInput(f"{self.address} is the plain ERC-8004 registry: feedback for an order goes to "
                               "the receipt-backed one (Charter.backed_reputation)")
        chosen = self._signer(signer, "give feedback")
        # Refuse bad arguments before the receipt is recorded (a transaction of its own).
        check_value(value, decimals)
        check_tag(tag1, "tag1")
        check_tag(tag2, "tag2")
        check_uri(endpoint, "endpoint")
        check_uri(feedback_uri, "feedback URI")
        note = None
        receipt = self.receipt(order_id) or self._settled_receipt(order_id, from_block)
        # The side is worked out (and a stranger refused) before anything is sent.
        side = about or self._side(receipt, chosen.address)
        target = agent_id if agent_id is not None else self._agent_on(receipt, side, inboxes, from_block)
        if self.receipt(order_id) is None:
            try:
                recorded = self.record_receipt(order_id, from_block=from_block, signer=chosen)
                if recorded.sent:
                    note = f"recorded the order's receipt first (tx {recorded.tx_hash})"
            except ReceiptUsed as exc:  # someone (the relayer) recorded it meanwhile: give the feedback
                if exc.reason != "reputation: receipt recorded":
                    raise
        done = self.give(target, value, decimals, tag1=tag1, tag2=tag2, endpoint=endpoint,
                         feedback_uri=feedback_uri, feedback_hash=order_id, signer=chosen)
        return done.model_copy(update={"order_id": "0x" + order_id.hex(), "note": note})

    def _settled_order(self, order_id: bytes, from_block: int) -> tuple[Order, FillRecord]:
        """Settled order `order_id` and its fill, from the settler's logs; :class:`ReceiptMissing`
        while it is not settled there."""
        from ..intents.client import Intents

        assert self.settler is not None
        found = Intents(self.w3, self.settler, chain_id=self._chain_id).settled(order_id, from_block)
        if found is None:
            raise ReceiptMissing(
                f"order 0x{order_id.hex()} is not settled on chain {self.chain_id} (settler {self.settler}); "
                "feedback backed by it can be given once it is settled there (its origin chain)")
        return found

    def _settled_receipt(self, order_id: bytes, from_block: int) -> Receipt:
        """The receipt settled order `order_id` will have once recorded, from the settler's logs."""
        order, fill = self._settled_order(order_id, from_block)
        first = order.data.inputs[0]
        return Receipt(order_id=order_id, user=order.user, opener_agent_id=order.data.agent_id,
                       filler_agent_id=fill.filler_agent_id, filler_chain_id=order.data.destination_chain_id,
                       payout=fill.payout, token=first.token, amount=first.amount)

    def record_receipt(
        self, order_id: bytes | str, *, from_block: int = 0, signer: SignerLike | None = None,
    ) -> TxResult:
        """Record settled order `order_id`'s receipt here (anyone may; once), its fields read from
        the settler's logs since `from_block` and checked against its ``settlementReceipt``.
        Nothing is sent when it is already recorded (``sent`` False)."""
        order_id = _order_id(order_id)
        if not self.backed:
            raise InvalidInput(f"{self.address} is the plain ERC-8004 registry: it keeps no receipts")
        if self.receipt(order_id) is not None:
            return TxResult(tx_hash="", block_number=0, gas_used=0, sent=False, order_id="0x" + order_id.hex(),
                            note="the receipt is already recorded")
        order, fill = self._settled_order(order_id, from_block)
        args = (order_id, order.user, order.data.agent_id, fill.filler_agent_id, order.data.destination_chain_id,
                fill.payout, [i.as_tuple() for i in order.data.inputs])
        receipt, _ = self._send(signer, "record a receipt", "recordReceipt", *args,
                                ctx=self._ctx("record the receipt of", order_id=order_id))
        expect_event(receipt, self.contract, "ReceiptRecorded", orderId=order_id, effect="no receipt was recorded")
        return result(receipt, order_id="0x" + order_id.hex())

    def revoke(self, agent_id: int, index: int, signer: SignerLike | None = None) -> TxResult:
        """Revoke the signer's feedback number `index` on `agent_id` (it stays readable, flagged)."""
        agent_id = check_agent_id(agent_id)
        index = self._index(index)
        receipt, chosen = self._send(signer, "revoke feedback", "revokeFeedback", agent_id, index,
                                     ctx=self._ctx("revoke feedback on", agent_id))
        expect_event(receipt, self.contract, "FeedbackRevoked", agentId=agent_id, clientAddress=chosen.address,
                     feedbackIndex=index, effect="nothing was revoked")
        return result(receipt, agent_id=agent_id, index=index)

    def respond(
        self, agent_id: int, client: str, index: int, response_uri: str, response_hash: bytes | str | None = None,
        signer: SignerLike | None = None,
    ) -> TxResult:
        """Append a response (anyone may: the agent refuting, an auditor) to `client`'s feedback
        number `index` on `agent_id`."""
        agent_id = check_agent_id(agent_id)
        client = check_address(client, "client")
        index = self._index(index)
        if not response_uri:
            raise InvalidInput("a response needs a URI (its hash is optional)")
        args = (agent_id, client, index, check_uri(response_uri, "response URI"), check_hash(response_hash, "hash"))
        receipt, chosen = self._send(signer, "respond", "appendResponse", *args,
                                     ctx=self._ctx("respond to feedback on", agent_id))
        expect_event(receipt, self.contract, "ResponseAppended", agentId=agent_id, clientAddress=client,
                     feedbackIndex=index, responder=chosen.address, effect="no response was recorded")
        return result(receipt, agent_id=agent_id, index=index)

    # ------------------------------------------------------------ reads

    def last_index(self, agent_id: int, client: str) -> int:
        """The client's latest feedback index on the agent (0: none)."""
        return int(self._read("getLastIndex", check_agent_id(agent_id), check_address(client, "client")))

    def clients(self, agent_id: int) -> list[ChecksumAddress]:
        """Every client that reviewed the agent, in order (paged: any number)."""
        agent_id = check_agent_id(agent_id)
        return [Web3.to_checksum_address(a) for a in self._paged("getClientCount", "getClientsFrom", agent_id)]

    def feedback(self, agent_id: int, client: str, index: int) -> Feedback:
        """One feedback entry (with its backing in the receipt-backed registry)."""
        agent_id = check_agent_id(agent_id)
        client = check_address(client, "client")
        index = self._index(index)
        value, decimals, tag1, tag2, revoked = self._read("readFeedback", agent_id, client, index, agent_id=agent_id)
        return Feedback(agent_id=agent_id, client=client, index=index, value=value, decimals=decimals, tag1=tag1,
                        tag2=tag2, revoked=revoked, backing=self.backing(agent_id, client, index))

    def feedbacks(
        self, agent_id: int, clients: Sequence[str] | None = None, *, tag1: str = "", tag2: str = "",
        include_revoked: bool = False,
    ) -> list[Feedback]:
        """Every entry on the agent from `clients` (default: all its clients), matching the tags,
        with their backing in the receipt-backed registry; pages through any number of clients."""
        agent_id = check_agent_id(agent_id)
        chosen = self._clients(agent_id, clients)
        out: list[Feedback] = []
        for start in range(0, len(chosen), 64):
            rows = self._read("readAllFeedback", agent_id, chosen[start:start + 64], tag1, tag2, include_revoked,
                              agent_id=agent_id)
            for client, index, value, decimals, t1, t2, revoked in zip(*rows, strict=True):
                client = Web3.to_checksum_address(client)
                out.append(Feedback(agent_id=agent_id, client=client, index=index, value=value, decimals=decimals,
                                    tag1=t1, tag2=t2, revoked=revoked,
                                    backing=self.backing(agent_id, client, index)))
        return out

    def summary(
        self, agent_id: int, clients: Sequence[str] | None = None, *, tag1: str = "", tag2: str = "",
    ) -> Summary:
        """``getSummary`` over `clients` (default: every client of the agent, as ``getClients``)."""
        agent_id = check_agent_id(agent_id)
        chosen = self._clients(agent_id, clients)
        if not chosen:
            return Summary(count=0, value=0, decimals=0)
        count, value, decimals = self._read("getSummary", agent_id, chosen, tag1, tag2, agent_id=agent_id)
        return Summary(count=count, value=value, decimals=decimals)

    def response_count(self, agent_id: int, client: str, index: int, responders: Sequence[str] = ()) -> int:
        """Responses to one entry (by `responders`, or by anyone)."""
        return int(self._read("getResponseCount", check_agent_id(agent_id), check_address(client, "client"),
                              self._index(index), [check_address(r, "responder") for r in responders]))

    def receipt(self, order_id: bytes | str) -> Receipt | None:
        """The recorded receipt of a settled order, or None (always None in the plain registry)."""
        order_id = _order_id(order_id)
        if not self.backed:
            return None
        user, opener, filler, chain, payout, token, amount = self._read("receiptOf", order_id)
        if int(user, 16) == 0:
            return None
        return Receipt(order_id=order_id, user=user, opener_agent_id=opener, filler_agent_id=filler,
                       filler_chain_id=chain, payout=payout, token=token, amount=amount)

    def backing(self, agent_id: int, client: str, index: int) -> Backing | None:
        """The settled order a feedback cites and what it moved; None in the plain registry."""
        if not self.backed:
            return None
        order_id, token, amount = self._read("backingOf", agent_id, client, index)
        if not any(order_id):
            return None
        return Backing(order_id=bytes(order_id), token=token, amount=amount)

    def backed_summary(
        self,
        agent_id: int,
        *,
        min_value: int = 0,
        token: str | None = None,
        tag1: str = "",
        tag2: str = "",
        clients: Sequence[str] | None = None,
    ) -> BackedSummary:
        """The agent's unrevoked receipt-backed entries whose order moved at least `min_value` (of
        `token`, when given: entries in other tokens are ignored), with their count, average score,
        settled value per token and distinct clients. Each entry is a distinct settled order, so
        the count is the number of settled orders behind the score; `min_value` makes dust orders
        between Sybils count for nothing."""
        if not self.backed:
            raise InvalidInput(f"{self.address} is the plain ERC-8004 registry: its feedback is backed by "
                               "nothing; read the receipt-backed one (Charter.backed_reputation)")
        want = None if token is None else check_address(token, "token").lower()
        counted: list[Feedback] = []
        ignored = 0
        for entry in self.feedbacks(agent_id, clients, tag1=tag1, tag2=tag2):
            backing = entry.backing
            if backing is None or backing.amount < min_value or (want is not None and backing.token.lower() != want):
                ignored += 1
                continue
            counted.append(entry)
        volume: dict[str, int] = {}
        for entry in counted:
            assert entry.backing is not None
            key = entry.backing.token.lower()
            volume[key] = volume.get(key, 0) + entry.backing.amount
        average = sum((e.score for e in counted), Decimal(0)) / len(counted) if counted else None
        return BackedSummary(agent_id=agent_id, count=len(counted), average=average, volume=volume,
                             clients=len({e.client for e in counted}), ignored=ignored)

    # ------------------------------------------------------------ internals

    @staticmethod
    def _index(index: int) -> int:
        if not isinstance(index, int) or isinstance(index, bool) or not 1 <= index < 2**64:
            raise InvalidInput(f"feedback index {index!r}: indexes start at 1 (getLastIndex gives the latest)")
        return index

    def _clients(self, agent_id: int, clients: Sequence[str] | None) -> list[ChecksumAddress]:
        if clients is None:
            return self.clients(agent_id)
        return [check_address(c, "client") for c in clients]

    def _side(self, receipt: Receipt, sender: str) -> Side:
        """Which agent `sender` reviews: the filler's when it is on the opener's side, the opener's
        when it is on the filler's side; refused when it is on neither or both."""
        from ..registry.client import Registry

        identity = Registry(self.w3, self.identity_registry(), chain_id=self._chain_id)

        def signs_for(agent: int) -> bool:
            if agent == 0:
                return False
            owner, wallet = identity.consent_signers(agent)
            return sender.lower() in {owner.lower(), (wallet or NATIVE).lower()}

        opener_side = sender.lower() == receipt.user.lower() or signs_for(receipt.opener_agent_id)
        filler_side = receipt.opener_agent_id != 0 and (
            sender.lower() == receipt.payout.lower()
            or (receipt.filler_chain_id == self.chain_id and signs_for(receipt.filler_agent_id)))
        if opener_side and filler_side:
            raise InvalidInput(f"{sender} is on both sides of order 0x{receipt.order_id.hex()}: say which agent the "
                               "feedback is about: the filler's or the opener's agent (about=, or --about)")
        if opener_side and receipt.filler_agent_id != 0:
            return "filler"
        if filler_side:
            return "opener"
        raise NotACounterparty(
            f"{sender} is not a counterparty of order 0x{receipt.order_id.hex()}: feedback on its filler's agent "
            "comes from the order's user or its opener agent's owner or wallet, feedback on its opener's agent from "
            "the fill's payout or the filler agent's owner or wallet; send from one of those")

    def _agent_on(self, receipt: Receipt, side: Side, inboxes: Sequence[str], from_block: int) -> int:
        """The id here of the agent on `side` of the order: for a filler's agent of another chain,
        the agent representing it through one of `inboxes` or the order's oracle."""
        if side == "opener":
            if receipt.opener_agent_id == 0:
                raise InvalidInput(f"order 0x{receipt.order_id.hex()} was opened for no agent: nothing to review")
            return receipt.opener_agent_id
        if receipt.filler_agent_id == 0:
            raise InvalidInput(f"order 0x{receipt.order_id.hex()} was filled for no agent: nothing to review")
        if receipt.filler_chain_id == self.chain_id:
            return receipt.filler_agent_id
        from ..intents.client import Intents
        from ..registry.client import Registry
        from ..registry.represent import represented_id

        identity = Registry(self.w3, self.identity_registry(), chain_id=self._chain_id)
        tried = list(dict.fromkeys(check_address(inbox, "inbox") for inbox in inboxes))
        assert self.settler is not None
        found = Intents(self.w3, self.settler, chain_id=self._chain_id).settled(receipt.order_id, from_block)
        if found is not None and found[0].data.oracle not in tried:
            tried.append(Web3.to_checksum_address(found[0].data.oracle))  # the proving committee carries agents
        for inbox in tried:
            local = represented_id(inbox, receipt.filler_chain_id, receipt.filler_agent_id)
            home = identity.home_of(local)
            if home is not None and home[:2] == (receipt.filler_chain_id, receipt.filler_agent_id):
                return local
        raise InvalidInput(
            f"the filler's agent {receipt.filler_agent_id} of chain {receipt.filler_chain_id} is not represented on "
            f"chain {self.chain_id} through {', '.join(tried)}: have it represented here (the relayer's [[agents]]), "
            "name its inbox, or give the local agent id")


class Validation(_Registry):
    """Typed client of one ValidationRegistry."""

    _abi_name = "ValidationRegistry"
    _kind = "validation"

    def request(
        self, validator: str, agent_id: int, request_uri: str, request_hash: bytes | str | None = None,
        signer: SignerLike | None = None,
    ) -> TxResult:
        """Ask `validator` to validate work of `agent_id` (as its owner, an operator or its
        approved address). `request_hash` defaults to keccak256 of `request_uri` (hashes are
        global: choose ones that commit to the agent and the work); the result's
        ``request_hash`` is the hash used."""
        validator = check_address(validator, "validator")
        agent_id = check_agent_id(agent_id)
        digest = check_hash(request_hash, "request hash") if request_hash is not None else request_hash_of(request_uri)
        receipt, _ = self._send(signer, "ask for a validation", "validationRequest", validator, agent_id,
                                check_uri(request_uri, "request URI"), digest,
                                ctx=self._ctx("ask for a validation of", agent_id))
        expect_event(receipt, self.contract, "ValidationRequest", validatorAddress=validator, agentId=agent_id,
                     requestHash=digest, effect="no request was recorded")
        return result(receipt, agent_id=agent_id, request_hash="0x" + digest.hex())

    def respond(
        self, request_hash: bytes | str, response: int, *, response_uri: str = "",
        response_hash: bytes | str | None = None, tag: str = "", signer: SignerLike | None = None,
    ) -> TxResult:
        """Answer a request as its validator: a score from 0 to 100 (again later: the last stands)."""
        digest = check_hash(request_hash, "request hash")
        if not isinstance(response, int) or isinstance(response, bool) or not 0 <= response <= 100:
            raise InvalidInput(f"a validation response is a score from 0 to 100, not {response!r}")
        receipt, chosen = self._send(signer, "answer a validation", "validationResponse", digest, response,
                                     check_uri(response_uri, "response URI"), check_hash(response_hash, "hash"),
                                     check_tag(tag), ctx=self._ctx("answer the validation"))
        log = expect_event(receipt, self.contract, "ValidationResponse", validatorAddress=chosen.address,
                           requestHash=digest, response=response, effect="no response was recorded")
        return result(receipt, agent_id=int(log["args"]["agentId"]))

    def status(self, request_hash: bytes | str) -> ValidationStatus:
        """A request and its last response. Raises :class:`~charter.exceptions.UnknownValidationRequest`."""
        digest = check_hash(request_hash, "request hash")
        validator, agent_id, response, response_hash, tag, last = self._read("getValidationStatus", digest)
        return ValidationStatus(request_hash=digest, validator=validator, agent_id=agent_id, response=response,
                                response_hash=bytes(response_hash), tag=tag, last_update=last)

    def summary(self, agent_id: int, validators: Sequence[str] = (), tag: str = "") -> ValidationSummary:
        """Answered requests of the agent (by `validators`, or by any) and their average score."""
        agent_id = check_agent_id(agent_id)
        count, average = self._read("getSummary", agent_id, [check_address(v, "validator") for v in validators], tag,
                                    agent_id=agent_id)
        return ValidationSummary(count=count, average=average)

    def agent_requests(self, agent_id: int) -> list[bytes]:
        """Every request made for the agent, in order (paged: any number)."""
        agent_id = check_agent_id(agent_id)
        return [bytes(h) for h in self._paged("getAgentValidationCount", "getAgentValidationsFrom", agent_id)]

    def validator_requests(self, validator: str) -> list[bytes]:
        """Every request naming `validator`, in order (paged: any number)."""
        validator = check_address(validator, "validator")
        return [bytes(h) for h in self._paged("getValidatorRequestCount", "getValidatorRequestsFrom", validator)]

    def requests_to(
        self, validator: str, from_block: int, to_block: BlockIdentifier = "latest",
    ) -> list[dict[str, Any]]:
        """``ValidationRequest`` events naming `validator` in the block range: request hash, agent
        id, request URI, block number."""
        validator = check_address(validator, "validator")
        with translate(self.w3, RevertContext(chain_id=self._chain_id)):
            logs = self.contract.events.ValidationRequest().get_logs(
                from_block=from_block, to_block=to_block, argument_filters={"validatorAddress": validator})
        return [{"request_hash": bytes(log["args"]["requestHash"]), "agent_id": int(log["args"]["agentId"]),
                 "request_uri": str(log["args"]["requestURI"]), "block_number": int(log["blockNumber"])}
                for log in logs]


def request_hash_of(request_uri: str) -> bytes:
    """The request hash Charter's tools use: keccak256 of the request URI's bytes."""
    return keccak(text=request_uri)


FILL_REQUEST = "charter:fill:{chain_id}:0x{order_id}"
"""The request URI asking a validator whether an order of origin chain ``chain_id`` was filled and
settled as proven (the attester committee answers it: :mod:`charter.processes.validate`)."""


def fill_request(origin_chain_id: int, order_id: bytes | str) -> tuple[str, bytes]:
    """(request URI, request hash) asking whether order `order_id` of `origin_chain_id` was filled
    by the requesting agent and settled."""
    uri = FILL_REQUEST.format(chain_id=int(origin_chain_id), order_id=_order_id(order_id).hex())
    return uri, request_hash_of(uri)


def parse_fill_request(request_uri: str) -> tuple[int, bytes] | None:
    """(origin chain id, order id) of a fill request URI, or None if it is not one."""
    parts = request_uri.split(":")
    if len(parts) != 4 or parts[:2] != ["charter", "fill"] or not parts[2].isdigit():
        return None
    try:
        order_id = check_hash(parts[3], "order id")
    except InvalidInput:
        return None
    if FILL_REQUEST.format(chain_id=int(parts[2]), order_id=order_id.hex()) != request_uri:
        return None
    return int(parts[2]), order_id


__all__ = [
    "Reputation",
    "Side",
    "Validation",
    "fill_request",
    "parse_fill_request",
    "request_hash_of",
]
