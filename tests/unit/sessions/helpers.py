"""Pure helpers for the SessionManager unit tests.

Everything here is written from docs/sessions.md and the EIP-712 / ABI
specifications, independently of the contracts: grant and call records, the
full EIP-712 typed-data dicts (the struct type tables are the `charter`
package's; the messages are built here and hashed and signed with
eth_account, and the state machine's model derives the same type hashes from
its own strings), calldata builders, an event decoder
driven by the documented event layouts, signature surgery (high-s,
compact) and the raw storage slots used by the few white-box tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from charter._core.eip712 import EIP712_DOMAIN_TYPE
from charter.accounts.typed_data import MESSAGE_TYPES
from charter.sessions.models import FORBIDDEN_SELECTORS
from charter.sessions.typed_data import GRANT_TYPES, REQUEST_TYPES

from ..helpers import SECP256K1_N, Event, join, split
from ..helpers import decode_events as _decode_events

ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = ROOT / "contracts"
MOCKS = ROOT / "tests" / "mocks"

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO32 = b"\x00" * 32

DAY = 86_400
DEFAULT_MAX_SESSION = 7 * DAY
MAX_SESSION_CEILING = 366 * DAY
MASK_32 = 2**32 - 1
MASK_48 = 2**48 - 1
MASK_64 = 2**64 - 1
MASK_128 = 2**128 - 1

OP_EQ, OP_NE, OP_LE, OP_GE, OP_ONE_OF = range(5)

# grantState status codes (docs/sessions.md, "Views").
(
    PENDING,
    ACTIVE,
    REVOKED,
    REVOKED_ALL,
    EXPIRED,
    NOT_YET_VALID,
    AGENT_INACTIVE,
    EXHAUSTED,
    AGENT_TRANSFERRED,
) = range(9)

# Stored status in bits 0-7 of the state word.
STORED_NONE, STORED_ACTIVE, STORED_REVOKED = 0, 1, 2

MANAGER_NAME = "Charter SessionManager"
ACCOUNT_NAME = "Charter AgentAccount"
EIP712_VERSION = "1"
ERC1271_MAGIC = bytes.fromhex("1626ba7e")


def fixed_key(label: str) -> Any:
    """A reproducible secp256k1 account from a label."""
    return Account.from_key(keccak(text=f"charter-unit-sessions-{label}"))


def fixed_address(label: str) -> str:
    return to_checksum_address(keccak(text=f"charter-unit-sessions-addr-{label}")[-20:])


def sel(signature: str) -> bytes:
    return keccak(text=signature)[:4]


EMPTY_SELECTOR = b"\x00" * 4
POKE = sel("poke(uint256,address,uint256)")
FAIL = sel("fail(string)")
TRANSFER = sel("transfer(address,uint256)")
TRANSFER_FROM = sel("transferFrom(address,address,uint256)")
APPROVE = sel("approve(address,uint256)")
INCREASE_ALLOWANCE = sel("increaseAllowance(address,uint256)")

# Account-execution entry points a session may never call: the SDK checks them
# before signing; the unit tests hold the contract to the same list.
FORBIDDEN_SIGNATURES = list(FORBIDDEN_SELECTORS.values())

GRANT_ABI = (
    "(address,uint256,uint32,address,uint48,uint48,uint64,uint32,uint32,uint128,bytes32,"
    "(address,bytes4,uint256)[],(uint8,uint16,uint8,uint256)[],(address,uint128,uint32)[])"
)
CALL_ABI = "(address,uint256,bytes)"
RELAY_ABI = "(uint256,uint256,bytes)"


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Permission:
    target: str
    selector: bytes
    max_value: int = 0

    def abi(self) -> tuple:
        return (str(self.target), self.selector, self.max_value)


@dataclass(frozen=True)
class Condition:
    permission: int
    index: int
    op: int
    value: int

    def abi(self) -> tuple:
        return (self.permission, self.index, self.op, self.value)


@dataclass(frozen=True)
class TokenBudget:
    token: str
    cap: int
    period: int = 0

    def abi(self) -> tuple:
        return (str(self.token), self.cap, self.period)


@dataclass(frozen=True)
class Grant:
    account: str
    agent_id: int
    session_key: str
    valid_after: int
    valid_until: int
    agent_generation: int = 1
    epoch: int = 0
    max_calls: int = 0
    min_interval: int = 0
    native_budget: int = 0
    salt: bytes = ZERO32
    permissions: tuple[Permission, ...] = ()
    conditions: tuple[Condition, ...] = ()
    token_budgets: tuple[TokenBudget, ...] = field(default=())

    def abi(self) -> tuple:
        """The grant as the tuple the contract's `Grant` struct takes."""
        return (
            str(self.account),
            self.agent_id,
            self.agent_generation,
            str(self.session_key),
            self.valid_after,
            self.valid_until,
            self.epoch,
            self.max_calls,
            self.min_interval,
            self.native_budget,
            self.salt,
            [p.abi() for p in self.permissions],
            [c.abi() for c in self.conditions],
            [b.abi() for b in self.token_budgets],
        )

    def but(self, **changes) -> Grant:
        return replace(self, **changes)


@dataclass(frozen=True)
class Call:
    target: str
    value: int
    data: bytes

    def abi(self) -> tuple:
        return (str(self.target), self.value, self.data)


# ---------------------------------------------------------------- EIP-712

def _domain(name: str, chain_id: int, contract) -> dict:
    return {
        "name": name,
        "version": EIP712_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(str(contract)),
    }


def grant_typed_data(grant: Grant, chain_id: int, manager) -> dict:
    """The full EIP-712 typed data of a grant in a manager's domain."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **GRANT_TYPES},
        "primaryType": "Grant",
        "domain": _domain(MANAGER_NAME, chain_id, manager),
        "message": {
            "account": to_checksum_address(str(grant.account)),
            "agentId": grant.agent_id,
            "agentGeneration": grant.agent_generation,
            "sessionKey": to_checksum_address(str(grant.session_key)),
            "validAfter": grant.valid_after,
            "validUntil": grant.valid_until,
            "epoch": grant.epoch,
            "maxCalls": grant.max_calls,
            "minInterval": grant.min_interval,
            "nativeBudget": grant.native_budget,
            "salt": grant.salt,
            "permissions": [
                {
                    "target": to_checksum_address(str(p.target)),
                    "selector": p.selector,
                    "maxValue": p.max_value,
                }
                for p in grant.permissions
            ],
            "conditions": [
                {
                    "permission": c.permission,
                    "index": c.index,
                    "op": c.op,
                    "value": c.value,
                }
                for c in grant.conditions
            ],
            "tokenBudgets": [
                {
                    "token": to_checksum_address(str(b.token)),
                    "cap": b.cap,
                    "period": b.period,
                }
                for b in grant.token_budgets
            ],
        },
    }


def request_typed_data(
    grant_hash: bytes,
    nonce: int,
    deadline: int,
    calls: list[Call],
    chain_id: int,
    manager,
) -> dict:
    """SessionRequest(bytes32 grantHash,uint256 nonce,uint256 deadline,Call[] calls)."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **REQUEST_TYPES},
        "primaryType": "SessionRequest",
        "domain": _domain(MANAGER_NAME, chain_id, manager),
        "message": {
            "grantHash": bytes(grant_hash),
            "nonce": nonce,
            "deadline": deadline,
            "calls": [
                {
                    "target": to_checksum_address(str(c.target)),
                    "value": c.value,
                    "data": c.data,
                }
                for c in calls
            ],
        },
    }


def message_typed_data(digest: bytes, chain_id: int, account) -> dict:
    """CharterMessage(bytes32 hash) in a deployed AgentAccount's domain: what
    the account's owner signs for ERC-1271."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **MESSAGE_TYPES},
        "primaryType": "CharterMessage",
        "domain": _domain(ACCOUNT_NAME, chain_id, account),
        "message": {"hash": bytes(digest)},
    }


def typed_digest(typed: dict) -> bytes:
    signable = encode_typed_data(full_message=typed)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def pack_grant_signature(account_signature: bytes, agent_consent: bytes = b"") -> bytes:
    """`grantSignature` on first use of an off-chain grant:
    abi.encode(accountSignature, agentConsent) (docs/sessions.md)."""
    return abi_encode(["bytes", "bytes"], [bytes(account_signature), bytes(agent_consent)])


def sign_digest(signer, digest: bytes) -> bytes:
    """A 65-byte (r, s, v) signature of a raw digest (low s, v in {27, 28})."""
    return bytes(Account.unsafe_sign_hash(bytes(digest), signer.key).signature)


# ---------------------------------------------------------------- signatures


def high_s(signature: bytes) -> bytes:
    """The other valid ECDSA encoding of the same approval: s -> n - s, v flipped."""
    r, s, v = split(signature)
    return join(r, SECP256K1_N - s, 55 - v)


def compact(signature: bytes) -> bytes:
    """EIP-2098 64-byte form: r ++ (yParity << 255 | s)."""
    r, s, v = split(signature)
    return r.to_bytes(32, "big") + ((v - 27) << 255 | s).to_bytes(32, "big")


def recovers_to(signature: bytes, digest: bytes) -> str:
    """The address plain secp256k1 recovery gives (any s, v 27/28), to show
    that a refused signature is a real signature, not garbage."""
    from eth_keys import keys

    r, s, v = split(signature)
    public = keys.Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(
        bytes(digest)
    )
    return public.to_checksum_address()


# ---------------------------------------------------------------- calldata


def calldata(signature: str, *args) -> bytes:
    types = signature[signature.index("(") + 1 : -1]
    return sel(signature) + abi_encode(_split_types(types), list(args))


def _split_types(types: str) -> list[str]:
    out, depth, current = [], 0, ""
    for ch in types:
        if ch == "," and depth == 0:
            out.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    if current:
        out.append(current)
    return out


def poke(a: int = 1, b=ZERO_ADDRESS, c: int = 2) -> bytes:
    return calldata("poke(uint256,address,uint256)", a, str(b), c)


def transfer(to, amount: int) -> bytes:
    return calldata("transfer(address,uint256)", str(to), amount)


def transfer_from(owner, to, amount: int) -> bytes:
    return calldata(
        "transferFrom(address,address,uint256)", str(owner), str(to), amount
    )


def approve(spender, amount: int) -> bytes:
    return calldata("approve(address,uint256)", str(spender), amount)


def increase_allowance(spender, amount: int) -> bytes:
    return calldata("increaseAllowance(address,uint256)", str(spender), amount)


def execute_calldata(
    grant: Grant, signature: bytes, target, value: int, data: bytes, relay=None
) -> bytes:
    """Calldata of `SessionManager.execute`, with or without the relay argument."""
    if relay is None:
        return calldata(
            f"execute({GRANT_ABI},bytes,address,uint256,bytes)",
            grant.abi(),
            signature,
            str(target),
            value,
            data,
        )
    return calldata(
        f"execute({GRANT_ABI},bytes,address,uint256,bytes,{RELAY_ABI})",
        grant.abi(),
        signature,
        str(target),
        value,
        data,
        relay,
    )


def execute_batch_calldata(
    grant: Grant, signature: bytes, calls: list[Call], relay=None
) -> bytes:
    if relay is None:
        return calldata(
            f"executeBatch({GRANT_ABI},bytes,{CALL_ABI}[])",
            grant.abi(),
            signature,
            [c.abi() for c in calls],
        )
    return calldata(
        f"executeBatch({GRANT_ABI},bytes,{CALL_ABI}[],{RELAY_ABI})",
        grant.abi(),
        signature,
        [c.abi() for c in calls],
        relay,
    )


# ---------------------------------------------------------------- events

# The documented SessionManager events: (name, type, indexed).
EVENT_LAYOUTS: dict[str, list[tuple[str, str, bool]]] = {
    "GrantActivated": [
        ("grantHash", "bytes32", True),
        ("account", "address", True),
        ("agentId", "uint256", True),
        ("sessionKey", "address", False),
        ("validUntil", "uint256", False),
    ],
    "GrantRevoked": [
        ("grantHash", "bytes32", True),
        ("account", "address", True),
        ("revokedBy", "address", False),
    ],
    "AllGrantsRevoked": [
        ("account", "address", True),
        ("epoch", "uint256", False),
    ],
    "MaxSessionLengthSet": [
        ("account", "address", True),
        ("maxSessionLength", "uint256", False),
    ],
}
def decode_events(called_contract, emitter) -> list[Event]:
    """The events `emitter` logged during the last call made to
    `called_contract` (also from nested calls, e.g. an owner going through
    `account.execute`), decoded with the documented layouts above."""
    return _decode_events(called_contract, emitter, EVENT_LAYOUTS)


# ---------------------------------------------------------------- state word


def unpack_state(word: int) -> dict[str, int]:
    """The documented state word: status 8 | callsUsed 32 | lastCall 48 |
    nonce 32 | nativeSpent 128."""
    return {
        "status": word & 0xFF,
        "calls": (word >> 8) & MASK_32,
        "last": (word >> 40) & MASK_48,
        "nonce": (word >> 88) & MASK_32,
        "native": word >> 120,
    }


def pack_state(
    status: int = 0, calls: int = 0, last: int = 0, nonce: int = 0, native: int = 0
) -> int:
    return status | calls << 8 | last << 40 | nonce << 88 | native << 120


def map_slot(base: int, *keys) -> int:
    """Vyper HashMap slot: keccak256(slot ++ key), nested."""
    slot = base
    for k in keys:
        key = (
            bytes(k).rjust(32, b"\x00")
            if isinstance(k, bytes)
            else bytes.fromhex(str(k)[2:]).rjust(32, b"\x00")
        )
        slot = int.from_bytes(keccak(slot.to_bytes(32, "big") + key), "big")
    return slot


def storage_slot(contract, name: str) -> int:
    """The slot of storage variable `name`, declared in the contract or in a
    module it initializes (the SessionManager's live in `grant_store`)."""
    layout = contract.compiler_data.storage_layout["storage_layout"]
    if name in layout:
        return layout[name]["slot"]
    for entry in layout.values():
        if isinstance(entry, dict) and name in entry:
            return entry[name]["slot"]
    raise KeyError(name)


# ---------------------------------------------------------------- raw bytecode


def answering_code(answer: bytes) -> bytes:
    """Runtime bytecode that ignores its input and returns `answer` (at most
    32 bytes): stands for ERC-1271 signers that answer shorter than a word,
    which Vyper 0.4.3 cannot express (no `raw_return`)."""
    assert len(answer) <= 32
    if not answer:
        return bytes.fromhex("60006000f3")  # PUSH1 0 PUSH1 0 RETURN
    word = answer.ljust(32, b"\x00")
    return (
        b"\x7f"
        + word  # PUSH32 word
        + bytes.fromhex("600052")  # PUSH1 0 MSTORE
        + bytes([0x60, len(answer)])  # PUSH1 len
        + bytes.fromhex("6000f3")  # PUSH1 0 RETURN
    )
