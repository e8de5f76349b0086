"""Fixtures for the IntentSettler unit tests (titanoboa, in-process).

One world per test package (`world`, package-scoped and autouse, so it sits
at the bottom of titanoboa's anchor stack): an AgentRegistry with three
agents, a SessionManager, an AgentAccount (for orders opened by a session),
an ERC-1271 contract user, an IntentView (the settlers' read-only half:
`resolver` is the origin settler seen through its ABI), two IntentSettlers
(`settler`, the origin, and
`dest`, the destination: two instances in one EVM, told apart by the chain
id patched at call time, ORIGIN_CHAIN for origin calls and DEST_CHAIN for
destination calls), a settlement oracle that proves what it is told
(YesOracle), and two ERC-20 tokens: `token` (inputs) and `token2`
(outputs), funded and approved.

Titanoboa's plugin runs every test inside `boa.env.anchor()`, so storage,
balances, time travel and chain-id patches vanish after each test.

Factory fixtures return closures (`make_order`, `open_order`, `open_for`,
`fill_order`, `prove`, `settle_order`, `refund_order`, ...). Orders, ids,
record hashes and EIP-712 digests come from `helpers.py`, never from the
contracts. Every order opened through the factories is entered in the
`ledger`; after each passing test that used it, the escrow invariant (I1,
exact form) is checked: each settler holds, per token and in native
value, exactly the inputs of its orders that are still Open plus what it
credited to receivers that refused a payment (`credits` of every actor
and of each address a test `watch`es).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from itertools import count
from types import SimpleNamespace

import boa
import pytest
from eth_account import Account

from ..helpers import Event, decode_events, deploy_session_manager
from ..helpers import wallet_typed_data as registry_wallet_typed_data
from ..sessions.helpers import (
    APPROVE,
    Call,
    Grant,
    Permission,
    TokenBudget,
    grant_typed_data,
    message_typed_data,
    pack_grant_signature,
)
from ..sessions.helpers import typed_digest as sessions_typed_digest
from .helpers import (
    CONTRACTS,
    DAY,
    EVENT_LAYOUTS,
    MOCKS,
    STATUS_OPEN,
    ZERO_ADDRESS,
    CharterOrder,
    Input,
    Order,
    addr,
    b32,
    filler_data,
    fixed_address,
    fixed_key,
    gasless_typed_data,
    normalize,
    output,
    record_hash,
    sel,
    sign_digest,
    typed_digest,
)

# ---------------------------------------------------------------- chains and actors

ORIGIN_CHAIN = 1  # titanoboa's default chain id
DEST_CHAIN = 8_453

USER = fixed_key("user")  # an EOA that opens orders (and signs gasless ones)
AGENT_OWNER = fixed_key("agent-owner")  # owns agents 1 and 2; consents to sessions
FILLER = fixed_key("filler")  # owns agent 3; fills on the destination
STRANGER = fixed_key("stranger")
OPERATOR = fixed_key("operator")  # setApprovalForAll of AGENT_OWNER, when a test sets it
APPROVED = fixed_key("approved")  # approved for agent 1, when a test sets it
WALLET = fixed_key("wallet")  # agent 1's wallet, when a test sets it
ACCOUNT_OWNER = fixed_key("account-owner")  # owns the AgentAccount
SESSION_KEY = fixed_key("session-key")
SIGNER_1271 = fixed_key("signer-1271")  # behind the ERC-1271 contract user
RECIPIENT = fixed_address("recipient")
RECIPIENT2 = fixed_address("recipient-2")
RELAYER = fixed_address("relayer")

BALANCE = 10**24
ETH = 10**21
MAX = 2**256 - 1

# EOAs that hold `token` and have approved the origin settler for it.
HOLDERS = (USER, AGENT_OWNER, FILLER, STRANGER, OPERATOR, APPROVED, WALLET)


def _load(path):
    return boa.load_partial(str(path))


@pytest.fixture(scope="package", autouse=True)
def world():
    assert boa.env.evm.patch.chain_id == ORIGIN_CHAIN
    registry = _load(CONTRACTS / "AgentRegistry.vy").deploy()
    manager = deploy_session_manager(registry.address)
    views = _load(CONTRACTS / "IntentView.vy")
    view = views.deploy()
    settlers = _load(CONTRACTS / "IntentSettler.vy")
    settler = settlers.deploy(registry.address, manager.address, view.address)
    dest = settlers.deploy(registry.address, manager.address, view.address)
    oracle = _load(MOCKS / "YesOracle.vy").deploy()
    tokens = _load(MOCKS / "Token.vy")
    token, token2 = tokens.deploy(), tokens.deploy()
    account = _load(CONTRACTS / "AgentAccount.vy").deploy(ACCOUNT_OWNER.address, manager.address)
    contract_user = _load(MOCKS / "ERC1271Wallet.vy").deploy(SIGNER_1271.address)

    with boa.env.prank(AGENT_OWNER.address):
        agent_id = registry.register("ipfs://opener")
        agent2_id = registry.register("ipfs://opener-2")
    with boa.env.prank(FILLER.address):
        filler_agent = registry.register("ipfs://filler")

    holders = [k.address for k in HOLDERS] + [str(contract_user.address)]
    for holder in holders:
        boa.env.set_balance(holder, ETH)
        token.mint(holder, BALANCE)
        with boa.env.prank(holder):
            token.approve(settler.address, MAX)
    boa.env.set_balance(str(account.address), ETH)
    token.mint(account.address, BALANCE)
    token2.mint(FILLER.address, BALANCE)
    with boa.env.prank(FILLER.address):
        token2.approve(dest.address, MAX)
        token2.approve(settler.address, MAX)  # local orders are filled on the origin
    boa.env.set_balance(RELAYER, ETH)

    return SimpleNamespace(
        registry=registry,
        manager=manager,
        settler=settler,
        dest=dest,
        settler_deployer=settlers,
        view=view,
        view_deployer=views,
        oracle=oracle,
        token=token,
        token2=token2,
        token_deployer=tokens,
        account=account,
        contract_user=contract_user,
        agent_id=agent_id,
        agent2_id=agent2_id,
        filler_agent=filler_agent,
        settlers={str(settler.address): settler, str(dest.address): dest},
    )


@pytest.fixture(scope="package", autouse=True)
def deployer():
    """Compile a mock once: deployer("FeeToken"). Package scoped and autouse
    so it is set up with the world, before any test's own fixtures."""
    cache: dict[str, object] = {}

    def _deployer(name: str):
        if name not in cache:
            path = CONTRACTS / f"{name}.vy"
            cache[name] = _load(path if path.exists() else MOCKS / f"{name}.vy")
        return cache[name]

    return _deployer


# ---------------------------------------------------------------- escrow invariant


class Ledger:
    """The orders a test opened, to check the escrow invariant after it."""

    def __init__(self, world):
        self.world = world
        self.orders: list[Order] = []
        self.tokens = {str(world.token.address): world.token, str(world.token2.address): world.token2}
        self.accounts = {k.address for k in (*HOLDERS, ACCOUNT_OWNER, SESSION_KEY, SIGNER_1271)}
        self.accounts |= {RECIPIENT, RECIPIENT2, RELAYER, str(world.contract_user.address), str(world.account.address)}

    def watch(self, account) -> None:
        """Count what the settlers credit `account` (an address or contract)."""
        self.accounts.add(str(getattr(account, "address", account)))

    def add(self, order: Order) -> Order:
        self.orders.append(order)
        return order

    def track(self, token) -> None:
        self.tokens[str(token.address)] = token

    def check(self) -> None:
        for address, settler in self.world.settlers.items():
            mine = [o for o in self.orders if str(o.origin_settler) == address]
            open_ = [o for o in mine if settler.orderStatus(o.id) == STATUS_OPEN]
            escrow: dict[str, int] = {}
            for o in open_:
                for i in o.data.inputs:
                    escrow[str(i.token)] = escrow.get(str(i.token), 0) + i.amount
            for token in (ZERO_ADDRESS, *self.tokens):
                credited = sum(settler.credits(account, token) for account in self.accounts)
                escrow[token] = escrow.get(token, 0) + credited
            assert boa.env.get_balance(address) == escrow.get(ZERO_ADDRESS, 0), "native escrow"
            for token_address, token in self.tokens.items():
                held = token.balanceOf(address)
                assert held == escrow.get(token_address, 0), f"escrow of {token_address}"


@pytest.fixture
def ledger(world):
    return Ledger(world)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item):
    """Inside titanoboa's per-test anchor (this wrapper is innermost), after
    a passing test that opened orders through the factories: check I1."""
    result = yield
    ledger = getattr(item, "funcargs", {}).get("ledger")
    if ledger is not None and ledger.orders:
        ledger.check()
    return result


# ---------------------------------------------------------------- roles and world


@pytest.fixture
def user():
    return USER.address


@pytest.fixture
def agent_owner():
    return AGENT_OWNER.address


@pytest.fixture
def filler():
    return FILLER.address


@pytest.fixture
def stranger():
    return STRANGER.address


@pytest.fixture
def recipient():
    return RECIPIENT


@pytest.fixture
def relayer():
    return RELAYER


@pytest.fixture
def registry(world):
    return world.registry


@pytest.fixture
def manager(world):
    return world.manager


@pytest.fixture
def settler(world):
    """The origin settler (call it on ORIGIN_CHAIN)."""
    return world.settler


@pytest.fixture
def dest(world):
    """The destination settler (call it on DEST_CHAIN)."""
    return world.dest


@pytest.fixture
def resolver(world):
    """The origin settler's views (`resolve`, `resolveFor`, `eip712Domain`):
    the settler's address with the IntentView's ABI (its fallback runs the
    IntentView's code)."""
    return world.view_deployer.at(world.settler.address)


@pytest.fixture
def oracle(world):
    return world.oracle


@pytest.fixture
def token(world):
    return world.token


@pytest.fixture
def token2(world):
    return world.token2


@pytest.fixture
def agent_id(world):
    return world.agent_id


@pytest.fixture
def agent2_id(world):
    return world.agent2_id


@pytest.fixture
def filler_agent(world):
    return world.filler_agent


@pytest.fixture
def account(world):
    return world.account


@pytest.fixture
def contract_user(world):
    return world.contract_user


@pytest.fixture
def events():
    """events(called_contract, emitter=None): the settler events logged by
    the last call to `called_contract`, decoded from the documented layouts
    (tuples normalized: checksummed addresses, nested tuples)."""

    def _events(contract, emitter=None):
        return [
            Event(e.name, {k: normalize(v) if isinstance(v, (list, tuple)) else v for k, v in e.args.items()})
            for e in decode_events(contract, emitter, EVENT_LAYOUTS)
        ]

    return _events


# ---------------------------------------------------------------- time and chains


@pytest.fixture
def now():
    return lambda: boa.env.timestamp


@pytest.fixture
def warp():
    """Set the block timestamp."""

    def _warp(timestamp: int) -> None:
        boa.env.evm.patch.timestamp = timestamp

    return _warp


@contextmanager
def _on_chain(chain_id: int):
    before = boa.env.evm.patch.chain_id
    boa.env.evm.patch.chain_id = chain_id
    try:
        yield
    finally:
        boa.env.evm.patch.chain_id = before


@pytest.fixture
def on_chain():
    """`with on_chain(DEST_CHAIN): ...`"""
    return _on_chain


@pytest.fixture
def destination():
    """`with destination(): ...`: calls made on DEST_CHAIN."""
    return lambda: _on_chain(DEST_CHAIN)


# ---------------------------------------------------------------- orders


@pytest.fixture
def make_order(world) -> Callable[..., Order]:
    """An order of USER on the origin settler, agent 0, filled by the
    destination settler on DEST_CHAIN within an hour, 1,000 `token` in and
    990 `token2` out to RECIPIENT, oracle YesOracle, refundable a day after
    the fill deadline, a fresh nonce each time. Keyword arguments override
    any Order or CharterOrder field; `local=True` makes the origin settler
    its own destination."""
    nonces = count(1)

    def _make(local: bool = False, **kw) -> Order:
        fill = kw.pop("fill_deadline", boa.env.timestamp + 3_600)
        d = {
            "user": USER.address,
            "origin_chain_id": ORIGIN_CHAIN,
            "origin_settler": str(world.settler.address),
            "open_deadline": fill,
            "nonce": next(nonces),
            "agent_id": 0,
            "refund_after": fill + DAY,
            "oracle": str(world.oracle.address),
            "exclusive_filler": ZERO_ADDRESS,
            "exclusivity_deadline": 0,
            "destination_chain_id": ORIGIN_CHAIN if local else DEST_CHAIN,
            "destination_settler": b32(world.settler.address if local else world.dest.address),
            "inputs": (Input(str(world.token.address), 1_000),),
        }
        d.update(kw)
        if "outputs" not in d:
            d["outputs"] = (output(world.token2.address, 990, RECIPIENT, d["destination_chain_id"]),)
        d["inputs"], d["outputs"] = tuple(d["inputs"]), tuple(d["outputs"])
        d["user"], d["origin_settler"] = str(d["user"]), str(d["origin_settler"])
        d["oracle"], d["exclusive_filler"] = str(d["oracle"]), str(d["exclusive_filler"])
        data = CharterOrder(**{k: d.pop(k) for k in CharterOrder.__dataclass_fields__})
        return Order(fill_deadline=fill, data=data, **d)

    return _make


@pytest.fixture
def settler_at(world):
    """The settler contract at an address (or bytes32)."""

    def _at(where):
        key = addr(where) if isinstance(where, bytes) else str(where)
        return world.settlers[key]

    return _at


@pytest.fixture
def open_order(make_order, ledger, settler_at):
    """Open `order` (or make_order(**kw)) on its origin settler, sent by its
    user (or `sender`) with its native inputs as value (or `value`)."""

    def _open(order: Order | None = None, sender=None, value: int | None = None, **kw) -> Order:
        order = make_order(**kw) if order is None else order
        with _on_chain(order.origin_chain_id):
            settler_at(order.origin_settler).open(
                order.onchain(),
                sender=str(order.user if sender is None else sender),
                value=order.native_in if value is None else value,
            )
        return ledger.add(order)

    return _open


@pytest.fixture
def sign_order(world):
    """The user's EIP-712 signature of `order` as a GaslessCrossChainOrder
    (USER's key unless `signer`; the order's chain and settler unless told)."""

    def _sign(order: Order, signer=None, chain_id: int | None = None, settler=None, nonce=None) -> bytes:
        typed = gasless_typed_data(
            order,
            order.origin_chain_id if chain_id is None else chain_id,
            order.origin_settler if settler is None else settler,
            nonce,
        )
        return sign_digest(USER if signer is None else signer, typed_digest(typed))

    return _sign


@pytest.fixture
def open_for(make_order, ledger, sign_order, settler_at):
    """Open a gasless order through `openFor`, sent by RELAYER (or `sender`)
    with the user's signature (or `signature`) on `on` (default: its origin
    settler). A gasless order has an open deadline before its fill deadline
    (default 10 minutes from now)."""

    def _open_for(
        order: Order | None = None,
        signature: bytes | None = None,
        sender=RELAYER,
        nonce: int | None = None,
        on=None,
        **kw,
    ) -> Order:
        if order is None:
            kw.setdefault("open_deadline", boa.env.timestamp + 600)
            order = make_order(**kw)
        signature = sign_order(order, nonce=nonce) if signature is None else signature
        with _on_chain(ORIGIN_CHAIN):
            (settler_at(order.origin_settler) if on is None else on).openFor(
                order.gasless(nonce), signature, b"", sender=str(sender)
            )
        return ledger.add(order)

    return _open_for


@pytest.fixture
def fill_order(world, settler_at):
    """Fill `order` on its destination settler (or `on`) on its destination
    chain, sent by FILLER (or `sender`), naming FILLER and its agent in
    fillerData (or `data`, raw), with the native outputs as value (or
    `value`). Returns the settler called."""

    def _fill(order: Order, sender=None, data: bytes | None = None, value: int | None = None, on=None, order_id=None):
        contract = settler_at(order.data.destination_settler) if on is None else on
        data = filler_data(FILLER.address, world.filler_agent) if data is None else data
        with _on_chain(order.data.destination_chain_id):
            contract.fill(
                order.id if order_id is None else order_id,
                order.encode(),
                data,
                sender=str(FILLER.address if sender is None else sender),
                value=order.native_out if value is None else value,
            )
        return contract

    return _fill


@pytest.fixture
def prove(world, deployer):
    """Tell the order's oracle (a YesOracle) that the order's destination
    recorded `record` (default: FILLER's fill with its agent), for the
    order's origin settler (or `origin`)."""

    def _prove(order: Order, record: bytes | None = None, origin=None) -> bytes:
        record = record_hash(FILLER.address, world.filler_agent) if record is None else record
        deployer("YesOracle").at(order.data.oracle).prove(
            str(order.origin_settler if origin is None else origin),
            order.data.destination_chain_id,
            bytes(order.data.destination_settler),
            order.id,
            record,
        )
        return record

    return _prove


@pytest.fixture
def settlement(world):
    """The Settlement tuple (order, payout, fillerAgentId, proof)."""

    def _settlement(order: Order, payout=None, filler_agent: int | None = None, proof: bytes = b"") -> tuple:
        return (
            order.abi(),
            str(FILLER.address if payout is None else payout),
            world.filler_agent if filler_agent is None else filler_agent,
            proof,
        )

    return _settlement


@pytest.fixture
def settle_order(world, settlement, settler_at):
    """Settle one order (or a list of Settlement tuples with `batch`) on its
    origin settler, sent by RELAYER (or `sender`); returns the count."""

    def _settle(
        order: Order | None = None, payout=None, filler_agent=None, proof=b"", sender=RELAYER, batch=None, on=None
    ):
        items = batch if batch is not None else [settlement(order, payout, filler_agent, proof)]
        contract = on if on is not None else world.settler if order is None else settler_at(order.origin_settler)
        with _on_chain(ORIGIN_CHAIN):
            return contract.settle(items, sender=str(sender))

    return _settle


@pytest.fixture
def refund_order(world, settler_at):
    """Refund orders ([(order, proof)] or one order) on the origin settler,
    sent by RELAYER (or `sender`); returns the count."""

    def _refund(order: Order | None = None, proof: bytes = b"", sender=RELAYER, batch=None, on=None):
        items = batch if batch is not None else [(order.abi(), proof)]
        contract = on if on is not None else world.settler if order is None else settler_at(order.origin_settler)
        with _on_chain(ORIGIN_CHAIN):
            return contract.refund(items, sender=str(sender))

    return _refund


@pytest.fixture
def record_unfilled(settler_at):
    """`recordUnfilled` on the order's destination, on its chain, by a stranger."""

    def _record(order: Order, sender=STRANGER.address):
        contract = settler_at(order.data.destination_settler)
        with _on_chain(order.data.destination_chain_id):
            contract.recordUnfilled(order.id, order.encode(), sender=str(sender))
        return contract

    return _record


@pytest.fixture
def fill_and_prove(fill_order, prove):
    """The usual destination round: fill, then the oracle learns the record."""

    def _round(order: Order, **kw) -> bytes:
        fill_order(order, **kw)
        return prove(order)

    return _round


# ---------------------------------------------------------------- agents


@pytest.fixture
def set_wallet(world):
    """Make `key` the wallet of `agent` (default agent 1) with its EIP-712
    proof, sent by AGENT_OWNER."""

    def _set(key=WALLET, agent: int | None = None) -> str:
        agent = world.agent_id if agent is None else agent
        deadline = boa.env.timestamp + 60
        message = registry_wallet_typed_data(
            agent,
            key.address,
            AGENT_OWNER.address,
            deadline,
            boa.env.evm.patch.chain_id,
            str(world.registry.address),
        )
        signature = bytes(Account.sign_typed_data(key.key, full_message=message).signature)
        world.registry.setAgentWallet(agent, key.address, deadline, signature, sender=AGENT_OWNER.address)
        return key.address

    return _set


OPEN_SELECTOR = sel("open((uint32,bytes32,bytes))")


@pytest.fixture
def make_grant(world) -> Callable[..., Grant]:
    """A session grant of the AgentAccount for agent 1 (or `agent`), key
    SESSION_KEY, valid for an hour, allowing token.approve and settler.open,
    with a `cap` on `token` (counting approvals)."""

    def _make(agent: int | None = None, cap: int = 10_000, **kw) -> Grant:
        now = boa.env.timestamp
        defaults = {
            "account": str(world.account.address),
            "agent_id": world.agent_id if agent is None else agent,
            "session_key": SESSION_KEY.address,
            "valid_after": now,
            "valid_until": now + 3_600,
            "permissions": (
                Permission(str(world.token.address), APPROVE, 0),
                Permission(str(world.settler.address), OPEN_SELECTOR, 0),
            ),
            "token_budgets": (TokenBudget(str(world.token.address), cap, 0),),
        }
        defaults.update(kw)
        return Grant(**defaults)

    return _make


@pytest.fixture
def execute_batch(world):
    """`SessionManager.executeBatch` sent by the session key, with the
    account owner's signature of the grant (through the account's
    CharterMessage wrapper) and the agent owner's consent."""

    def _batch(grant: Grant, calls: list[Call]):
        chain = boa.env.evm.patch.chain_id
        digest = sessions_typed_digest(grant_typed_data(grant, chain, world.manager.address))
        wrapped = sessions_typed_digest(message_typed_data(digest, chain, grant.account))
        signature = pack_grant_signature(sign_digest(ACCOUNT_OWNER, wrapped), sign_digest(AGENT_OWNER, digest))
        world.manager.executeBatch(grant.abi(), signature, [c.abi() for c in calls], sender=grant.session_key)

    return _batch
