"""Charter's two Hyperlane contracts: a HyperlaneReporter on each destination chain and a
HyperlaneOracle (an ISettlementOracle) on each origin chain.

    reporter = deploy_reporter(w3_dest, deployer, mailbox_dest)                   # settler: the suite's
    oracle = deploy_hyperlane_oracle(w3_origin, deployer, mailbox_origin, ism_origin,
                                     [Remote(domain=dest_domain, chain_id=dest_chain, reporter=reporter)])
    order = intents.order(..., oracle=oracle)                                   # on the origin
    tx = HyperlaneReporter(w3_dest, reporter).report(origin_domain, [order], payer)  # after the fill
    # validators sign the destination's checkpoint; a relayer calls process on the origin Mailbox
    report = Report.decode(Message.decode(dispatched_message).body)
    intents.settle([(order, record, report.proof(order.order_id))])            # the Merkle path

Both are deployed through the CREATE2 deployer. Their configuration is in
their init code, so a reporter's address follows from its chain's Mailbox
and settler alone (origin oracles can name it before it exists), and an
oracle's from its Mailbox, ISM and remotes. The suite's own addresses do not
change. With a manifest, each deployment is recorded with its configuration.

A message reports up to ten (orderId, recordHash) pairs; the oracle keeps
one word per message, their Merkle root (:class:`Report`), and a settlement
proves its order with the sibling hashes from its leaf to that root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth_abi import encode as abi_encode
from eth_typing import ChecksumAddress
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.types import BlockIdentifier

from .._core.artifacts import abi, init_code
from .._core.chain import ChainClient
from .._core.checks import check_address
from .._core.deployments import SALT, Manifest, _create2, check_recordable, create2_address, deploy_code
from .._core.revert import RevertContext, translate
from .._core.signers import SignerLike, as_signer
from .._core.tx import TxResult, expect_event, result, send_checked
from ..exceptions import InvalidInput, NotDeployed
from ..intents.models import MAX_SETTLE, Order, word
from .messages import Message

MAX_REMOTES = 8
_ZERO = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class Remote:
    """A destination an oracle accepts records from: its Hyperlane domain, its chain id and
    its HyperlaneReporter."""

    domain: int
    chain_id: int
    reporter: str


def reporter_code(mailbox: str, settler: str | None = None) -> bytes:
    """Init code of the HyperlaneReporter for `mailbox` and `settler` (default: the suite's)."""
    return bytes(init_code("HyperlaneReporter")) + abi_encode(
        ["address", "address"],
        [check_address(mailbox, "mailbox"), check_address(settler or create2_address("IntentSettler"), "settler")],
    )


def reporter_address(mailbox: str, settler: str | None = None, salt: bytes = SALT) -> ChecksumAddress:
    """Where the CREATE2 deployer puts the HyperlaneReporter for `mailbox` and `settler`."""
    return _create2(reporter_code(mailbox, settler), salt)


def _remotes(remotes: Sequence[Remote]) -> list[tuple[int, int, ChecksumAddress]]:
    if not 1 <= len(remotes) <= MAX_REMOTES:
        raise InvalidInput(f"a HyperlaneOracle trusts 1 to {MAX_REMOTES} remotes, got {len(remotes)}")
    checked = []
    for r in remotes:
        if not 0 <= r.domain < 2**32 or r.chain_id <= 0:
            raise InvalidInput(f"a remote has a uint32 domain and a positive chain id, got {r}")
        checked.append((r.domain, r.chain_id, check_address(r.reporter, "remote reporter")))
    if len({(d, rep) for d, _, rep in checked}) != len(checked):
        raise InvalidInput("each (domain, reporter) appears once among the remotes")
    return checked


def oracle_code(mailbox: str, ism: str | None, remotes: Sequence[Remote]) -> bytes:
    """Init code of the HyperlaneOracle for `mailbox`, `ism` (None: the Mailbox's default) and `remotes`."""
    return bytes(init_code("HyperlaneOracle")) + abi_encode(
        ["address", "address", "(uint32,uint256,address)[]"],
        [check_address(mailbox, "mailbox"), check_address(ism, "ism") if ism else _ZERO, _remotes(remotes)],
    )


def hyperlane_oracle_address(mailbox: str, ism: str | None, remotes: Sequence[Remote],
                             salt: bytes = SALT) -> ChecksumAddress:
    """Where the CREATE2 deployer puts this HyperlaneOracle."""
    return _create2(oracle_code(mailbox, ism, remotes), salt)


def _deploy(w3: Web3, signer: SignerLike, name: str, code: bytes) -> tuple[ChecksumAddress, dict[str, Any]]:
    """CREATE2-deploy `code`; its address and, if this call deployed it, the block and transaction."""
    with translate(w3):
        deployed = deploy_code(w3, as_signer(signer), f"the {name}", code)
    details = {"block": deployed.block, "transaction": deployed.transaction} if deployed.deployed else {}
    return deployed.address, details


def _mailbox_domain(w3: Web3, mailbox: str) -> int:
    contract = w3.eth.contract(address=check_address(mailbox, "mailbox"), abi=_MAILBOX_ABI)
    with translate(w3):
        if len(w3.eth.get_code(contract.address)) == 0:
            raise NotDeployed(f"no Mailbox at {contract.address} on chain {w3.eth.chain_id}")
    try:
        return int(contract.functions.localDomain().call())
    except Exception:  # noqa: BLE001 - any contract that does not answer localDomain()
        raise NotDeployed(f"{contract.address} on chain {w3.eth.chain_id} is no Mailbox (localDomain() failed); "
                          "pass the chain's Hyperlane Mailbox") from None


def deploy_reporter(w3: Web3, signer: SignerLike, mailbox: str, settler: str | None = None,
                    manifest: Manifest | None = None) -> ChecksumAddress:
    """Deploy (CREATE2; idempotent) this chain's HyperlaneReporter and return its address;
    `manifest` records it with its Mailbox, domain and settler."""
    if manifest is not None:
        check_recordable(w3, manifest)
    settler = check_address(settler or create2_address("IntentSettler"), "settler")
    domain = _mailbox_domain(w3, mailbox)
    with translate(w3):
        if len(w3.eth.get_code(settler)) == 0:
            raise NotDeployed(f"no IntentSettler at {settler} on chain {w3.eth.chain_id}: deploy the suite first")
    address, tx = _deploy(w3, signer, "HyperlaneReporter", reporter_code(mailbox, settler))
    if manifest is not None:
        manifest.record(int(w3.eth.chain_id), "HyperlaneReporter", address, mailbox=check_address(mailbox, "mailbox"),
                        domain=domain, settler=settler, **tx)
        if manifest.path is not None:
            manifest.save()
    return address


def deploy_hyperlane_oracle(w3: Web3, signer: SignerLike, mailbox: str, ism: str | None,
                            remotes: Sequence[Remote], manifest: Manifest | None = None) -> ChecksumAddress:
    """Deploy (CREATE2; idempotent) this chain's HyperlaneOracle and return its address;
    `manifest` records it with its Mailbox, domain, ISM and remotes."""
    if manifest is not None:
        check_recordable(w3, manifest)
    domain = _mailbox_domain(w3, mailbox)
    if ism:
        with translate(w3):
            if len(w3.eth.get_code(check_address(ism, "ism"))) == 0:
                raise NotDeployed(f"no interchain security module at {ism} on chain {w3.eth.chain_id}")
    address, tx = _deploy(w3, signer, "HyperlaneOracle", oracle_code(mailbox, ism, remotes))
    if manifest is not None:
        manifest.record(
            int(w3.eth.chain_id), "HyperlaneOracle", address, mailbox=check_address(mailbox, "mailbox"),
            domain=domain, ism=check_address(ism, "ism") if ism else None,
            remotes=[{"domain": d, "chain_id": c, "reporter": r} for d, c, r in _remotes(remotes)], **tx,
        )
        if manifest.path is not None:
            manifest.save()
    return address


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if int.from_bytes(a, "big") < int.from_bytes(b, "big") else keccak(b + a)


@dataclass(frozen=True)
class Report:
    """The body of a reporter's message: the origin and destination settlers and, per
    order, its id and the destination's record. Packed: originSettler (20 bytes) ‖
    destinationSettler (20) ‖ per order: orderId (32) ‖ recordHash (32)."""

    origin_settler: str
    destination_settler: str
    order_ids: tuple[bytes, ...]
    records: tuple[bytes, ...]

    @classmethod
    def decode(cls, body: bytes) -> Report:
        body = bytes(body)
        n, rest = divmod(len(body) - 40, 64)
        if len(body) < 104 or rest or n > MAX_SETTLE:
            raise InvalidInput(f"a HyperlaneReporter report is 40 + 64 × (1 to {MAX_SETTLE}) bytes, got {len(body)}")
        pairs = [body[40 + 64 * i : 104 + 64 * i] for i in range(n)]
        return cls(Web3.to_checksum_address(body[:20]), Web3.to_checksum_address(body[20:40]),
                   tuple(p[:32] for p in pairs), tuple(p[32:] for p in pairs))

    def encode(self) -> bytes:
        return b"".join([HexBytes(check_address(self.origin_settler, "origin settler")),
                         HexBytes(check_address(self.destination_settler, "destination settler")),
                         *(bytes(i) + bytes(r) for i, r in zip(self.order_ids, self.records, strict=True))])

    @staticmethod
    def leaf(order_id: bytes, record: bytes) -> bytes:
        return keccak(b"\x00" + bytes(order_id) + bytes(record))

    def _levels(self) -> list[list[bytes]]:
        level = [self.leaf(i, r) for i, r in zip(self.order_ids, self.records, strict=True)]
        width = 1
        while width < len(level):
            width *= 2
        level += [b"\x00" * 32] * (width - len(level))
        levels = [level]
        while len(level) > 1:
            level = [_pair(level[j], level[j + 1]) for j in range(0, len(level), 2)]
            levels.append(level)
        return levels

    @property
    def root(self) -> bytes:
        """What the oracle stores for this message."""
        return self._levels()[-1][0]

    def proof(self, order_id: bytes) -> bytes:
        """The proof ``isProven`` takes for `order_id`: its leaf's siblings up to the root."""
        try:
            index = self.order_ids.index(bytes(order_id))
        except ValueError:
            raise InvalidInput(f"order 0x{bytes(order_id).hex()[:8]}… is not in this report") from None
        siblings = []
        for level in self._levels()[:-1]:
            siblings.append(level[index ^ 1])
            index //= 2
        return b"".join(siblings)


class _HyperlaneClient(ChainClient):
    """A client of one of Charter's Hyperlane contracts (`NAME`), bound to its (immutable) Mailbox."""

    NAME = ""

    def __init__(self, w3: Web3, address: str, signer: SignerLike | None = None, **kw: Any) -> None:
        super().__init__(w3, signer, **kw)
        self.address = check_address(address, self.NAME)
        self.contract: Contract = w3.eth.contract(address=self.address, abi=abi(self.NAME))

    @cached_property
    def mailbox(self) -> ChecksumAddress:
        with translate(self.w3):
            return Web3.to_checksum_address(self.contract.functions.MAILBOX().call())

    def _mailbox(self) -> Contract:
        return self.w3.eth.contract(address=self.mailbox, abi=_MAILBOX_ABI)


class HyperlaneReporter(_HyperlaneClient):
    """The destination half: dispatch the settler's records of orders to their origin oracle."""

    NAME = "HyperlaneReporter"

    @staticmethod
    def _data(orders: Sequence[Order]) -> list[bytes]:
        if not 1 <= len(orders) <= MAX_SETTLE:
            raise InvalidInput(f"a report carries 1 to {MAX_SETTLE} orders, got {len(orders)}")
        return [o.origin_data for o in orders]

    def quote(self, origin_domain: int, orders: Sequence[Order]) -> int:
        """The Mailbox fee (wei) for reporting `orders` to `origin_domain`."""
        with translate(self.w3, RevertContext(action="quote the report")):
            return int(self.contract.functions.quoteReport(origin_domain, self._data(orders)).call())

    def report(self, origin_domain: int, orders: Sequence[Order], payer: SignerLike | None = None,
               value: int | None = None) -> TxResult:
        """Dispatch the records of `orders` (one origin, settler and oracle; each recorded here)
        to their oracle on `origin_domain`; `payer` pays `value` (default: the quote) and gets
        the excess back. The result's ``note`` is the Hyperlane message id."""
        signer = self._signer(payer, "report records")
        data = self._data(orders)
        fee = self.quote(origin_domain, orders) if value is None else value
        call = self.contract.encode_abi("report", [origin_domain, data])
        receipt = send_checked(self.w3, signer, self.address, call, RevertContext(action="report records"),
                               value=fee, timeout=self.timeout)
        event = expect_event(receipt, self._mailbox(), "Dispatch", effect="nothing was dispatched", sender=self.address,
                             destination=origin_domain)
        message_id = keccak(bytes(event.args.message))
        return result(receipt, count=len(orders), note=HexBytes(message_id).to_0x_hex())

    def dispatched(self, from_block: int, to_block: BlockIdentifier = "latest") -> list[tuple[bytes, Report]]:
        """(message id, report) of each message this reporter dispatched in these blocks."""
        with translate(self.w3):
            events = self._mailbox().events.Dispatch().get_logs(from_block=from_block, to_block=to_block,
                                                        argument_filters={"sender": self.address})
        out = []
        for event in events:
            message = Message.decode(bytes(event.args.message))
            out.append((message.id, Report.decode(message.body)))
        return out


class HyperlaneOracle(_HyperlaneClient):
    """The origin half: what the Mailbox delivered from the configured reporters."""

    NAME = "HyperlaneOracle"

    def ism(self) -> ChecksumAddress:
        """The ISM the Mailbox verifies deliveries to this oracle with (its own, else the Mailbox's default)."""
        with translate(self.w3):
            return Web3.to_checksum_address(self._mailbox().functions.recipientIsm(self.address).call())

    def is_proven(self, order: Order, record_hash: bytes, proof: bytes, block: BlockIdentifier = "latest") -> bool:
        """What the oracle answers `order`'s origin settler for this record and proof."""
        with translate(self.w3):
            return bool(self.contract.functions.isProven(
                order.data.destination_chain_id, word(order.data.destination_settler), order.order_id,
                bytes(record_hash), bytes(proof),
            ).call({"from": order.origin_settler}, block_identifier=block))


_MAILBOX_ABI: list[dict[str, Any]] = [
    {"type": "event", "name": "Dispatch", "anonymous": False, "inputs": [
        {"name": "sender", "type": "address", "indexed": True},
        {"name": "destination", "type": "uint32", "indexed": True},
        {"name": "recipient", "type": "bytes32", "indexed": True},
        {"name": "message", "type": "bytes", "indexed": False}]},

    {"type": "function", "name": "localDomain", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint32"}]},
    {"type": "function", "name": "recipientIsm", "stateMutability": "view",
     "inputs": [{"name": "recipient", "type": "address"}], "outputs": [{"name": "", "type": "address"}]},
]


__all__ = [
    "MAX_REMOTES",
    "HyperlaneOracle",
    "HyperlaneReporter",
    "Remote",
    "Report",
    "deploy_hyperlane_oracle",
    "deploy_reporter",
    "hyperlane_oracle_address",
    "oracle_code",
    "reporter_address",
    "reporter_code",
]
