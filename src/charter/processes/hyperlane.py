"""The Hyperlane half of ``charter relay``: validator and relayer for Charter's reports.

On every chain with a HyperlaneReporter or HyperlaneAgents it reads, at the confirmation depth:

- every ``InsertedIntoTree`` of the Mailbox's Merkle tree hook, rebuilding
  the tree (:class:`~charter.hyperlane.tree.MerkleTree`) and checking its root
  and count against what the hook itself reports at the same block: if they
  differ, nothing of that range is signed and the chain backs off;
- the reporter's ``Dispatch`` messages to a configured HyperlaneOracle, and
  the HyperlaneAgents' messages (an agent's state, :mod:`charter.processes.propagate`)
  to its copy on a watched chain: each must be a leaf of that tree (same id,
  computed from the message bytes) and come from this chain's domain (an
  agent's state: of an agent of this chain); it is then stored as *verified*
  with its leaf index and root, otherwise as *refused* and never signed.

For each verified message whose destination it watches, the validators it
holds sign the checkpoint ``(root, index, messageId)``, and it calls
``process`` on the destination Mailbox with the MessageId multisig
metadata, in the order of the validator set that the recipient's ISM
reports; agents' states go first (a kill has priority over settlements).
A message the Mailbox already delivered (by anyone) is marked delivered
without sending. Everything is in the relayer's SQLite file,
with the scan cursor, so a restart between dispatch and process neither
loses the message nor processes it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

from .._core.checks import check_address
from .._core.revert import RevertContext, translate
from .._core.signers import Signer
from .._core.tx import expect_event, send_checked
from ..exceptions import CharterError, ContractRevert, InvalidInput
from ..hyperlane.artifacts import artifact
from ..hyperlane.messages import Message, message_id_metadata, sign_checkpoint
from ..hyperlane.settlement import Report
from ..hyperlane.tree import MerkleTree
from .store import MessageRow, Store

log = logging.getLogger("charter.relay")

SCAN_SPAN = 2_000
MESSAGE_ID_MULTISIG = 5
"""``IInterchainSecurityModule.Types.MESSAGE_ID_MULTISIG``: the only ISM type this relayer builds metadata for."""


@dataclass
class HyperlaneConfig:
    """One chain's Hyperlane contracts, as the relayer uses them."""

    mailbox: str
    oracle: str | None = None
    """The HyperlaneOracle here: orders opened here that name it settle over Hyperlane."""
    reporter: str | None = None
    """The HyperlaneReporter here: fills here of such orders are reported through it."""
    merkle_tree_hook: str | None = None
    """The Merkle tree hook validators sign checkpoints of (default: the Mailbox's required hook)."""
    agents: str | None = None
    """The HyperlaneAgents here (the same address on every chain): agents' states reported here are
    delivered to its copies on the other chains, and its copy here mirrors theirs."""


class Unverifiable(CharterError):
    """What a chain shows cannot be checked against its Merkle tree hook: nothing is signed."""


@dataclass
class Lane:
    """One chain's Hyperlane contracts, connected."""

    chain_id: int
    w3: Web3
    config: HyperlaneConfig
    domain: int
    mailbox: Contract
    hook: Contract
    start_block: int

    @classmethod
    def connect(cls, chain_id: int, w3: Web3, config: HyperlaneConfig, start_block: int) -> Lane:
        mailbox = w3.eth.contract(address=check_address(config.mailbox, "mailbox"), abi=artifact("Mailbox")["abi"])
        with translate(w3):
            if len(w3.eth.get_code(mailbox.address)) == 0:
                raise CharterError(f"chain {chain_id}: no Mailbox at {mailbox.address}; check `mailbox`")
            domain = int(mailbox.functions.localDomain().call())
            hook_address = config.merkle_tree_hook or mailbox.functions.requiredHook().call()
        hook = w3.eth.contract(address=check_address(hook_address, "merkle_tree_hook"),
                               abi=artifact("MerkleTreeHook")["abi"])
        return cls(chain_id, w3, config, domain, mailbox, hook, start_block)


class MessageRelay:
    """Verifies, signs and delivers the reporters' messages between the relayer's chains."""

    def __init__(self, store: Store, sender: Signer, validators: list[LocalAccount], lanes: dict[int, Lane],
                 backoff: Callable[[int], float]) -> None:
        self.store = store
        self.sender = sender
        self.validators = {v.address: v for v in validators}
        self.lanes: dict[int, Lane] = {}
        self.by_domain: dict[int, Lane] = {}
        for lane in lanes.values():
            self.add_lane(lane)
        self._backoff = backoff

    def add_lane(self, lane: Lane) -> None:
        """Use `lane` (connected once its chain answers: a chain down at start-up joins later)."""
        other = self.by_domain.get(lane.domain)
        if other is not None and other.chain_id != lane.chain_id:
            raise CharterError(f"chains {other.chain_id} and {lane.chain_id} report the same Hyperlane domain "
                               f"{lane.domain}; check their `mailbox`")
        self.lanes[lane.chain_id] = lane
        self.by_domain[lane.domain] = lane

    # ------------------------------------------------------------ verifying

    def scan(self, chain_id: int, safe: int) -> int:
        """Read `chain_id`'s hook, reporter and HyperlaneAgents up to block `safe`; the number of
        messages verified. A chain without either sends no messages: its tree is not rebuilt."""
        lane = self.lanes[chain_id]
        if not lane.config.reporter and not lane.config.agents:
            return 0
        name = f"hyperlane:{chain_id}"
        start = self.store.cursor(name, lane.start_block)
        tree = self._tree(lane, start)
        verified = 0
        while start <= safe:
            end = min(safe, start + SCAN_SPAN - 1)
            leaves = self._insert(lane, tree, start, end)
            rows = [self._check(lane, event, leaves) for event in self._dispatches(lane, start, end)]
            with self.store.transaction() as db:
                for row in rows:
                    if row is not None and Store.add_message(db, row):
                        verified += row.state == "verified"
                        if row.state == "verified" and not self.carries_agent(row):
                            report = Report.decode(Message.decode(row.message).body)
                            for order_id, record in zip(report.order_ids, report.records, strict=True):
                                Store.add_report(db, "0x" + order_id.hex(), row.message_id, record,
                                                 report.proof(order_id))
                Store.set_tree(db, chain_id, tree.count, tree.encode())
                Store.set_cursor(db, name, end + 1)
            start = end + 1
        return verified

    def _tree(self, lane: Lane, start: int) -> MerkleTree:
        stored = self.store.tree(lane.chain_id)
        if stored is not None:
            return MerkleTree.decode(stored[1], stored[0])
        if start == 0:
            return MerkleTree()
        with translate(lane.w3):
            if len(lane.w3.eth.get_code(lane.hook.address, block_identifier=start - 1)) == 0:
                return MerkleTree()  # the hook did not exist yet
            branch, count = lane.hook.functions.tree().call(block_identifier=start - 1)
        return MerkleTree.from_state([bytes(b) for b in branch], int(count))

    def _insert(self, lane: Lane, tree: MerkleTree, start: int, end: int) -> dict[bytes, tuple[int, bytes]]:
        """Insert the hook's leaves of blocks start..end into `tree`; {message id: (index, root)}.
        Raises :class:`Unverifiable` unless the result is what the hook reports at `end`."""
        with translate(lane.w3):
            events = lane.hook.events.InsertedIntoTree().get_logs(from_block=start, to_block=end)
            leaves: dict[bytes, tuple[int, bytes]] = {}
            for event in sorted(events, key=lambda e: (e.blockNumber, e.logIndex)):
                if int(event.args.index) != tree.count:
                    raise Unverifiable(f"chain {lane.chain_id}: the hook inserted leaf {event.args.index} where the "
                                       f"rebuilt tree expects {tree.count}: nothing is signed; check `start_block`")
                tree.insert(bytes(event.args.messageId))
                leaves[bytes(event.args.messageId)] = (int(event.args.index), tree.root)
            root = bytes(lane.hook.functions.root().call(block_identifier=end))
            count = int(lane.hook.functions.count().call(block_identifier=end))
        if (root, count) != (tree.root, tree.count):
            raise Unverifiable(f"chain {lane.chain_id}: the Merkle tree hook {lane.hook.address} reports {count} "
                               f"leaves and root {HexBytes(root).to_0x_hex()} at block {end}, the rebuilt tree "
                               f"{tree.count} and {HexBytes(tree.root).to_0x_hex()}: nothing is signed")
        return leaves

    def _dispatches(self, lane: Lane, start: int, end: int) -> list[Any]:
        senders = [a for a in (lane.config.reporter, lane.config.agents) if a]
        if not senders:
            return []
        with translate(lane.w3):
            return list(lane.mailbox.events.Dispatch().get_logs(
                from_block=start, to_block=end, argument_filters={"sender": senders}))

    def _check(self, lane: Lane, event: Any, leaves: dict[bytes, tuple[int, bytes]]) -> MessageRow | None:
        """The verified (or refused) row of a reporter's (or HyperlaneAgents') dispatch; None if it is
        not for a watched oracle (or a watched chain's HyperlaneAgents)."""
        message = Message.decode(bytes(event.args.message))
        target = self.by_domain.get(message.destination)
        if target is None:
            return None
        agents = bool(lane.config.agents) and message.sender[12:] == HexBytes(lane.config.agents or "")
        recipient = target.config.agents if agents else target.config.oracle
        if not recipient or message.recipient[12:] != HexBytes(recipient):
            return None
        leaf = leaves.get(message.id)
        reason = None
        sender = lane.config.agents if agents else lane.config.reporter
        if message.origin != lane.domain or message.sender[12:] != HexBytes(sender or ""):
            reason = f"its origin or sender is not this chain's {'HyperlaneAgents' if agents else 'reporter'}"
        elif leaf is None:
            reason = "it is not a leaf of the Merkle tree hook in the same blocks"
        elif agents:
            reason = _agent_body_problem(message.body, lane.chain_id)
        else:
            try:
                Report.decode(message.body)
            except InvalidInput as exc:
                reason = str(exc)
        if reason is not None:
            log.error("chain %s: refusing message %s in block %s: %s", lane.chain_id, message.id.hex()[:10],
                      event.blockNumber, reason)
            return MessageRow(message.id, lane.chain_id, target.chain_id, message.encode(), -1, b"",
                              int(event.blockNumber), "refused", last_error=reason)
        index, root = leaf  # type: ignore[misc]
        log.info("chain %s: message %s (leaf %s) to chain %s verified", lane.chain_id, message.id.hex()[:10], index,
                 target.chain_id)
        return MessageRow(message.id, lane.chain_id, target.chain_id, message.encode(), index, root,
                          int(event.blockNumber), "verified")

    # ------------------------------------------------------------ delivering

    def carries_agent(self, row: MessageRow) -> bool:
        """Whether `row` carries an agent's state (HyperlaneAgents to HyperlaneAgents), not a report."""
        lane = self.lanes.get(row.dest_chain)
        agents = lane.config.agents if lane is not None else None
        return bool(agents) and Message.decode(row.message).recipient[12:] == HexBytes(agents or "")

    def deliver(self, chain_id: int, agents_only: bool = False) -> int:
        """Process every verified message to `chain_id` (agents' states first; with `agents_only`,
        only those); the number this relayer delivered."""
        lane = self.lanes[chain_id]
        delivered = 0
        rows = self.store.messages("verified", dest_chain=chain_id, ready=True)
        rows.sort(key=lambda r: not self.carries_agent(r))  # kills first (stable: in leaf order)
        for row in rows:
            if agents_only and not self.carries_agent(row):
                break
            with translate(lane.w3):
                done = bool(lane.mailbox.functions.delivered(row.message_id).call())
            if done:
                self.store.update_message(row.message_id, state="delivered")
                log.info("message %s was already delivered on chain %s", row.message_id.hex()[:10], chain_id)
                continue
            try:
                metadata = self.metadata(row)
                data = lane.mailbox.encode_abi("process", [metadata, row.message])
                receipt = send_checked(lane.w3, self.sender, lane.mailbox.address, data,
                                       RevertContext(action="deliver the Hyperlane message"))
                expect_event(receipt, lane.mailbox, "ProcessId", effect="the message was not delivered",
                             messageId=row.message_id)
            except (ContractRevert, Unverifiable) as exc:
                self.store.message_failed(row.message_id, str(exc), self._backoff(row.attempts))
                log.warning("message %s to chain %s not delivered: %s", row.message_id.hex()[:10], chain_id, exc)
                continue
            tx_hash = receipt["transactionHash"].to_0x_hex()
            self.store.update_message(row.message_id, state="delivered", tx_hash=tx_hash)
            delivered += 1
            log.info("chain %s: delivered message %s (tx %s, %s gas)", chain_id, row.message_id.hex()[:10], tx_hash,
                     f"{receipt['gasUsed']:,}")
        return delivered

    def metadata(self, row: MessageRow) -> bytes:
        """The MessageId multisig metadata for `row`: threshold signatures of its checkpoint by
        the validators held here, in the order of the set the recipient's ISM requires."""
        origin, dest = self.lanes[row.origin_chain], self.lanes[row.dest_chain]
        message = Message.decode(row.message)
        recipient = Web3.to_checksum_address(message.recipient[12:])
        with translate(dest.w3):
            ism_address = dest.mailbox.functions.recipientIsm(recipient).call()
            ism = dest.w3.eth.contract(address=ism_address, abi=artifact("StorageMessageIdMultisigIsm")["abi"])
            kind = int(ism.functions.moduleType().call())
            if kind != MESSAGE_ID_MULTISIG:
                raise Unverifiable(f"the ISM {ism_address} of {recipient} on chain {dest.chain_id} is of type {kind}; "
                                   "this relayer builds MessageId multisig metadata only (type 5)")
            validators, threshold = ism.functions.validatorsAndThreshold(row.message).call()
        ours = [self.validators[v] for v in map(Web3.to_checksum_address, validators) if v in self.validators]
        if len(ours) < int(threshold):
            raise Unverifiable(f"the ISM {ism_address} on chain {dest.chain_id} needs {threshold} of "
                               f"{len(validators)} validators and this relayer holds {len(ours)} of their keys; "
                               "configure more validator keys")
        hook = origin.hook.address
        signatures = [sign_checkpoint(v, origin.domain, hook, row.root, row.leaf_index, row.message_id)
                      for v in ours[: int(threshold)]]
        return message_id_metadata(hook, row.root, row.leaf_index, signatures)


AGENT_BODY_TYPES = ["uint256", "uint256", "address", "address", "uint8", "uint256", "uint256"]
"""A HyperlaneAgents message body: home chain id, agent id, owner, wallet, status, generation, sequence."""


def _agent_body_problem(body: bytes, origin_chain: int) -> str | None:
    """Why `body` is no agent state of chain `origin_chain` (what HyperlaneAgents.handle would refuse), or None."""
    if len(body) != 32 * len(AGENT_BODY_TYPES):
        return f"its body is {len(body)} bytes, not an agent's state ({32 * len(AGENT_BODY_TYPES)})"
    try:
        home_chain = abi_decode(AGENT_BODY_TYPES, body)[0]
    except Exception:  # noqa: BLE001 - any malformed word
        return "its body does not decode as an agent's state"
    if int(home_chain) != origin_chain:
        return f"it carries a state of chain {home_chain}'s agent, sent from chain {origin_chain}"
    return None


__all__ = ["AGENT_BODY_TYPES", "MESSAGE_ID_MULTISIG", "HyperlaneConfig", "Lane", "MessageRelay", "Unverifiable"]
