"""One agent on many chains: its home registry's state, mirrored on other chains.

An agent lives in the registry of its *home* chain. On another chain it is
*represented*: that chain's registry keeps a mirror (owner, wallet, status,
generation) under the id ``representedId(inbox, homeChainId, homeAgentId)``,
written only by the *inbox* that delivered it. Two inboxes ship:

- an :class:`~charter.intents.oracle.AttesterOracle` (the committee attests the
  state: :func:`attest_agent_state`, then :meth:`CommitteeInbox.deliver`);
- :class:`HyperlaneAgents` (the home chain's contract dispatches the state
  through its Mailbox: :meth:`HyperlaneAgents.report`; Hyperlane's relayer
  delivers it to the same contract on the other chain).

Both have the same address on every chain, so the agent has one represented
id on every chain its inbox reaches. A mirror takes only newer states (the
home registry's ``sequence`` grows on every change), a kill wins a tie, and
Retired is final: replays and late deliveries change nothing.

    state = AgentState.read(home_registry, agent_id)            # at a confirmed block
    proof = committee_proof(oracle_on_b, state, member_keys)     # or the relayer's attesters
    mirror_id = CommitteeInbox(w3_b, oracle, signer).deliver(state, proof)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, Hash32
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.types import BlockIdentifier

from .._core.artifacts import abi
from .._core.chain import ChainClient
from .._core.checks import check_address
from .._core.display import Readable
from .._core.eip712 import StructHasher, domain_separator, eip712_digest, register
from .._core.revert import RevertContext, translate
from .._core.signers import SignerLike
from .._core.tx import TxResult, expect_event, result, send_checked
from ..exceptions import InvalidInput
from .models import AgentStatus

ORACLE_DOMAIN_NAME = "Charter AttesterOracle"
DOMAIN_VERSION = "1"
AGENT_STATE_TYPES: dict[str, list[dict[str, str]]] = {
    "AgentState": [
        {"name": "homeChainId", "type": "uint256"},
        {"name": "registry", "type": "address"},
        {"name": "agentId", "type": "uint256"},
        {"name": "owner", "type": "address"},
        {"name": "wallet", "type": "address"},
        {"name": "status", "type": "uint8"},
        {"name": "generation", "type": "uint256"},
        {"name": "sequence", "type": "uint256"},
    ]
}
AGENT_STATE_HASHER = register(StructHasher("AgentState", AGENT_STATE_TYPES))
_ZERO = "0x" + "00" * 20


def represented_id(inbox: str, home_chain_id: int, home_agent_id: int) -> int:
    """The id under which `inbox` represents agent `home_agent_id` of chain `home_chain_id`
    (the registry's ``representedId``): the same on every chain where the inbox has the same address."""
    words = abi_encode(
        ["address", "uint256", "uint256"], [check_address(inbox, "inbox"), int(home_chain_id), int(home_agent_id)]
    )
    return int.from_bytes(keccak(words), "big")


class AgentState(Readable):
    """An agent's state in its home registry: what other chains mirror."""

    home_chain_id: int
    registry: ChecksumAddress
    agent_id: int
    owner: ChecksumAddress
    wallet: ChecksumAddress
    """The zero address when the agent has no wallet."""
    status: AgentStatus
    generation: int
    sequence: int
    """The home registry's change counter for this agent: a mirror keeps the highest it saw."""

    @classmethod
    def read(cls, registry: Any, agent_id: int, block: BlockIdentifier = "latest") -> AgentState:
        """The state of `agent_id` in `registry` (a :class:`~charter.registry.Registry`) at `block`.
        Refuses an agent that is itself a mirror: states travel from the home chain only."""
        context = RevertContext(agent_id=agent_id, chain_id=registry.chain_id, registry=registry.address)
        with translate(registry.w3, context):
            home = registry.contract.functions.homeOf(agent_id).call(block_identifier=block)
        if int(home[0]) != registry.chain_id:
            if int(home[0]) == 0:
                raise InvalidInput(f"agent {agent_id} is not registered on chain {registry.chain_id}")
            raise InvalidInput(
                f"agent {agent_id} on chain {registry.chain_id} represents agent {int(home[1])} of chain "
                f"{int(home[0])}: its state comes from there, read it on chain {int(home[0])}"
            )
        return cls(home_chain_id=registry.chain_id, registry=registry.address, agent_id=agent_id,
                   **_state_fields(registry, agent_id, block))

    def as_tuple(self) -> tuple[Any, ...]:
        """The ``AgentState`` struct as the AttesterOracle takes it."""
        return (self.home_chain_id, self.registry, self.agent_id, self.owner, self.wallet, int(self.status),
                self.generation, self.sequence)

    def message(self) -> dict[str, Any]:
        """The EIP-712 ``AgentState`` message."""
        return {
            "homeChainId": self.home_chain_id, "registry": self.registry, "agentId": self.agent_id,
            "owner": self.owner, "wallet": self.wallet, "status": int(self.status),
            "generation": self.generation, "sequence": self.sequence,
        }

    def newer_than(self, mirrored: MirrorState | None) -> bool:
        """Whether a mirror holding `mirrored` (None: no mirror yet) would take this state."""
        if mirrored is None:
            return True
        if mirrored.status is AgentStatus.RETIRED:
            return False
        if self.sequence != mirrored.sequence:
            return self.sequence > mirrored.sequence
        return int(self.status) > int(mirrored.status)


class MirrorState(Readable):
    """What one chain's registry holds for a represented agent."""

    chain_id: int
    agent_id: int
    """The represented id."""
    home_chain_id: int
    home_agent_id: int
    inbox: ChecksumAddress
    owner: ChecksumAddress
    wallet: ChecksumAddress
    status: AgentStatus
    generation: int
    sequence: int

    @classmethod
    def read(cls, registry: Any, agent_id: int, block: BlockIdentifier = "latest") -> MirrorState | None:
        """The mirror `agent_id` in `registry`, or None when this chain holds no such mirror yet."""
        with translate(registry.w3):
            home = registry.contract.functions.homeOf(agent_id).call(block_identifier=block)
        if int(home[0]) in (0, registry.chain_id):
            return None
        return cls(chain_id=registry.chain_id, agent_id=agent_id, home_chain_id=int(home[0]),
                   home_agent_id=int(home[1]), inbox=Web3.to_checksum_address(home[2]),
                   **_state_fields(registry, agent_id, block))


def _state_fields(registry: Any, agent_id: int, block: BlockIdentifier) -> dict[str, Any]:
    """What `registry`'s ``agentState`` holds for `agent_id` at `block`, as model fields."""
    with translate(registry.w3):
        owner, wallet, status, generation, sequence = registry.contract.functions.agentState(agent_id).call(
            block_identifier=block
        )
    return {
        "owner": Web3.to_checksum_address(owner), "wallet": Web3.to_checksum_address(wallet),
        "status": AgentStatus(int(status)), "generation": int(generation), "sequence": int(sequence),
    }


# ---------------------------------------------------------------- the committee


def agent_state_typed_data(oracle: str, chain_id: int, state: AgentState) -> dict[str, Any]:
    """The full EIP-712 message a committee member signs to attest `state` to `oracle` on chain `chain_id`
    (the chain that will mirror it, whose domain the oracle checks)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
            ],
            **AGENT_STATE_TYPES,
        },
        "primaryType": "AgentState",
        "domain": {"name": ORACLE_DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id,
                   "verifyingContract": check_address(oracle, "oracle")},
        "message": state.message(),
    }


def agent_state_digest(oracle: str, chain_id: int, state: AgentState) -> bytes:
    """The digest of :func:`agent_state_typed_data`, hashed directly."""
    separator = domain_separator(ORACLE_DOMAIN_NAME, DOMAIN_VERSION, chain_id, check_address(oracle, "oracle"))
    return eip712_digest(separator, AGENT_STATE_HASHER.hash_message(state.message()))


def attest_agent_state(member: LocalAccount | str | bytes, oracle: str, chain_id: int, state: AgentState) -> bytes:
    """`member`'s 65-byte attestation of `state` for `oracle` on chain `chain_id`."""
    account = member if isinstance(member, LocalAccount) else Account.from_key(member)
    return bytes(account.unsafe_sign_hash(Hash32(agent_state_digest(oracle, chain_id, state))).signature)


class CommitteeInbox(ChainClient):
    """An AttesterOracle as the inbox of agent states on one chain (the chain that mirrors)."""

    def __init__(self, w3: Web3, oracle: str, signer: SignerLike | None = None, *, chain_id: int | None = None,
                 timeout: float = 120) -> None:
        super().__init__(w3, signer, chain_id=chain_id, timeout=timeout)
        self.address: ChecksumAddress = check_address(oracle, "oracle address")
        self.contract: Contract = w3.eth.contract(address=self.address, abi=abi("AttesterOracle"))

    def __repr__(self) -> str:
        return f"<CommitteeInbox {self.address} on chain {self.chain_id}>"

    def answering(self) -> ChecksumAddress:
        """The oracle whose committee signs now (this one until it rotates): sign in *its* domain."""
        with translate(self.w3):
            return Web3.to_checksum_address(self.contract.functions.current().call())

    def proof(self, state: AgentState, members: Iterable[LocalAccount | str | bytes]) -> bytes:
        """The members' attestations of `state`, ascending by signer (give at least the threshold)."""
        answering = self.answering()
        signed = []
        for member in members:
            account = member if isinstance(member, LocalAccount) else Account.from_key(member)
            signed.append((int(account.address, 16), attest_agent_state(account, answering, self.chain_id, state)))
        return b"".join(signature for _, signature in sorted(signed))

    def deliver(self, state: AgentState, proof: bytes, sender: SignerLike | None = None) -> TxResult:
        """Send ``represent(state, proof)``; the result's ``agent_id`` is the represented id. A state
        the mirror already holds (or an older one) is accepted and changes nothing: then the
        result's ``note`` says so (the registry logged no ``Represented``)."""
        signer = self._signer(sender, "deliver an agent's state")
        if state.home_chain_id == self.chain_id:
            raise InvalidInput(f"agent {state.agent_id} lives on chain {self.chain_id}: nothing to mirror there")
        data = self.contract.encode_abi("represent", [state.as_tuple(), bytes(proof)])
        ctx = RevertContext(action="deliver the state of", agent_id=state.agent_id, chain_id=self.chain_id)
        receipt = send_checked(self.w3, signer, self.address, data, ctx, timeout=self.timeout)
        mirror = represented_id(self.address, state.home_chain_id, state.agent_id)
        registry = self.w3.eth.contract(address=state.registry, abi=abi("AgentRegistry"))
        if registry.events.Represented().process_receipt(receipt, errors=_discard()):
            return result(receipt, mirror)
        return result(receipt, mirror, note=f"chain {self.chain_id} already held this state of agent "
                      f"{state.agent_id} of chain {state.home_chain_id}, or a newer one: nothing changed")


# ---------------------------------------------------------------- Hyperlane


class HyperlaneAgents(ChainClient):
    """The HyperlaneAgents contract on one chain: sends its agents' states (``report``) and mirrors
    the states other chains' copies send it (through Hyperlane's ``handle``)."""

    def __init__(self, w3: Web3, address: str, signer: SignerLike | None = None, *, chain_id: int | None = None,
                 timeout: float = 120) -> None:
        super().__init__(w3, signer, chain_id=chain_id, timeout=timeout)
        self.address: ChecksumAddress = check_address(address, "HyperlaneAgents address")
        self.contract: Contract = w3.eth.contract(address=self.address, abi=abi("HyperlaneAgents"))

    def __repr__(self) -> str:
        return f"<HyperlaneAgents {self.address} on chain {self.chain_id}>"

    def routes(self) -> dict[int, int]:
        """Chain id -> Hyperlane domain, for every chain of the deployment."""
        with translate(self.w3):
            return {int(r[0]): int(r[1]) for r in self.contract.functions.routes().call()}

    def quote(self, agent_id: int, chain_ids: Sequence[int]) -> int:
        """The Mailbox fees (wei) of reporting `agent_id` to `chain_ids`."""
        with translate(self.w3):
            return int(self.contract.functions.quoteReport(agent_id, list(chain_ids)).call())

    def report(self, agent_id: int, chain_ids: Sequence[int], sender: SignerLike | None = None) -> TxResult:
        """Dispatch the agent's current state to `chain_ids` (paying the quoted fees); Hyperlane's
        relayer delivers it (its ``Reported`` events carry the message ids)."""
        signer = self._signer(sender, "report an agent's state")
        chains = list(dict.fromkeys(int(c) for c in chain_ids))
        if not chains:
            raise InvalidInput("name at least one chain to report the agent's state to")
        fee = self.quote(agent_id, chains)
        data = self.contract.encode_abi("report", [agent_id, chains])
        ctx = RevertContext(action="report the state of", agent_id=agent_id, chain_id=self.chain_id)
        receipt = send_checked(self.w3, signer, self.address, data, ctx, value=fee, timeout=self.timeout)
        expect_event(receipt, self.contract, "Reported", effect="no state was sent", agentId=agent_id)
        return result(receipt, agent_id)

    def represented_id(self, home_chain_id: int, home_agent_id: int) -> int:
        return represented_id(self.address, home_chain_id, home_agent_id)


def _discard() -> Any:
    from web3.logs import DISCARD

    return DISCARD


__all__ = [
    "AGENT_STATE_TYPES",
    "AgentState",
    "CommitteeInbox",
    "HyperlaneAgents",
    "MirrorState",
    "agent_state_digest",
    "agent_state_typed_data",
    "attest_agent_state",
    "represented_id",
]
