"""Registry and ERC-721 revert reasons (``"registry: ..."``, ``"erc721: ..."``) as exceptions.

Each reason has an exception class from :mod:`charter.exceptions` and a
message that says what was wrong and what to do, built from what the client
knows (a :class:`~charter._core.revert.RevertContext`).
"""

from __future__ import annotations

from .._core.revert import (
    Message,
    RevertContext,
    agent_label,
    format_time,
    internal,
    register_reverts,
    where,
)
from ..exceptions import (
    AgentNotActive,
    AgentNotPaused,
    AgentRetired,
    AgentStateRefused,
    AgentURITooLong,
    ContractRevert,
    EmptyMetadataKey,
    InvalidApproval,
    MetadataTooLarge,
    NotERC721Receiver,
    RepresentedAgent,
    ReservedMetadataKey,
    Unauthorized,
    UnknownAgent,
    WalletProofDeadlineTooFar,
    WalletProofExpired,
    WalletProofInvalid,
    WalletProofUsed,
    WalletTaken,
    WrongOwner,
    ZeroAddress,
    ZeroWallet,
)
from .models import ENTRIES_MAX, KEY_MAX, URI_MAX, VALUE_MAX

MAX_DEADLINE_DELAY = 300
"""The registry refuses wallet proofs valid for longer than this (seconds)."""

NEEDS_OWNER = (
    "registry: not authorized",
    "erc721: caller is not token owner or approved",
    "erc721: transfer from incorrect owner",
)
"""Reasons whose message names the agent's owner (the client reads it after the refusal)."""


def _unauthorized(ctx: RevertContext) -> str:
    who = ctx.sender or "the sender"
    what = ctx.action or "change"
    owner = f" ({ctx.owner})" if ctx.owner else ""
    return (
        f"{who} may not {what} {agent_label(ctx)}: only its owner{owner}, an operator of the "
        "owner or the agent's approved address may; send from the owner's account or have "
        "the owner approve this address (approve / setApprovalForAll)"
    )


def _unknown(ctx: RevertContext) -> str:
    return (
        f"{agent_label(ctx)} does not exist{where(ctx)}; check the id (ids start at 1) and "
        "that you are connected to the chain where it was registered"
    )


def _retired(ctx: RevertContext) -> str:
    return (
        f"{agent_label(ctx)} is retired, which is final: it cannot be paused, resumed, retired "
        "again or given a new wallet; register a new agent instead"
    )


def _not_active(ctx: RevertContext) -> str:
    status = ctx.status or "Paused"
    return (
        f"{agent_label(ctx)} cannot be paused because it is not Active (it is {status}); "
        "nothing to do, or resume it first if you want it Active"
    )


def _not_paused(ctx: RevertContext) -> str:
    status = ctx.status or "Active"
    return (
        f"{agent_label(ctx)} cannot be resumed because it is not Paused (it is {status}); "
        "only a paused agent can be resumed"
    )


def _wallet_taken(ctx: RevertContext) -> str:
    wallet = ctx.wallet or "the wallet"
    other = f"agent {ctx.other_agent}" if ctx.other_agent else "another agent"
    return (
        f"{wallet} already backs {other} and a wallet backs at most one agent; have that "
        "agent's owner unset it first (unset_agent_wallet) or use another wallet"
    )


def _expired(ctx: RevertContext) -> str:
    when = f" at {format_time(ctx.deadline)}" if ctx.deadline is not None else ""
    return (
        f"the wallet proof for {agent_label(ctx)} expired{when}; ask the wallet to sign a new "
        "proof with a deadline at most 5 minutes ahead"
    )


def _too_far(ctx: RevertContext) -> str:
    when = f" ({format_time(ctx.deadline)})" if ctx.deadline is not None else ""
    return (
        f"the deadline of the wallet proof for {agent_label(ctx)}{when} is more than 5 minutes "
        f"({MAX_DEADLINE_DELAY} s) after the current block; sign a proof whose deadline is at "
        "most 5 minutes ahead (the SDK's default is 4 minutes)"
    )


def _used(ctx: RevertContext) -> str:
    wallet = ctx.wallet or "the wallet"
    when = f" {format_time(ctx.deadline)}" if ctx.deadline is not None else " this one"
    return (
        f"a proof of {wallet} with a deadline of{when} or later was already accepted and "
        "proofs are single-use; have the wallet sign a new proof with a later deadline"
    )


def _bad_proof(ctx: RevertContext) -> str:
    wallet = f"{ctx.wallet}'s" if ctx.wallet else "the wallet's"
    fields = []
    if ctx.owner is not None:
        fields.append(f"owner {ctx.owner}")
    if ctx.deadline is not None:
        fields.append(f"deadline {ctx.deadline}")
    detail = f" ({', '.join(fields)})" if fields else ""
    return (
        f"the signature is not {wallet} EIP-712 AgentWalletSet proof for {agent_label(ctx)}"
        f"{detail}{where(ctx)}; have that wallet sign exactly these fields "
        "(Registry.wallet_digest gives the digest) and check the owner has not changed"
    )


def _zero_wallet(ctx: RevertContext) -> str:
    return (
        "the zero address cannot be an agent wallet; pass the wallet's address, or use "
        "unset_agent_wallet to clear the wallet"
    )


def _empty_key(ctx: RevertContext) -> str:
    return f"metadata keys must be 1 to {KEY_MAX} bytes long; pass a non-empty key"


def _uri_too_long(ctx: RevertContext) -> str:
    return (
        f"the agent URI is longer than {URI_MAX:,} bytes (UTF-8), the most the registry stores; "
        "shorten the agent card, or point to it (ipfs://, https://) instead of inlining it"
    )


def _key_too_long(ctx: RevertContext) -> str:
    return f"a metadata key is longer than {KEY_MAX} bytes (UTF-8); use a key of 1 to {KEY_MAX} bytes"


def _value_too_long(ctx: RevertContext) -> str:
    return (
        f"a metadata value is longer than {VALUE_MAX:,} bytes, the most the registry stores; "
        "store a URI or a hash of larger data instead"
    )


def _too_many_entries(ctx: RevertContext) -> str:
    return (
        f"register takes at most {ENTRIES_MAX} metadata entries; register with {ENTRIES_MAX} and set the "
        "others afterwards with set_metadata"
    )


def _reserved_key(ctx: RevertContext) -> str:
    return (
        "the metadata key 'agentWallet' is reserved; set the agent wallet with "
        "set_agent_wallet (it needs a proof signed by the wallet) and use another key"
    )


def _wrong_owner(ctx: RevertContext) -> str:
    owner = f" ({ctx.owner})" if ctx.owner else ""
    return (
        f"the transfer names a 'from' address that does not own {agent_label(ctx)}; name its "
        f"current owner{owner}"
    )


def _zero_address(ctx: RevertContext) -> str:
    return "the zero address cannot own an agent; send it to a real address"


def _approval_to_owner(ctx: RevertContext) -> str:
    return "the owner is always allowed to manage its agents; approve another address"


def _approve_to_caller(ctx: RevertContext) -> str:
    return "an address cannot make itself its own operator; name another address"


def _not_receiver(ctx: RevertContext) -> str:
    to = ctx.to or "the recipient"
    return (
        f"{to} is a contract that does not accept ERC-721 tokens (no onERC721Received); "
        "send the agent to an account or to a contract that implements it"
    )


def _too_many_transfers(ctx: RevertContext) -> str:
    return (
        f"{agent_label(ctx)} has been transferred 4,294,967,295 times, the most its generation counter "
        "holds; register a new agent"
    )


REVERTS: dict[str, tuple[type[ContractRevert], Message]] = {
    "registry: not authorized": (Unauthorized, _unauthorized),
    "registry: unknown agent": (UnknownAgent, _unknown),
    "registry: agent retired": (AgentRetired, _retired),
    "registry: not active": (AgentNotActive, _not_active),
    "registry: not paused": (AgentNotPaused, _not_paused),
    "registry: wallet taken": (WalletTaken, _wallet_taken),
    "registry: zero wallet": (ZeroWallet, _zero_wallet),
    "registry: proof expired": (WalletProofExpired, _expired),
    "registry: deadline too far": (WalletProofDeadlineTooFar, _too_far),
    "registry: proof used": (WalletProofUsed, _used),
    "registry: bad wallet proof": (WalletProofInvalid, _bad_proof),
    "registry: empty key": (EmptyMetadataKey, _empty_key),
    "registry: reserved key": (ReservedMetadataKey, _reserved_key),
    "registry: uri too long": (AgentURITooLong, _uri_too_long),
    "registry: key too long": (MetadataTooLarge, _key_too_long),
    "registry: value too long": (MetadataTooLarge, _value_too_long),
    "registry: too many entries": (MetadataTooLarge, _too_many_entries),
    "erc721: invalid token ID": (UnknownAgent, _unknown),
    "erc721: transfer from incorrect owner": (WrongOwner, _wrong_owner),
    "erc721: caller is not token owner or approved": (Unauthorized, _unauthorized),
    "erc721: not owner or operator": (Unauthorized, _unauthorized),
    "erc721: zero address": (ZeroAddress, _zero_address),
    "erc721: transfer to zero address": (ZeroAddress, _zero_address),
    "erc721: mint to zero address": (ZeroAddress, _zero_address),
    "erc721: approval to owner": (InvalidApproval, _approval_to_owner),
    "erc721: approve to caller": (InvalidApproval, _approve_to_caller),
    "erc721: non-ERC721Receiver implementer": (NotERC721Receiver, _not_receiver),
    "erc721: token already minted": (ContractRevert, internal("erc721: token already minted")),
    "erc721: data overflow": (ContractRevert, internal("erc721: data overflow")),
    "registry: too many transfers": (ContractRevert, _too_many_transfers),
}
"""The registry's and its ERC-721 module's fixed revert reasons, with their exceptions."""

PATTERNS: tuple[()] = ()
"""No numbered reasons in the registry."""

def _represented(ctx: RevertContext) -> str:
    return (
        f"{agent_label(ctx)} represents an agent of another chain: its owner, wallet, status and URI "
        "follow its home chain only; make the change there (registry.home_of tells which chain and id), "
        "and the relayer carries it here"
    )


def _state(what: str, fix: str) -> Message:
    def message(ctx: RevertContext) -> str:
        return f"{what}; {fix}"

    return message


REPRESENT_REVERTS: dict[str, tuple[type[ContractRevert], Message]] = {
    "registry: represented agent": (RepresentedAgent, _represented),
    "registry: bad home chain": (AgentStateRefused, _state(
        "the state names this chain (or chain 0) as the agent's home", "mirror agents of other chains only")),
    "registry: bad home agent": (AgentStateRefused, _state("the state names agent 0", "name the agent's home id")),
    "registry: zero owner": (AgentStateRefused, _state(
        "the state names no owner", "deliver a state read from the home registry (AgentState.read)")),
    "registry: bad status": (AgentStateRefused, _state(
        "the state's status is not 0, 1 or 2", "deliver a state read from the home registry")),
    "registry: bad generation": (AgentStateRefused, _state(
        "the state's generation is 0 or beyond 2**32", "deliver a state read from the home registry")),
    "registry: bad sequence": (AgentStateRefused, _state(
        "the state's sequence is beyond 2**32 - 1", "deliver a state read from the home registry")),
    "registry: not a represented agent": (ContractRevert, internal("registry: not a represented agent")),
    "registry: too many changes": (ContractRevert, _state(
        "the agent changed 4,294,967,295 times, the most its sequence holds", "register a new agent")),
    "oracle: not attested": (AgentStateRefused, _state(
        "the committee did not attest this state for this chain (too few members, another committee, "
        "another field or another chain's domain)",
        "have a threshold of the answering committee (AttesterOracle.current) sign agent_state_typed_data")),
    "hyperlane: bad route": (AgentStateRefused, _state(
        "a route names chain id 0 or no Mailbox", "give every chain its id, domain, Mailbox and ISM")),
    "hyperlane: duplicate route": (AgentStateRefused, _state(
        "two routes share a chain id or a domain", "list each chain once")),
    "hyperlane: no route for this chain": (AgentStateRefused, _state(
        "the route table has no entry for this chain", "deploy with the same table on every chain, this one included")),
    "hyperlane: no chains": (AgentStateRefused, _state("the report names no chain", "name 1 to 8 chains")),
    "hyperlane: duplicate chain": (AgentStateRefused, _state("the report names a chain twice", "name each once")),
    "hyperlane: unknown chain": (AgentStateRefused, _state(
        "a chain named is not in the route table, or is this chain", "report to the other chains of the table")),
    "hyperlane: not a local agent": (AgentStateRefused, _state(
        "the agent is not registered on this chain (unknown, or a mirror of another chain's)",
        "report it from its home chain")),
    "hyperlane: refund failed": (AgentStateRefused, _state(
        "the sender refused the excess fee", "send exactly quoteReport (the SDK does)")),
    "hyperlane: unknown domain": (AgentStateRefused, _state(
        "the message comes from a domain that is not in the route table (or from this chain's)",
        "deliver messages of the deployment's chains only")),
    "hyperlane: wrong origin": (AgentStateRefused, _state(
        "the message's home chain is not the chain it came from", "nothing to do: such a message is forged")),
}
"""Representation on other chains: the registry's mirror, the committee's and Hyperlane's inboxes."""

register_reverts("registry", {**REVERTS, **REPRESENT_REVERTS}, PATTERNS)
