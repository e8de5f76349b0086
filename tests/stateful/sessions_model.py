"""Python model of Charter's SessionManager for `test_sessions_machine.py`.

Written from the design (docs/sessions.md) and the contract's documented
order of checks, independently of the contract's code paths:

- EIP-712 digests of grants, session requests and the AgentAccount's
  `CharterMessage` wrapper (domains bound to chain id and contract);
- the manager's per-grant state word, per-(grant, token) spend word and
  per-account epoch / maximum session length;
- `predict(...)`: whether an `execute` / `executeBatch` (direct or relayed)
  goes through, and if so the new state and the effect of the calls on a
  mirrored world (ETH, ERC-20 balances and allowances, Permit2 allowances,
  Target.count, what the Puller pulls), so that calls the target itself
  would refuse are predicted too;
- the token charge of an execution (`token_charges`), as the manager makes
  it after the calls: per budgeted (or guarded, cap 0) token, the account's
  balance before less its balance after (when positive), plus for each
  call that is an approval over the token (ERC-20 approve /
  increaseAllowance / increaseApproval on it, or Permit2's approve naming
  it) the smaller of its amount and the allowance still left to that
  spender after the execution, plus for each transferFrom on the token
  whose `from` is not the account its amount; over the cap (per period)
  the whole execution is refused ("over token budget <j>");
- the agent's side (S3, S5): at activation the agent must consent to the
  session key (implied when the key is the agent's wallet or the account
  its owner or wallet, else the owner or wallet signs the grant digest,
  ECDSA or ERC-1271); on every use the agent must be Active and of the
  generation the grant names (`Agent`, from the machine's registry record);
- `grant_status(...)`: what `SessionView.grantState` reports.

Only allow/refuse is compared with the contract; the reason returned with a
refusal is informative (statistics, failure messages).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from eth_abi import encode
from eth_utils import keccak

import charter.sessions.models

# ---------------------------------------------------------------- constants

OP_EQ, OP_NE, OP_LE, OP_GE, OP_ONE_OF = range(5)
NONE, ACTIVE, REVOKED = 0, 1, 2
# `SessionView.grantState` status codes (docs/sessions.md, "Views").
(
    STATUS_PENDING,
    STATUS_ACTIVE,
    STATUS_REVOKED,
    STATUS_REVOKED_ALL,
    STATUS_EXPIRED,
    STATUS_NOT_YET_VALID,
    STATUS_AGENT_INACTIVE,
    STATUS_EXHAUSTED,
    STATUS_AGENT_TRANSFERRED,
) = range(9)
DEFAULT_MAX_SESSION = 7 * 86_400
MAX_SESSION_CEILING = 366 * 86_400
MASK_32 = 2**32 - 1
MASK_48 = 2**48 - 1
MASK_64 = 2**64 - 1
MASK_128 = 2**128 - 1
ZERO = "0x" + "00" * 20


def sel(signature: str) -> bytes:
    return keccak(text=signature)[:4]


EMPTY_SELECTOR = b"\x00" * 4
POKE = sel("poke(uint256,address,uint256)")
FAIL = sel("fail(string)")
TRANSFER = sel("transfer(address,uint256)")
TRANSFER_FROM = sel("transferFrom(address,address,uint256)")
APPROVE = sel("approve(address,uint256)")
INCREASE_ALLOWANCE = sel("increaseAllowance(address,uint256)")
INCREASE_APPROVAL = sel("increaseApproval(address,uint256)")
# Permit2's approve(token, spender, amount, expiration), on any target.
PERMIT2_APPROVE = sel("approve(address,address,uint160,uint48)")
# Puller (tests/mocks/Puller.vy): pulls through the allowance its caller names.
PULL = sel("pull(address,address,address,uint256)")
PULL_PERMIT2 = sel("pull_permit2(address,address,address,address,uint160)")
MAX_UINT = 2**256 - 1
MAX_160 = 2**160 - 1
# A charge is saturated here (above every cap, which is below 2**128).
CHARGE_CEILING = 2**129
# Account-execution entry points: the SDK's list (which the unit tests hold
# the contract to).
FORBIDDEN_SELECTORS = set(charter.sessions.models.FORBIDDEN_SELECTORS)

PERMISSION_TYPEHASH = keccak(text="Permission(address target,bytes4 selector,uint256 maxValue)")
CONDITION_TYPEHASH = keccak(text="Condition(uint8 permission,uint16 index,uint8 op,uint256 value)")
TOKEN_BUDGET_TYPEHASH = keccak(text="TokenBudget(address token,uint128 cap,uint32 period)")
GRANT_TYPEHASH = keccak(
    text="Grant(address account,uint256 agentId,uint32 agentGeneration,address sessionKey,"
    "uint48 validAfter,uint48 validUntil,"
    "uint64 epoch,uint32 maxCalls,uint32 minInterval,uint128 nativeBudget,bytes32 salt,"
    "Permission[] permissions,Condition[] conditions,TokenBudget[] tokenBudgets)"
    "Condition(uint8 permission,uint16 index,uint8 op,uint256 value)"
    "Permission(address target,bytes4 selector,uint256 maxValue)"
    "TokenBudget(address token,uint128 cap,uint32 period)"
)
CALL_TYPEHASH = keccak(text="Call(address target,uint256 value,bytes data)")
SESSION_REQUEST_TYPEHASH = keccak(
    text="SessionRequest(bytes32 grantHash,uint256 nonce,uint256 deadline,Call[] calls)"
    "Call(address target,uint256 value,bytes data)"
)
MESSAGE_TYPEHASH = keccak(text="CharterMessage(bytes32 hash)")
WALLET_SET_TYPEHASH = keccak(
    text="AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)"
)
DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)

GRANT_ABI = (
    "(address,uint256,uint32,address,uint48,uint48,uint64,uint32,uint32,uint128,bytes32,"
    "(address,bytes4,uint256)[],(uint8,uint16,uint8,uint256)[],(address,uint128,uint32)[])"
)


def norm(address) -> str:
    return str(address).lower()


def calldata(signature: str, types: list[str], args: list) -> bytes:
    return sel(signature) + encode(types, args)


# ---------------------------------------------------------------- EIP-712

_DOMAINS: dict[tuple, bytes] = {}


def domain_separator(name: str, chain_id: int, contract: str) -> bytes:
    key = (name, chain_id, contract)
    if key not in _DOMAINS:
        _DOMAINS[key] = keccak(
            encode(
                ["bytes32", "bytes32", "bytes32", "uint256", "address"],
                [DOMAIN_TYPEHASH, keccak(text=name), keccak(text="1"), chain_id, contract],
            )
        )
    return _DOMAINS[key]


def typed_digest(domain: bytes, struct_hash: bytes) -> bytes:
    return keccak(b"\x19\x01" + domain + struct_hash)


@dataclass(frozen=True)
class Permission:
    target: str
    selector: bytes
    max_value: int


@dataclass(frozen=True)
class Condition:
    permission: int
    index: int
    op: int
    value: int


@dataclass(frozen=True)
class TokenBudget:
    token: str
    cap: int
    period: int


@dataclass(frozen=True)
class Grant:
    account: str
    agent_id: int
    agent_generation: int
    session_key: str
    valid_after: int
    valid_until: int
    epoch: int
    max_calls: int
    min_interval: int
    native_budget: int
    salt: bytes
    permissions: tuple[Permission, ...]
    conditions: tuple[Condition, ...]
    budgets: tuple[TokenBudget, ...]

    def as_abi(self) -> tuple:
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
            [(p.target, p.selector, p.max_value) for p in self.permissions],
            [(c.permission, c.index, c.op, c.value) for c in self.conditions],
            [(b.token, b.cap, b.period) for b in self.budgets],
        )

    def with_account(self, account: str, epoch: int | None = None) -> Grant:
        return replace(self, account=account, epoch=self.epoch if epoch is None else epoch)

    def struct_hash(self) -> bytes:
        def list_hash(items: list[bytes]) -> bytes:
            return keccak(b"".join(items))

        permissions = list_hash(
            [
                keccak(
                    encode(
                        ["bytes32", "address", "bytes4", "uint256"],
                        [PERMISSION_TYPEHASH, p.target, p.selector, p.max_value],
                    )
                )
                for p in self.permissions
            ]
        )
        conditions = list_hash(
            [
                keccak(
                    encode(
                        ["bytes32", "uint8", "uint16", "uint8", "uint256"],
                        [CONDITION_TYPEHASH, c.permission, c.index, c.op, c.value],
                    )
                )
                for c in self.conditions
            ]
        )
        budgets = list_hash(
            [
                keccak(
                    encode(
                        ["bytes32", "address", "uint128", "uint32"],
                        [TOKEN_BUDGET_TYPEHASH, b.token, b.cap, b.period],
                    )
                )
                for b in self.budgets
            ]
        )
        return keccak(
            encode(
                [
                    "bytes32", "address", "uint256", "uint32", "address", "uint48", "uint48",
                    "uint64", "uint32", "uint32", "uint128", "bytes32", "bytes32", "bytes32",
                    "bytes32",
                ],
                [
                    GRANT_TYPEHASH, self.account, self.agent_id, self.agent_generation,
                    self.session_key,
                    self.valid_after, self.valid_until, self.epoch, self.max_calls,
                    self.min_interval, self.native_budget, self.salt,
                    permissions, conditions, budgets,
                ],
            )
        )  # fmt: skip

    def digest(self, chain_id: int, manager: str) -> bytes:
        """`hashGrant` on `manager` at `chain_id` (cached: grants are frozen)."""
        key = (self, chain_id, manager)
        if key not in _GRANT_DIGESTS:
            if len(_GRANT_DIGESTS) > 50_000:
                _GRANT_DIGESTS.clear()
            _GRANT_DIGESTS[key] = typed_digest(
                domain_separator("Charter SessionManager", chain_id, manager), self.struct_hash()
            )
        return _GRANT_DIGESTS[key]


_GRANT_DIGESTS: dict[tuple[Grant, int, str], bytes] = {}


def account_message(chain_id: int, account: str, digest: bytes) -> bytes:
    """`AgentAccount.hashMessage(digest)`: what a deployed account's owner signs."""
    return typed_digest(
        domain_separator("Charter AgentAccount", chain_id, account),
        keccak(encode(["bytes32", "bytes32"], [MESSAGE_TYPEHASH, digest])),
    )


def wallet_set_digest(
    chain_id: int, registry: str, agent_id: int, wallet: str, owner: str, deadline: int
) -> bytes:
    """What a new agent wallet signs for `setAgentWallet` (ERC-8004)."""
    return typed_digest(
        domain_separator("ERC8004IdentityRegistry", chain_id, registry),
        keccak(
            encode(
                ["bytes32", "uint256", "address", "address", "uint256"],
                [WALLET_SET_TYPEHASH, agent_id, wallet, owner, deadline],
            )
        ),
    )


@dataclass(frozen=True)
class Call:
    target: str
    value: int
    data: bytes

    def as_abi(self) -> tuple:
        return (self.target, self.value, self.data)


def calls_hash(calls: list[Call]) -> bytes:
    return keccak(
        b"".join(
            keccak(
                encode(
                    ["bytes32", "address", "uint256", "bytes32"],
                    [CALL_TYPEHASH, c.target, c.value, keccak(c.data)],
                )
            )
            for c in calls
        )
    )


def request_digest(
    chain_id: int, manager: str, grant_hash: bytes, nonce: int, deadline: int, calls: list[Call]
) -> bytes:
    """`hashRequest`: what a session key signs for a relayed request."""
    return typed_digest(
        domain_separator("Charter SessionManager", chain_id, manager),
        keccak(
            encode(
                ["bytes32", "bytes32", "uint256", "uint256", "bytes32"],
                [SESSION_REQUEST_TYPEHASH, grant_hash, nonce, deadline, calls_hash(calls)],
            )
        ),
    )


@dataclass(frozen=True)
class Sig:
    """A signature and what it was made over (who, which digest)."""

    signer: str | None
    digest: bytes | None
    raw: bytes

    def proves(self, signer: str, digest: bytes) -> bool:
        return self.signer == signer and self.digest == digest


NO_SIG = Sig(None, None, b"")


@dataclass(frozen=True)
class GrantSig:
    """A first-use `grantSignature`: abi.encode(accountSignature,
    agentConsent), or (`packed=False`) the bare account signature of the
    format before consent existed."""

    account: Sig
    consent: Sig = NO_SIG
    packed: bool = True

    @property
    def raw(self) -> bytes:
        if not self.packed:
            return self.account.raw
        return encode(["bytes", "bytes"], [self.account.raw, self.consent.raw])


def approves(signer: str, digest: bytes, sig: Sig, chain_id: int, ctx: Context) -> bool:
    """Whether `signer` approved `digest` with `sig`: a deployed account
    through ERC-1271 (its owner signs the account's CharterMessage wrapper),
    anyone else by ECDSA over the digest itself; never the zero address."""
    if signer == ZERO:
        return False
    if signer in ctx.owner_of:
        return sig.proves(ctx.owner_of[signer], account_message(chain_id, signer, digest))
    return sig.proves(signer, digest)


@dataclass(frozen=True)
class Agent:
    """The registry as the manager reads it for one agent: `consentSigners`
    (owner, wallet; zero for an unknown agent / no wallet) and
    `activeGeneration` (0 unless Active, else the generation)."""

    owner: str = ZERO
    wallet: str = ZERO
    active_generation: int = 0


UNKNOWN = Agent()


# ---------------------------------------------------------------- state


@dataclass
class Word:
    """The grant's state word (status 8 | calls 32 | last 48 | nonce 32 | native 128)."""

    status: int = NONE
    calls: int = 0
    last: int = 0
    nonce: int = 0
    native: int = 0

    def pack(self) -> int:
        return (
            self.status
            | self.calls << 8
            | self.last << 40
            | self.nonce << 88
            | self.native << 120
        )

    def copy(self) -> Word:
        return replace(self)


@dataclass
class Config:
    epoch: int = 0
    max_length: int = 0  # 0: the default

    @property
    def limit(self) -> int:
        return self.max_length or DEFAULT_MAX_SESSION


@dataclass
class World:
    """What session calls can change outside the manager."""

    eth: dict[str, int]
    bal: dict[tuple[str, str], int]  # (token, holder)
    allow: dict[tuple[str, str, str], int]  # (token, owner, spender)
    count: int
    # Permit2's book: (owner, token, spender) -> (amount, expiration)
    p2: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)

    def copy(self) -> World:
        return World(dict(self.eth), dict(self.bal), dict(self.allow), self.count, dict(self.p2))


@dataclass
class Context:
    """Addresses and roles (lowercase)."""

    registry: str
    target: str
    tokens: tuple[str, ...]
    eoas: frozenset[str]  # plain addresses that accept any call
    contracts: frozenset[str]  # addresses with code (accounts included)
    owner_of: dict[str, str]  # deployed account -> owner EOA
    puller: str = ZERO  # tests/mocks/Puller.vy
    permit2: str = ZERO  # tests/mocks/Permit2.vy


@dataclass
class Outcome:
    ok: bool
    reason: str
    word: Word | None = None
    spent: dict[str, tuple[int, int]] = field(default_factory=dict)  # token -> (period, spent)
    world: World | None = None
    spend: dict[str, int] = field(default_factory=dict)  # token -> amount charged now (non-zero only)


class Refused(Exception):
    pass


def word_arg(data: bytes, index: int) -> int | None:
    offset = 4 + 32 * index
    if len(data) < offset + 32:
        return None
    return int.from_bytes(data[offset : offset + 32], "big")


def consent_refusal(
    grant: Grant, grant_hash: bytes, consent: Sig, agent: Agent, chain_id: int, ctx: Context
) -> str | None:
    """S5: the agent consents to the session key: implied when the key is
    the agent's wallet or the account is its owner or wallet, else the
    owner or the wallet signed the grant digest."""
    if agent.owner == ZERO:
        return "unknown agent"
    wallet = agent.wallet
    if wallet != ZERO and grant.session_key == wallet:
        return None
    if grant.account in (agent.owner, wallet):
        return None
    for signer in (agent.owner, wallet):
        if approves(signer, grant_hash, consent, chain_id, ctx):
            return None
    return "no agent consent"


def validate(
    grant: Grant,
    manager: str,
    ctx: Context,
    *,
    grant_hash: bytes,
    consent: Sig,
    agent: Agent,
    chain_id: int,
) -> str | None:
    """`_validate`: the checks made once, when a grant becomes active."""
    if grant.account == ZERO:
        return "zero account"
    if grant.agent_id == 0:
        return "no agent"
    if grant.session_key == ZERO:
        return "zero session key"
    if grant.session_key == grant.account:
        return "key is the account"
    refusal = consent_refusal(grant, grant_hash, consent, agent, chain_id, ctx)
    if refusal:
        return refusal
    if not grant.permissions:
        return "no permissions"
    seen = set()
    for p in grant.permissions:
        if p.target == ZERO:
            return "zero target"
        if p.target in (grant.account, manager, ctx.registry):
            return "forbidden target"
        if p.selector in FORBIDDEN_SELECTORS:
            return "forbidden selector"
        if (p.target, p.selector) in seen:
            return "duplicate permission"
        seen.add((p.target, p.selector))
    for c in grant.conditions:
        if c.permission >= len(grant.permissions) or c.op > OP_ONE_OF:
            return "bad condition"
    tokens = [b.token for b in grant.budgets]
    if ZERO in tokens:
        return "zero token"
    if len(set(tokens)) != len(tokens):
        return "duplicate token"
    return None


def check_account(grant: Grant, config: Config) -> str | None:
    """`_check_account`: epoch and window length, on every use."""
    if grant.epoch < config.epoch:
        return "revoked by revokeAll"
    if grant.epoch > config.epoch:
        return "future epoch"
    if grant.valid_after >= grant.valid_until:
        return "empty window"
    if grant.valid_until - grant.valid_after > config.limit:
        return "window too long"
    return None


def period_index(grant: Grant, budget: TokenBudget, now: int) -> int:
    return 0 if budget.period == 0 else (now - grant.valid_after) // budget.period


def find_permission(grant: Grant, target: str, data: bytes) -> int | None:
    selector = data[:4] if len(data) >= 4 else EMPTY_SELECTOR
    for k, p in enumerate(grant.permissions):
        if p.target == target and p.selector == selector:
            return k
    return None


def check_call(i: int, grant: Grant, call: Call) -> None:
    """`_check_call`: refuse unless a permission allows the call. What the
    call moves out of the account is measured afterwards (`token_charges`),
    not read from here."""
    data = call.data
    if 0 < len(data) < 4:
        raise Refused(f"call {i} bad calldata")
    if len(data) >= 4 and data[:4] == EMPTY_SELECTOR:
        raise Refused(f"call {i} not allowed (zero selector: plain ETH sends only)")
    p = find_permission(grant, call.target, data)
    if p is None:
        raise Refused(f"call {i} not allowed")
    if call.value > grant.permissions[p].max_value:
        raise Refused(f"call {i} value too high")
    for c in grant.conditions:
        if c.permission != p:
            continue
        arg = word_arg(data, c.index)
        if arg is None:
            raise Refused(f"call {i} argument {c.index} (short)")
        if c.op == OP_EQ:
            ok = arg == c.value
        elif c.op == OP_NE:
            ok = arg != c.value
        elif c.op == OP_LE:
            ok = arg <= c.value
        elif c.op == OP_GE:
            ok = arg >= c.value
        else:  # ONE_OF: any ONE_OF on the same argument of the same permission
            ok = any(
                o.op == OP_ONE_OF and o.permission == p and o.index == c.index and o.value == arg
                for o in grant.conditions
            )
        if not ok:
            raise Refused(f"call {i} argument {c.index}")


def _address_arg(data: bytes, index: int) -> str | None:
    value = word_arg(data, index)
    if value is None or value >= 2**160:
        return None
    return "0x" + value.to_bytes(20, "big").hex()


def _uint_arg(data: bytes, index: int, bits: int = 256) -> int | None:
    """A static uint argument as the ABI decoder of a Vyper contract reads it:
    None when missing or out of range (the call reverts)."""
    value = word_arg(data, index)
    if value is None or value >= 2**bits:
        return None
    return value


def _token_transfer_from(
    world: World, ctx: Context, spender: str, token: str, owner: str, to: str, amount: int
) -> str | None:
    """`token.transferFrom(owner, to, amount)` sent by `spender` (Token.vy:
    no infinite-allowance shortcut); None, or why it reverts. Anything but
    a token reverts (no code, or no boolean answer)."""
    if token not in ctx.tokens:
        return "not a token"
    if world.allow.get((token, owner, spender), 0) < amount:
        return "token: allowance"
    if world.bal.get((token, owner), 0) < amount:
        return "token: balance"
    # A zero amount passes both checks for a holder the world has no entry for.
    world.allow[(token, owner, spender)] = world.allow.get((token, owner, spender), 0) - amount
    world.bal[(token, owner)] = world.bal.get((token, owner), 0) - amount
    world.bal[(token, to)] = world.bal.get((token, to), 0) + amount
    return None


def simulate_call(world: World, sender: str, call: Call, ctx: Context, now: int = 0) -> str | None:
    """Run one call made by `sender` on the mirrored world; returns why it
    reverts, or None (and updates `world`)."""
    data, value, target = call.data, call.value, call.target
    if world.eth.get(sender, 0) < value:
        return "not enough ETH"
    selector = data[:4] if len(data) >= 4 else None
    if target == ctx.target:
        if selector == POKE:
            if len(data) < 100 or _address_arg(data, 1) is None:
                return "poke: bad calldata"
            world.count += 1
        elif selector == FAIL:
            return "target failed"
    elif target in ctx.tokens:
        if value:
            return "token: not payable"
        if selector in (TRANSFER, APPROVE, INCREASE_ALLOWANCE):
            to = _address_arg(data, 0)
            amount = word_arg(data, 1)
            if to is None or amount is None:
                return "token: bad calldata"
            if selector == TRANSFER:
                if world.bal.get((target, sender), 0) < amount:
                    return "token: balance"
                world.bal[(target, sender)] = world.bal.get((target, sender), 0) - amount
                world.bal[(target, to)] = world.bal.get((target, to), 0) + amount
            elif selector == APPROVE:
                world.allow[(target, sender, to)] = amount
            else:
                new = world.allow.get((target, sender, to), 0) + amount
                if new >= 2**256:
                    return "token: allowance overflow"
                world.allow[(target, sender, to)] = new
        elif selector == TRANSFER_FROM:
            owner, to = _address_arg(data, 0), _address_arg(data, 1)
            amount = word_arg(data, 2)
            if owner is None or to is None or amount is None:
                return "token: bad calldata"
            failure = _token_transfer_from(world, ctx, sender, target, owner, to, amount)
            if failure:
                return failure
        else:
            return "token: no such function"
    elif target == ctx.puller:
        # Puller.pull / pull_permit2: nonpayable, anyone may call; what
        # stops a stranger is only the allowance of the owner it names.
        if value:
            return "puller: not payable"
        if selector == PULL:
            token, owner, to = _address_arg(data, 0), _address_arg(data, 1), _address_arg(data, 2)
            amount = word_arg(data, 3)
            if token is None or owner is None or to is None or amount is None:
                return "puller: bad calldata"
            failure = _token_transfer_from(world, ctx, ctx.puller, token, owner, to, amount)
            return f"puller: {failure}" if failure else None
        if selector == PULL_PERMIT2:
            permit2, token = _address_arg(data, 0), _address_arg(data, 1)
            owner, to = _address_arg(data, 2), _address_arg(data, 3)
            amount = _uint_arg(data, 4, 160)
            if None in (permit2, token, owner, to, amount):
                return "puller: bad calldata"
            if permit2 != ctx.permit2:
                raise AssertionError(f"unmodelled Permit2 {permit2}")
            return _permit2_transfer_from(world, ctx, ctx.puller, owner, to, amount, token, now)
        return "puller: no such function"
    elif target == ctx.permit2:
        if value:
            return "permit2: not payable"
        if selector == PERMIT2_APPROVE:
            token, spender = _address_arg(data, 0), _address_arg(data, 1)
            amount, expiration = _uint_arg(data, 2, 160), _uint_arg(data, 3, 48)
            if None in (token, spender, amount, expiration):
                return "permit2: bad calldata"
            world.p2[(sender, token, spender)] = (amount, expiration or now)
            return None
        return "permit2: no such function"
    elif target not in ctx.eoas:
        raise AssertionError(f"unmodelled call target {target}")
    if value:
        world.eth[sender] -= value
        world.eth[target] = world.eth.get(target, 0) + value
    return None


def _permit2_transfer_from(
    world: World, ctx: Context, spender: str, owner: str, to: str, amount: int, token: str, now: int
) -> str | None:
    """Permit2's `transferFrom(owner, to, amount, token)` sent by `spender`:
    the allowance must not have expired; unless it is unlimited (2**160 - 1)
    it must cover `amount` and is reduced; then Permit2 pulls with the
    owner's ERC-20 allowance to Permit2."""
    allowed, expiration = world.p2.get((owner, token, spender), (0, 0))
    if now > expiration:
        return "permit2: allowance expired"
    if allowed != MAX_160:
        if allowed < amount:
            return "permit2: insufficient allowance"
        world.p2[(owner, token, spender)] = (allowed - amount, expiration)
    failure = _token_transfer_from(world, ctx, ctx.permit2, token, owner, to, amount)
    return f"permit2: {failure}" if failure else None


def allowance_call(call: Call, budgets: tuple[TokenBudget, ...]) -> tuple[int, str, int, str] | None:
    """`session_scope._allowance_call`: a call whose whole cost a balance
    measurement cannot see. An approval over a budgeted token (on the token:
    approve / increaseAllowance / increaseApproval, kind "approve"; Permit2's
    approve naming it, on any target, kind "permit2") or a transferFrom on a
    budgeted token (kind "pull"). Returns (budget index, kind, amount,
    spender or `from`), or None. Calldata too short for its amount counts
    as the maximum amount and the zero address."""
    data = call.data
    if len(data) < 68:
        return None
    selector = data[:4]
    token, kind, offset = call.target, "approve", 4
    if selector == PERMIT2_APPROVE:
        token = "0x" + (word_arg(data, 0) & MAX_160).to_bytes(20, "big").hex()
        kind, offset = "permit2", 36
    elif selector == TRANSFER_FROM:
        kind = "pull"
    elif selector not in (APPROVE, INCREASE_ALLOWANCE, INCREASE_APPROVAL):
        return None
    amount_at = 68 if kind == "pull" else offset + 32
    for j, budget in enumerate(budgets):
        if budget.token == token:
            if len(data) < amount_at + 32:
                return j, kind, MAX_UINT, ZERO
            who = int.from_bytes(data[offset : offset + 32], "big") & MAX_160
            amount = int.from_bytes(data[amount_at : amount_at + 32], "big")
            return j, kind, amount, "0x" + who.to_bytes(20, "big").hex()
    return None


def remaining_allowance(world: World, ctx: Context, call: Call, kind: str, owner: str, token: str, spender: str) -> int:
    """What `_remaining` reads after the execution: the ERC-20 allowance
    (kind "approve", asked of the token called) or Permit2's amount (kind
    "permit2", asked of the target called); a target that cannot answer
    counts as unlimited."""
    target = call.target
    if kind == "approve":
        if target in ctx.tokens:
            return world.allow.get((target, owner, spender), 0)
        return MAX_UINT
    if target == ctx.permit2:
        return world.p2.get((owner, token, spender), (0, 0))[0]
    return MAX_UINT  # Token.vy has no 3-argument allowance; EOAs answer nothing


def token_charges(grant: Grant, calls: list[Call], before: World, after: World, ctx: Context) -> dict[int, int]:
    """What the manager charges each budget (index -> amount, zero included)
    for an execution that went from `before` to `after`: the account's
    balance decrease, plus the approvals (at most what they still allow)
    and the pulls of others' tokens (see `allowance_call`)."""
    account = grant.account
    charges: dict[int, int] = {}
    for j, budget in enumerate(grant.budgets):
        drop = before.bal.get((budget.token, account), 0) - after.bal.get((budget.token, account), 0)
        charges[j] = max(drop, 0)
    for call in calls:
        found = allowance_call(call, grant.budgets)
        if found is None:
            continue
        j, kind, amount, who = found
        if kind == "pull":
            if who == account:
                continue  # pulled from the account itself: the balance shows it
            charge = amount
        else:
            token = grant.budgets[j].token
            charge = min(amount, remaining_allowance(after, ctx, call, kind, account, token, who))
        charges[j] += min(charge, CHARGE_CEILING)
    return charges


@dataclass
class Attempt:
    """One `execute` / `executeBatch` as sent."""

    grant: Grant
    grant_sig: GrantSig
    calls: list[Call]
    sender: str  # msg.sender
    relay: tuple[int, int, Sig] | None = None  # (nonce, deadline, signature)


def predict(
    attempt: Attempt,
    *,
    now: int,
    chain_id: int,
    manager: str,
    word: Word,
    spent: dict[str, tuple[int, int]],
    config: Config,
    agent: Agent,
    world: World,
    ctx: Context,
) -> Outcome:
    """What `execute` (one call) or `executeBatch` does, in the contract's
    order of checks. `word`/`spent`/`config` are the manager's state for the
    grant as seen on `manager` at `chain_id`; `agent` the registry's view of
    the grant's agent."""
    try:
        return _predict(attempt, now, chain_id, manager, word, spent, config, agent, world, ctx)
    except Refused as refused:
        return Outcome(False, str(refused))


def _predict(attempt, now, chain_id, manager, word, spent, config, agent, world, ctx):
    grant = attempt.grant
    grant_hash = grant.digest(chain_id, manager)
    w = word.copy()
    if attempt.relay is None or attempt.relay[2].raw == b"":
        if attempt.sender != grant.session_key:
            raise Refused("not the session key")
    else:
        nonce, deadline, signature = attempt.relay
        if now > deadline:
            raise Refused("request expired")
        if w.nonce != nonce:
            raise Refused("bad nonce")
        digest = request_digest(chain_id, manager, grant_hash, nonce, deadline, attempt.calls)
        if not signature.proves(grant.session_key, digest):
            raise Refused("bad request signature")
        w.nonce += 1
    if w.status == NONE:
        # `_activate`: the packed pair, the account's signature of the
        # grant, then `_validate` (with the agent's consent).
        presented = attempt.grant_sig
        if not presented.packed or len(presented.raw) < 128:
            raise Refused("bad grant signature")
        if not approves(grant.account, grant_hash, presented.account, chain_id, ctx):
            raise Refused("bad grant signature")
        w.status = ACTIVE
        invalid = validate(
            grant, manager, ctx, grant_hash=grant_hash, consent=presented.consent,
            agent=agent, chain_id=chain_id,
        )  # fmt: skip
        if invalid:
            raise Refused(invalid)
    # `_open`
    if w.status != ACTIVE:
        raise Refused("revoked")
    if grant.account not in ctx.contracts:
        raise Refused("account has no code")
    bad = check_account(grant, config)
    if bad:
        raise Refused(bad)
    if now < grant.valid_after:
        raise Refused("not yet valid")
    if now > grant.valid_until:
        raise Refused("expired")
    if agent.active_generation == 0:
        raise Refused("agent not active")
    if agent.active_generation != grant.agent_generation:
        raise Refused("agent changed hands")
    n = len(attempt.calls)
    if n == 0:
        raise Refused("no calls")
    if grant.min_interval:
        if n != 1:
            raise Refused("one call per interval")
        if w.last != 0 and now < w.last + grant.min_interval:
            raise Refused("too soon")
    w.calls += n
    if grant.max_calls and w.calls > grant.max_calls:
        raise Refused("over call limit")
    if w.calls > MASK_32:
        raise Refused("over call limit")
    w.last = now
    # each call is checked; the native value is a running total
    native = 0
    for i, call in enumerate(attempt.calls):
        check_call(i, grant, call)
        native += call.value
    w.native += native
    if w.native > grant.native_budget:
        raise Refused("over native budget")
    # the account makes the calls, in order, all or nothing
    after = world.copy()
    for i, call in enumerate(attempt.calls):
        failure = simulate_call(after, grant.account, call, ctx, now)
        if failure:
            raise Refused(f"call {i} reverted in the target: {failure}")
    # `_charge_tokens`: what left the account and what the calls still
    # allow, per budget in order; a charge of zero writes nothing
    new_spent: dict[str, tuple[int, int]] = {}
    charged: dict[str, int] = {}
    for j, amount in token_charges(grant, attempt.calls, world, after, ctx).items():
        if amount == 0:
            continue
        budget = grant.budgets[j]
        if amount > budget.cap:
            raise Refused(f"over token budget {j}")
        period = period_index(grant, budget, now)
        old_period, old_spent = spent.get(budget.token, (0, 0))
        total = amount + (old_spent if old_period == period else 0)
        if total > budget.cap:
            raise Refused(f"over token budget {j}")
        new_spent[budget.token] = (period, total)
        charged[budget.token] = amount
    return Outcome(True, "ok", w, new_spent, after, charged)


def predict_issue(
    grant: Grant,
    consent: Sig,
    sender: str,
    word: Word,
    config: Config,
    manager: str,
    ctx: Context,
    *,
    agent: Agent,
    chain_id: int,
) -> str | None:
    """`issue(grant, agentConsent)`: None if it goes through. The agent's
    status and generation are not checked here but on every use."""
    if sender != grant.account:
        return "not the account"
    if word.pack() != 0:
        return "grant exists"
    return check_account(grant, config) or validate(
        grant, manager, ctx, grant_hash=grant.digest(chain_id, manager), consent=consent,
        agent=agent, chain_id=chain_id,
    )  # fmt: skip


def grant_status(grant: Grant, word: Word, config: Config, now: int, agent: Agent) -> int:
    """`SessionView.grantState(grant).status`."""
    if word.status == REVOKED:
        return STATUS_REVOKED
    if grant.epoch != config.epoch:
        return STATUS_REVOKED_ALL
    if now > grant.valid_until:
        return STATUS_EXPIRED
    if now < grant.valid_after:
        return STATUS_NOT_YET_VALID
    if agent.active_generation == 0:
        return STATUS_AGENT_INACTIVE
    if agent.active_generation != grant.agent_generation:
        return STATUS_AGENT_TRANSFERRED
    if grant.max_calls and word.calls >= grant.max_calls:
        return STATUS_EXHAUSTED
    return STATUS_ACTIVE if word.status == ACTIVE else STATUS_PENDING
