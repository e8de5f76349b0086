"""The sessions' models (pydantic v2): a grant as the SessionManager hashes it, and what travels and is read back.

    Grant          the grant, field for field (permissions, conditions, token budgets)
    SignedGrant    a grant bound to its chain and manager, with the account's signature
    MultiChainGrant grants on several chains, signed once (each chain's entry is a SignedGrant)
    SessionRequest calls signed by the session key, for anyone to relay
    GrantState     a grant's status and what is left of it, read at one block
    GrantRecord    one grant of an account, found in the manager's events

Also the SessionManager's limits and the selectors it treats specially.
Everything here is pure: no node is needed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from enum import IntEnum
from typing import Annotated, Any, ClassVar, Self

from eth_abi import encode as abi_encode
from eth_utils import keccak
from pydantic import ConfigDict, Field, model_validator
from web3 import Web3

from .._core.checks import Address, Bytes4, Bytes32, Data, parse_address, uint, validation_message
from .._core.display import ByName, Readable, shown
from .._core.eip712 import recover_signer
from .._core.revert import format_time
from .._core.tx import TxResult
from ..accounts.models import Call
from ..exceptions import InvalidInput
from .typed_data import grant_digest, grant_typed_data, multi_chain_digest, multi_chain_typed_data

MAX_PERMISSIONS = 8
MAX_CONDITIONS = 8
MAX_TOKENS = 4
MAX_BATCH = 16
MAX_CALLDATA = 2_048
MAX_BATCH_CALLDATA = 1_024
DEFAULT_MAX_SESSION = 7 * 86_400
MAX_SESSION_CEILING = 366 * 86_400
MAX_CHAINS = 16
"""The most entries a multi-chain grant may list (``session_types.MAX_CHAINS``)."""

TOKEN_SELECTORS: dict[bytes, str] = {
    keccak(text=sig)[:4]: sig
    for sig in (
        "transfer(address,uint256)",
        "transferFrom(address,address,uint256)",
        "approve(address,uint256)",
        "increaseAllowance(address,uint256)",
    )
}
"""The ERC-20 functions that move or approve a token directly (named in grant summaries and
refusals). The cap itself is wider: it counts everything that leaves the account during a
session execution, by any path (docs/sessions.md, standing allowances)."""

FORBIDDEN_SELECTORS: dict[bytes, str] = {
    keccak(text=sig)[:4]: sig
    for sig in (
        "execute(address,uint256,bytes)",
        "executeBatch((address,uint256,bytes)[])",
        "executeFromManager(address,uint256,bytes)",
        "executeBatchFromManager((address,uint256,bytes)[])",
        "execute(bytes32,bytes)",
        "executeFromExecutor(bytes32,bytes)",
        "executeBatch(address[],uint256[],bytes[])",
        "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
        "execTransactionFromModule(address,uint256,bytes,uint8)",
        "execTransactionFromModuleReturnData(address,uint256,bytes,uint8)",
        "redeemDelegations(bytes[],bytes32[],bytes[])",
    )
}
"""Account-execution entry points a session may never call (the manager refuses them)."""

GUARDED = "guarded: may not leave the account"
"""How a guarded token (a budget with cap 0 and no period) reads in a grant's description."""

SIGNATURE_MISMATCH = "the signature does not match this grant: it was changed after signing, or signed by another key"
"""What a grant whose account signature does not verify is said to be (:class:`SignatureCheck`)."""



# ---------------------------------------------------------------- the grant


class Op(IntEnum):
    """Condition operators on one 32-byte ABI argument word (unsigned comparison)."""

    EQ = 0
    NE = 1
    LE = 2
    GE = 3
    ONE_OF = 4

    @property
    def symbol(self) -> str:
        return {0: "==", 1: "!=", 2: "<=", 3: ">=", 4: "one of"}[self.value]


class Permission(Readable):
    """One allowed (target, selector) and the most wei a call to it may send."""

    model_config = ConfigDict(frozen=True)

    target: Address
    selector: Bytes4
    max_value: Annotated[int, uint(256)] = 0

    def as_tuple(self) -> tuple[str, bytes, int]:
        return (self.target, self.selector, self.max_value)


class Condition(Readable):
    """A check on ABI argument word `index` of calls allowed by permission `permission`."""

    model_config = ConfigDict(frozen=True)

    permission: Annotated[int, uint(8)]
    index: Annotated[int, uint(16)]
    op: Op
    value: Annotated[int, uint(256)]

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.permission, self.index, int(self.op), self.value)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # An address or a wide word reads better in hex than as 49 decimal digits.
        for name, value in super().__repr_args__():
            yield name, (shown(f"0x{self.value:x}") if name == "value" and self.value >= 2**64 else value)


class TokenBudget(Readable):
    """At most `cap` of `token` per `period` seconds (0: over the whole grant).

    A cap of 0 with no period is a guard: the token may not leave the account
    during a session execution at all (:meth:`GrantBuilder.guard`)."""

    model_config = ConfigDict(frozen=True)

    token: Address
    cap: Annotated[int, uint(128)]
    period: Annotated[int, uint(32)] = 0

    @property
    def guarded(self) -> bool:
        """Whether this is a guard (cap 0, no period): the token may not leave the account at all."""
        return self.cap == 0 and self.period == 0

    def as_tuple(self) -> tuple[str, int, int]:
        return (self.token, self.cap, self.period)


class Grant(Readable):
    """A session grant, field for field as the SessionManager hashes it.

    A pydantic v2 model: ``model_dump()`` / ``model_dump_json()`` and
    ``Grant.model_validate(...)`` (not the deprecated v1 ``.dict()``, ``.json()``,
    ``parse_obj``); what travels to the agent is a :class:`SignedGrant`, with
    :meth:`SignedGrant.to_json` / :meth:`SignedGrant.from_json`.
    """

    model_config = ConfigDict(frozen=True)

    account: Address
    agent_id: Annotated[int, uint(256)]
    session_key: Address
    valid_after: Annotated[int, uint(48)]
    valid_until: Annotated[int, uint(48)]
    agent_generation: Annotated[int, uint(32)] = 1
    epoch: Annotated[int, uint(64)] = 0
    max_calls: Annotated[int, uint(32)] = 0
    min_interval: Annotated[int, uint(32)] = 0
    native_budget: Annotated[int, uint(128)] = 0
    salt: Bytes32 = b"\x00" * 32
    permissions: tuple[Permission, ...] = ()
    conditions: tuple[Condition, ...] = ()
    token_budgets: tuple[TokenBudget, ...] = ()

    def as_tuple(self) -> tuple[Any, ...]:
        """The ABI tuple the SessionManager takes."""
        return (
            self.account,
            self.agent_id,
            self.agent_generation,
            self.session_key,
            self.valid_after,
            self.valid_until,
            self.epoch,
            self.max_calls,
            self.min_interval,
            self.native_budget,
            self.salt,
            [p.as_tuple() for p in self.permissions],
            [c.as_tuple() for c in self.conditions],
            [b.as_tuple() for b in self.token_budgets],
        )

    def typed_data(self, chain_id: int, manager: str) -> dict[str, Any]:
        """The full EIP-712 message an account signs for this grant."""
        return grant_typed_data(self, chain_id, manager)

    def hash(self, chain_id: int, manager: str) -> bytes:
        """The grant hash (EIP-712 digest) on `chain_id` and `manager`: what `revoke` takes.

        Hashed directly from the fields (as the contract does), equal to the
        digest of :meth:`typed_data`."""
        return grant_digest(self, chain_id, manager)

    def budget_of(self, token: str) -> TokenBudget | None:
        token = parse_address(token)
        return next((b for b in self.token_budgets if b.token == token), None)

    def describe(self) -> list[str]:
        """The grant in words, one line per rule (for humans and the CLI)."""
        lines = []
        for i, p in enumerate(self.permissions):
            value = f", up to {p.max_value:,} wei per call" if p.max_value else ""
            rules = [describe_condition(c) for c in self.conditions if c.permission == i]
            where = f" where {' and '.join(merge_one_of(rules))}" if rules else ""
            if p.selector == b"\x00" * 4:
                lines.append(f"send ETH to {p.target}{value}{where}")
                continue
            function = TOKEN_SELECTORS.get(p.selector) or "0x" + p.selector.hex()
            lines.append(f"call {function} on {p.target}{value}{where}")
        for b in self.token_budgets:
            if b.guarded:
                lines.append(f"token {b.token} {GUARDED}")
                continue
            per = f" every {_duration(b.period)}" if b.period else " in total"
            lines.append(f"move at most {b.cap:,} of token {b.token}{per}")
        if self.native_budget:
            lines.append(f"send at most {self.native_budget:,} wei in total")
        if self.max_calls:
            lines.append(f"at most {self.max_calls:,} calls")
        if self.min_interval:
            lines.append(f"at least {_duration(self.min_interval)} between calls")
        return lines


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} s"


def describe_condition(c: Condition) -> str:
    looks_like_address = 2**100 <= c.value < 2**160
    value = Web3.to_checksum_address(f"0x{c.value:040x}") if looks_like_address else f"{c.value:,}"
    return f"argument {c.index} {c.op.symbol} {value}"


def merge_one_of(rules: list[str]) -> list[str]:
    """Join the alternatives of one argument (``argument 0 one of a``, ``... one of b``)."""
    merged: dict[str, list[str]] = {}
    out: list[str] = []
    for rule in rules:
        head, sep, value = rule.partition(" one of ")
        if sep:
            if head not in merged:
                merged[head] = []
                out.append(head)
            merged[head].append(value)
        else:
            out.append(rule)
    return [f"{r} one of {{{', '.join(merged[r])}}}" if r in merged else r for r in out]


def grant_from_tuple(raw: Sequence[Any]) -> Grant:
    """A :class:`Grant` from the ABI tuple (as decoded from calldata)."""
    (
        account,
        agent_id,
        generation,
        key,
        after,
        until,
        epoch,
        max_calls,
        interval,
        native,
        salt,
        permissions,
        conditions,
        budgets,
    ) = raw
    return Grant(
        account=account, agent_id=agent_id, agent_generation=generation, session_key=key,
        valid_after=after, valid_until=until, epoch=epoch, max_calls=max_calls, min_interval=interval,
        native_budget=native, salt=salt,
        permissions=tuple({"target": t, "selector": s, "max_value": v} for t, s, v in permissions),
        conditions=tuple({"permission": p, "index": i, "op": o, "value": v} for p, i, o, v in conditions),
        token_budgets=tuple({"token": t, "cap": c, "period": p} for t, c, p in budgets),
    )


# ---------------------------------------------------------------- what travels and is read back


class GrantStatus(ByName, IntEnum):
    """Where a grant stands (``grantState().status``)."""

    PENDING = 0  # signed off-chain, never used (it may still be valid)
    ACTIVE = 1
    REVOKED = 2
    REVOKED_ALL = 3
    EXPIRED = 4
    NOT_YET_VALID = 5
    AGENT_INACTIVE = 6
    EXHAUSTED = 7
    AGENT_TRANSFERRED = 8

    @property
    def label(self) -> str:
        return {
            0: "pending (not used yet)",
            1: "active",
            2: "revoked",
            3: "revoked (revoke-all)",
            4: "expired",
            5: "not yet valid",
            6: "agent not active",
            7: "calls used up",
            8: "agent changed hands",
        }[self.value]

    @property
    def usable(self) -> bool:
        return self in (GrantStatus.PENDING, GrantStatus.ACTIVE)


class _Portable(Readable):
    """A model that travels as JSON between principal, agent and relayer."""

    model_config = ConfigDict(frozen=True)
    what: ClassVar[str] = "Charter object"

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> Self:
        try:
            return cls.model_validate_json(text)
        except ValueError as exc:
            raise InvalidInput(f"not a {cls.what}: {validation_message(exc)}") from None


class SignatureCheck(Readable):
    """Whether a grant's account approved exactly this grant, as the SessionManager checks it
    on first use (:meth:`SignedGrant.check_signature` offline, :meth:`SessionsView.check_signature`
    against the chain)."""

    model_config = ConfigDict(frozen=True)

    valid: bool | None
    """True: the account approved this grant; False: it did not (:data:`SIGNATURE_MISMATCH`, or no
    signature and no record on chain); None: it cannot be told without the grant's chain."""
    method: str
    """How it was decided: ``"ECDSA"`` (the account's own key), ``"ERC-1271"`` (the account's
    ``isValidSignature``: a deployed account's owner), ``"on chain"`` (the manager holds the grant:
    issued on chain, or its signature checked on first use) or ``"none"`` (no signature)."""
    account: str
    signer: str | None = None
    """Who the 65-byte signature recovers to, if it is one."""
    reason: str
    """The verdict in words, for people."""


class SignedGrant(_Portable):
    """A grant bound to its chain and manager, with the account's signature
    (empty when it was issued on-chain) and the agent's consent to its
    session key (the agent owner's or wallet's signature of the grant hash;
    empty when consent is implied). What the principal hands the agent.

    One chain's entry of a :class:`MultiChainGrant` also lists `grants`, every
    entry's grant hash as the account signed them: then `signature` and
    `agent_consent` sign the multi-chain digest (:attr:`signed_digest`), and the
    first use activates the entry (``Sessions.activate``) before the calls."""

    what: ClassVar[str] = "signed Charter grant"

    grant: Grant
    chain_id: int
    manager: Address
    signature: Data = b""
    agent_consent: Data = b""
    grants: tuple[Bytes32, ...] = Field(default=(), exclude_if=lambda grants: not grants)
    """A multi-chain grant's entry: every entry's grant hash, in the order signed; empty for a grant of one chain."""

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # A grant of one chain prints as it always did: the empty list of entries is left out.
        for name, value in super().__repr_args__():
            if name != "grants" or self.grants:
                yield name, value

    @model_validator(mode="after")
    def _listed(self) -> Self:
        if self.grants and self.hash not in self.grants:
            raise ValueError(
                f"grant 0x{self.hash.hex()} (chain {self.chain_id}) is not among the grants it lists: it is not "
                "this chain's entry of the multi-chain grant, or it was changed after signing"
            )
        if len(self.grants) > MAX_CHAINS:
            raise ValueError(f"a multi-chain grant lists at most {MAX_CHAINS} grants, got {len(self.grants)}")
        return self

    @property
    def first_use_signature(self) -> bytes:
        """``grantSignature`` on first use: abi.encode(signature, agent_consent)."""
        return abi_encode(["bytes", "bytes"], [bytes(self.signature), bytes(self.agent_consent)])

    @property
    def hash(self) -> bytes:
        return self.grant.hash(self.chain_id, self.manager)

    @property
    def multi_chain(self) -> bool:
        """Whether this is one chain's entry of a grant signed once for several chains."""
        return bool(self.grants)

    @property
    def signed_digest(self) -> bytes:
        """What `signature` and `agent_consent` sign: the grant hash, or for a multi-chain
        entry the multi-chain digest of `grants` (:func:`~.typed_data.multi_chain_digest`)."""
        return multi_chain_digest(self.grants, self.manager) if self.grants else self.hash

    def check_signature(self) -> SignatureCheck:
        """Whether the account signed exactly this grant, offline (no node): valid when the
        signature recovers to the account's own key (an EOA or an EIP-7702 account signs the
        grant itself). Undecided (``valid`` None) without the chain when the grant carries no
        signature (a grant issued on chain needs none) or a signature that is not the
        account key's: a deployed account's owner signs through the account's ERC-1271, which
        only the chain answers (:meth:`SessionsView.check_signature` decides both)."""
        account = self.grant.account
        if not self.signature:
            return SignatureCheck(
                valid=None, method="none", account=account,
                reason="the grant carries no signature: it is valid only if it was issued on chain, which its "
                f"chain (chain {self.chain_id}) tells",
            )
        signer = recover_signer(self.signed_digest, self.signature)
        signed = f"the multi-chain grant of {len(self.grants)} chains" if self.grants else "the grant"
        if signer == account:
            return SignatureCheck(valid=True, method="ECDSA", account=account, signer=signer,
                                  reason=f"{signed} signed by the account's own key ({account})")
        what = f"it recovers to {signer}" if signer else "it is not a valid 65-byte ECDSA signature"
        return SignatureCheck(
            valid=None, method="ECDSA", account=account, signer=signer,
            reason=f"not signed by the account's own key ({what}): {SIGNATURE_MISMATCH}, unless {account} is a "
            f"contract account whose owner signed it (ERC-1271), which only its chain (chain {self.chain_id}) tells",
        )

    def save(self, path: str) -> None:
        """Write the grant as JSON for the agent (:meth:`from_json` reads it back)."""
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.to_json() + "\n")

    def report(self) -> list[str]:
        """The grant for humans: hash, agent and key, one line per rule, the window."""
        lines = _report(self.hash, self.grant)
        if self.grants:
            lines[0] += f" (chain {self.chain_id}'s entry of a grant signed once for {len(self.grants)} chains)"
        return lines

    def summary(self, tx: TxResult | None = None) -> dict[str, Any]:
        """The grant for machines (``--json``): hash, the signed grant, how it was issued."""
        return {
            "grant_hash": "0x" + self.hash.hex(),
            "signed_grant": json.loads(self.to_json()),
            "issued_on_chain": tx is not None,
            "transaction": tx.model_dump() if tx is not None else None,
        }


def _report(grant_hash: bytes, g: Grant) -> list[str]:
    """A grant for humans: hash, agent and key, one line per rule, the window."""
    return [
        f"grant 0x{grant_hash.hex()} for agent {g.agent_id}, session key {g.session_key}",
        *(f"  - {line}" for line in g.describe()),
        f"  - valid {format_time(g.valid_after)} .. {format_time(g.valid_until)}",
    ]


class ChainGrant(Readable):
    """One chain's grant of a :class:`MultiChainGrant`: the grant, its chain and SessionManager."""

    model_config = ConfigDict(frozen=True)

    grant: Grant
    chain_id: int
    manager: Address

    @property
    def hash(self) -> bytes:
        """The grant hash on this entry's chain and manager (what ``revoke`` takes there)."""
        return self.grant.hash(self.chain_id, self.manager)


class MultiChainGrant(_Portable):
    """Grants on several chains that the account signed once.

    The account (an EOA or an EIP-7702 account: it signs with its own key) signs
    the EIP-712 message ``MultiChainGrant(bytes32[] grants)`` under the
    chain-agnostic domain of the SessionManager (the same CREATE2 address on
    every chain), `grants` being each entry's grant hash, which binds that
    entry's chain id. Each chain accepts only its own entry (:meth:`entry`),
    activated on first use; revoking one entry (``Sessions.revoke`` on its
    chain) leaves the others in force. The agent's consent, when not implied,
    signs the same digest. Made by :func:`charter.sessions.sign_multi_chain`.
    """

    what: ClassVar[str] = "multi-chain Charter grant"

    entries: tuple[ChainGrant, ...]
    signature: Data = b""
    agent_consent: Data = b""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not 2 <= len(self.entries) <= MAX_CHAINS:
            raise ValueError(f"a multi-chain grant has 2 to {MAX_CHAINS} entries, got {len(self.entries)}")
        chains = [e.chain_id for e in self.entries]
        if len(set(chains)) != len(chains):
            raise ValueError(f"a multi-chain grant has one entry per chain, but lists chains {chains}")
        managers = {e.manager for e in self.entries}
        if len(managers) != 1:
            raise ValueError(
                f"every entry of a multi-chain grant names the same SessionManager (the one signature names it), "
                f"but these name {sorted(managers)}"
            )
        accounts = {e.grant.account for e in self.entries}
        if len(accounts) != 1:
            raise ValueError(f"every entry of a multi-chain grant is for the same account, but these are for "
                             f"{sorted(accounts)}")
        return self

    @property
    def account(self) -> str:
        return self.entries[0].grant.account

    @property
    def manager(self) -> str:
        """The SessionManager, the same on every chain (its address is in the signed domain)."""
        return self.entries[0].manager

    @property
    def chain_ids(self) -> list[int]:
        return [e.chain_id for e in self.entries]

    @property
    def grants(self) -> list[bytes]:
        """Every entry's grant hash, in entry order: the list the account signed."""
        return [e.hash for e in self.entries]

    @property
    def digest(self) -> bytes:
        """The digest the account and the agent's consent sign (EIP-712 ``MultiChainGrant``)."""
        return multi_chain_digest(self.grants, self.manager)

    def typed_data(self) -> dict[str, Any]:
        """The full EIP-712 message the account signs (for signers that hash it themselves)."""
        return multi_chain_typed_data(self.grants, self.manager)

    def entry(self, chain_id: int) -> SignedGrant:
        """Chain `chain_id`'s entry, as the :class:`SignedGrant` its session key uses there
        (it carries the signed list, so its first use activates it)."""
        grants = tuple(self.grants)
        for e in self.entries:
            if e.chain_id == chain_id:
                return SignedGrant(grant=e.grant, chain_id=e.chain_id, manager=e.manager,
                                   signature=self.signature, agent_consent=self.agent_consent, grants=grants)
        raise InvalidInput(
            f"the multi-chain grant has no entry for chain {chain_id}: its chains are "
            f"{', '.join(map(str, self.chain_ids))}; use it on one of them, or have the account sign a grant "
            f"that includes chain {chain_id}"
        )

    def signed_entries(self) -> list[SignedGrant]:
        """Every entry as its chain's :class:`SignedGrant`, in entry order."""
        return [self.entry(c) for c in self.chain_ids]

    def check_signature(self) -> SignatureCheck:
        """Whether the account signed exactly these entries, offline: the signature of the
        multi-chain digest must recover to the account's own key."""
        return self.entry(self.chain_ids[0]).check_signature()

    def save(self, path: str) -> None:
        """Write the multi-chain grant as JSON (:meth:`from_json` reads it back)."""
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.to_json() + "\n")

    def report(self) -> list[str]:
        """Every entry for humans: its chain, manager and hash, the grant in words."""
        lines = [
            f"multi-chain grant 0x{self.digest.hex()} of account {self.account}, signed once for "
            f"{len(self.entries)} chains ({', '.join(map(str, self.chain_ids))}), SessionManager {self.manager}",
        ]
        for e in self.entries:
            lines += [f"  chain {e.chain_id}:", *("    " + line for line in _report(e.hash, e.grant))]
        return lines

    def summary(self) -> dict[str, Any]:
        """The multi-chain grant for machines (``--json``): the digest, every entry, the signed file."""
        return {
            "digest": "0x" + self.digest.hex(),
            "account": self.account,
            "manager": self.manager,
            "grants": ["0x" + h.hex() for h in self.grants],
            "entries": [
                {"chain_id": e.chain_id, "manager": e.manager, "grant_hash": "0x" + e.hash.hex(),
                 "rules": e.grant.describe(), "valid_after": e.grant.valid_after, "valid_until": e.grant.valid_until}
                for e in self.entries
            ],
            "multi_chain_grant": json.loads(self.to_json()),
        }


class SessionRequest(_Portable):
    """Calls signed by the session key for anyone to relay (``Sessions.relay``)."""

    what: ClassVar[str] = "signed Charter session request"

    grant: SignedGrant
    calls: tuple[Call, ...]
    nonce: int
    deadline: int
    signature: Data


class TokenAllowance(Readable):
    model_config = ConfigDict(frozen=True)

    token: str
    cap: int
    period: int
    left: int
    """What the grant may still move this period."""

    @property
    def guarded(self) -> bool:
        """Whether the budget is a guard (cap 0, no period), as :attr:`TokenBudget.guarded`."""
        return self.cap == 0 and self.period == 0


class GrantState(Readable):
    """A grant's state as the SessionManager sees it now."""

    model_config = ConfigDict(frozen=True)

    grant_hash: str
    account: str
    agent_id: int
    session_key: str
    status: GrantStatus
    calls_used: int
    calls_left: int | None
    """None when the grant has no call limit."""
    native_spent: int
    native_left: int
    last_call: int | None
    valid_after: int
    valid_until: int
    nonce: int
    tokens: tuple[TokenAllowance, ...] = ()
    block: int
    signature: SignatureCheck | None = None
    """The account's signature checked against the chain (None when the state was read for a
    :class:`Grant`, which carries none); a signature that does not verify is the `problem`."""
    problem: str | None = None
    """Why a use would be refused although `status` does not say so (the
    manager's status view skips these checks): a signature that does not
    match the grant (it was changed after signing), a window longer than the
    account's current maximum, an epoch the account has not reached, an
    account without code."""

    @property
    def usable(self) -> bool:
        return self.status.usable and self.problem is None


class GrantRecord(Readable):
    """One grant of an account, as found in the manager's events."""

    model_config = ConfigDict(frozen=True)

    grant_hash: str
    account: str
    agent_id: int | None = None
    session_key: str | None = None
    valid_until: int | None = None
    activated_block: int | None = None
    activated_tx: str | None = None
    revoked: bool = False
    revoked_by: str | None = None
    grant: Grant | None = None
    """Recovered from the activating transaction's input when possible."""
    state: GrantState | None = None
    """Read now, when `grant` is known."""

    @property
    def status_label(self) -> str:
        if self.state is not None:
            label = self.state.status.label
            return f"{label}, but {self.state.problem}" if self.state.problem else label
        # Without the grant its window, epoch and budgets are unknown here.
        return "revoked" if self.revoked else "activated (state unknown: read it with the grant)"
