"""Fixtures for the SessionManager unit and adversarial tests (titanoboa).

One world is deployed per test package (`world`, package-scoped and
autouse, so it is set up before any per-test fixture and sits at the bottom
of titanoboa's anchor stack): an AgentRegistry with agents, a SessionManager
and a second one on the same registry, deployed AgentAccounts (two of one EOA
owner, one of an ERC-1271 contract owner, one bound to the second manager),
an EIP-7702-style account (an EOA whose code is the AgentAccount delegate's
runtime code, so it is its own owner), a Target and two ERC-20 tokens.
Titanoboa's pytest plugin runs every test inside `boa.env.anchor()`, so
storage, balances, time travel and chain-id patches vanish after each test.

Factory fixtures return closures. Grant digests and signatures come from
`helpers.py` (EIP-712 through eth_account), never from the contracts.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from types import SimpleNamespace

import boa
import pytest

from ..helpers import deploy_session_manager
from .helpers import (
    CONTRACTS,
    GRANT_ABI,
    MOCKS,
    POKE,
    ZERO_ADDRESS,
    Call,
    Grant,
    Permission,
    calldata,
    fixed_address,
    fixed_key,
    grant_typed_data,
    map_slot,
    message_typed_data,
    pack_grant_signature,
    poke,
    request_typed_data,
    sign_digest,
    storage_slot,
    typed_digest,
)

# ---------------------------------------------------------------- actors

OWNER = fixed_key("owner")  # EOA owner of the deployed accounts
KEY = fixed_key("session-key")  # the agent's session key
KEY2 = fixed_key("session-key-2")
STRANGER = fixed_key("stranger")  # a key with no role at all
WALLET_SIGNER = fixed_key("wallet-signer")  # behind the ERC-1271 owner
EOA7702 = fixed_key("eoa-7702")  # an EOA "delegated" to the AgentAccount code
PLAIN_EOA = fixed_key("plain-eoa")  # an EOA without code
AGENT_OWNER_KEY = fixed_key("agent-owner")  # owns both agents; signs their consent
AGENT_OWNER = AGENT_OWNER_KEY.address
RELAYER = fixed_address("relayer")
RECIPIENT = fixed_address("recipient")
FRIEND = fixed_address("friend")  # approves the account for transferFrom

ACCOUNT_ETH = 10**18
TOKEN_BALANCE = 10_000


def _load(path):
    return boa.load_partial(str(path))


@pytest.fixture(scope="package", autouse=True)
def world():
    registry = _load(CONTRACTS / "AgentRegistry.vy").deploy()
    manager = deploy_session_manager(registry.address)
    manager2 = deploy_session_manager(registry.address)
    views = _load(CONTRACTS / "SessionView.vy")
    view = views.deploy(manager.address)
    view2 = views.deploy(manager2.address)
    accounts = _load(CONTRACTS / "AgentAccount.vy")
    account = accounts.deploy(OWNER.address, manager.address)
    account_b = accounts.deploy(OWNER.address, manager.address)
    account_c = accounts.deploy(OWNER.address, manager2.address)
    wallet = _load(MOCKS / "ERC1271Wallet.vy").deploy(WALLET_SIGNER.address)
    wallet_account = accounts.deploy(wallet.address, manager.address)
    delegate = accounts.deploy(ZERO_ADDRESS, manager.address)
    boa.env.set_code(EOA7702.address, boa.env.get_code(delegate.address))
    eoa_account = accounts.at(EOA7702.address)
    target = _load(MOCKS / "Target.vy").deploy()
    tokens = _load(MOCKS / "Token.vy")
    token, token2 = tokens.deploy(), tokens.deploy()

    with boa.env.prank(AGENT_OWNER):
        agent_id = registry.register()
        agent2_id = registry.register()
    for holder in (account, account_b, account_c, wallet_account, eoa_account):
        boa.env.set_balance(holder.address, ACCOUNT_ETH)
        token.mint(holder.address, TOKEN_BALANCE)
        token2.mint(holder.address, TOKEN_BALANCE)
    token.mint(FRIEND, TOKEN_BALANCE)
    with boa.env.prank(FRIEND):
        token.approve(account.address, TOKEN_BALANCE)

    return SimpleNamespace(
        registry=registry,
        manager=manager,
        manager2=manager2,
        view=view,
        view2=view2,
        view_deployer=views,
        account=account,
        account_b=account_b,
        account_c=account_c,
        wallet=wallet,
        wallet_account=wallet_account,
        delegate=delegate,
        eoa_account=eoa_account,
        target=target,
        token=token,
        token2=token2,
        agent_id=agent_id,
        agent2_id=agent2_id,
        account_deployer=accounts,
        manager_deployer=_load(CONTRACTS / "SessionManager.vy"),
        extension_deployer=_load(CONTRACTS / "SessionExtension.vy"),
        # how each account approves a grant digest: (kind, signer)
        signers={
            str(account.address): ("wrapped", OWNER),
            str(account_b.address): ("wrapped", OWNER),
            str(account_c.address): ("wrapped", OWNER),
            str(wallet_account.address): ("wrapped", WALLET_SIGNER),
            str(eoa_account.address): ("raw", EOA7702),
            str(PLAIN_EOA.address): ("raw", PLAIN_EOA),
        },
    )


@pytest.fixture(scope="package", autouse=True)
def deployer():
    """Compile a mock (or contract) once: deployer("Reentrant"). Package
    scoped and autouse so it is set up with the world, before any test's
    own fixtures (titanoboa and ape both stack isolation per fixture)."""
    cache: dict[str, object] = {}

    def _deployer(name: str):
        if name not in cache:
            path = CONTRACTS / f"{name}.vy"
            cache[name] = _load(path if path.exists() else MOCKS / f"{name}.vy")
        return cache[name]

    return _deployer


# ---------------------------------------------------------------- world as fixtures


@pytest.fixture
def registry(world):
    return world.registry


@pytest.fixture
def manager(world):
    return world.manager


@pytest.fixture
def manager2(world):
    return world.manager2


@pytest.fixture
def view(world):
    """The SessionView of `manager` (grantState, tokenAllowance, hashes)."""
    return world.view


@pytest.fixture
def view2(world):
    return world.view2


@pytest.fixture
def account(world):
    return world.account


@pytest.fixture
def target(world):
    return world.target


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
def chain_id():
    return boa.env.evm.patch.chain_id


@pytest.fixture
def now():
    return lambda: boa.env.timestamp


# ---------------------------------------------------------------- grants


@pytest.fixture
def make_grant(world) -> Callable[..., Grant]:
    """A grant for `account` (default: the deployed account), session key
    KEY, agent 1, valid from now for an hour, allowing Target.poke with up
    to 1,000 wei, native budget 10,000; keyword arguments override."""

    def _make(**kw) -> Grant:
        now = boa.env.timestamp
        defaults = {
            "account": str(world.account.address),
            "agent_id": world.agent_id,
            "session_key": KEY.address,
            "valid_after": now,
            "valid_until": now + 3_600,
            "native_budget": 10_000,
            "permissions": (Permission(str(world.target.address), POKE, 1_000),),
        }
        defaults.update(kw)
        for name in ("permissions", "conditions", "token_budgets"):
            if name in defaults:
                defaults[name] = tuple(defaults[name])
        defaults["account"] = str(defaults["account"])
        defaults["session_key"] = str(defaults["session_key"])
        return Grant(**defaults)

    return _make


@pytest.fixture
def grant_hash(world) -> Callable[..., bytes]:
    """The grant's EIP-712 digest, computed independently (eth_account)."""

    def _hash(grant: Grant, chain_id: int | None = None, manager=None) -> bytes:
        return typed_digest(
            grant_typed_data(
                grant,
                boa.env.evm.patch.chain_id if chain_id is None else chain_id,
                world.manager.address if manager is None else manager,
            )
        )

    return _hash


@pytest.fixture
def sign_grant(world, grant_hash) -> Callable[..., bytes]:
    """The account's approval of a grant: for a deployed account its owner
    signs CharterMessage(grantHash) in the account's domain (through the
    ERC-1271 wallet's key for a contract owner); for an EIP-7702-style or
    plain EOA account the key signs the grant digest itself. `signer`
    replaces the key; `digest_account` wraps for another account."""

    def _sign(
        grant: Grant,
        chain_id: int | None = None,
        manager=None,
        signer=None,
        digest_account=None,
    ) -> bytes:
        chain = boa.env.evm.patch.chain_id if chain_id is None else chain_id
        digest = grant_hash(grant, chain, manager)
        kind, default_signer = world.signers.get(str(grant.account), ("raw", None))
        signer = signer if signer is not None else default_signer
        if kind == "wrapped":
            wrapper = digest_account if digest_account is not None else grant.account
            digest = typed_digest(message_typed_data(digest, chain, wrapper))
        return sign_digest(signer, digest)

    return _sign


@pytest.fixture
def consent(world, grant_hash) -> Callable[..., bytes]:
    """The agent's consent to a grant's session key: its owner (AGENT_OWNER,
    or `signer`) signs the grant digest."""

    def _consent(grant: Grant, manager=None, signer=None, chain_id: int | None = None) -> bytes:
        return sign_digest(
            AGENT_OWNER_KEY if signer is None else signer, grant_hash(grant, chain_id, manager)
        )

    return _consent


@pytest.fixture
def grant_signature(world, sign_grant, consent) -> Callable[..., bytes]:
    """The first-use `grantSignature`: abi.encode(account signature, agent
    consent). `sig` replaces the account's signature, `agent` the consent;
    `raw` is sent as it is."""

    def _signature(grant: Grant, manager=None, sig=None, agent=None, raw=None) -> bytes:
        if raw is not None:
            return raw
        address = world.manager.address if manager is None else manager
        return pack_grant_signature(
            sign_grant(grant, manager=address) if sig is None else sig,
            consent(grant, manager=address) if agent is None else agent,
        )

    return _signature


@pytest.fixture
def execute(world, grant_signature):
    """Direct `execute` sent by the session key (or `sender`); by default
    presents the account's valid grant signature and the agent owner's
    consent (`sig`, `agent`, `raw` replace them, see `grant_signature`)."""

    def _execute(
        grant: Grant,
        target,
        value: int,
        data: bytes,
        sig=None,
        sender=None,
        manager=None,
        agent=None,
        raw=None,
    ):
        manager = world.manager if manager is None else manager
        signature = grant_signature(grant, manager.address, sig, agent, raw)
        with boa.env.prank(grant.session_key if sender is None else str(sender)):
            return manager.execute(grant.abi(), signature, str(target), value, data)

    return _execute


@pytest.fixture
def execute_batch(world, grant_signature):
    def _batch(
        grant: Grant, calls: list[Call], sig=None, sender=None, manager=None, agent=None, raw=None
    ):
        manager = world.manager if manager is None else manager
        signature = grant_signature(grant, manager.address, sig, agent, raw)
        with boa.env.prank(grant.session_key if sender is None else str(sender)):
            return manager.executeBatch(
                grant.abi(), signature, [c.abi() for c in calls]
            )

    return _batch


@pytest.fixture
def request_sig(world, grant_hash):
    """A relay tuple (nonce, deadline, signature) for `calls`, signed by the
    session key (or `signer`) for this chain and manager unless told."""

    def _request(
        grant: Grant,
        calls: list[Call],
        nonce: int = 0,
        deadline: int | None = None,
        signer=None,
        chain_id: int | None = None,
        manager=None,
    ) -> tuple[int, int, bytes]:
        chain = boa.env.evm.patch.chain_id if chain_id is None else chain_id
        manager = world.manager.address if manager is None else manager
        deadline = boa.env.timestamp + 600 if deadline is None else deadline
        digest = typed_digest(
            request_typed_data(
                grant_hash(grant, chain, manager),
                nonce,
                deadline,
                calls,
                chain,
                manager,
            )
        )
        return (nonce, deadline, sign_digest(KEY if signer is None else signer, digest))

    return _request


@pytest.fixture
def execute_relayed(world, grant_signature):
    """Relayed `execute` / `executeBatch` sent by RELAYER (or `sender`)."""

    def _relayed(
        grant: Grant,
        calls: list[Call],
        relay,
        sig=None,
        sender=RELAYER,
        manager=None,
        batch=None,
        agent=None,
        raw=None,
    ):
        manager = world.manager if manager is None else manager
        signature = grant_signature(grant, manager.address, sig, agent, raw)
        with boa.env.prank(str(sender)):
            if (len(calls) == 1) if batch is None else not batch:
                c = calls[0]
                return manager.execute(
                    grant.abi(), signature, str(c.target), c.value, c.data, relay
                )
            return manager.executeBatch(
                grant.abi(), signature, [c.abi() for c in calls], relay
            )

    return _relayed


@pytest.fixture
def as_account(world):
    """Make an account call the manager: a deployed account's owner goes
    through `account.execute(manager, 0, calldata)`, an EIP-7702-style or
    plain EOA account sends the call itself. Returns the contract called
    (for event decoding)."""

    def _as(account, signature: str, *args, manager=None):
        manager = world.manager if manager is None else manager
        kind, signer = world.signers[str(account)]
        if kind == "raw":
            with boa.env.prank(signer.address):
                getattr(manager, signature.split("(")[0])(*args)
            return manager
        contract = world.account_deployer.at(str(account))
        owner = contract.owner()
        with boa.env.prank(owner):
            contract.execute(manager.address, 0, calldata(signature, *args))
        return contract

    return _as


@pytest.fixture
def issue(world, as_account, consent):
    """Issue a grant on-chain from its account with the agent owner's
    consent (`agent` replaces it); returns the contract called."""

    def _issue(grant: Grant, manager=None, agent=None):
        address = world.manager.address if manager is None else manager.address
        return as_account(
            grant.account,
            f"issue({GRANT_ABI},bytes)",
            grant.abi(),
            consent(grant, manager=address) if agent is None else agent,
            manager=manager,
        )

    return _issue


@pytest.fixture
def activate(execute, target):
    """First use of an off-chain grant with a harmless allowed call
    (Target.poke with no value); the grant must allow it."""

    def _activate(grant: Grant):
        execute(grant, target.address, 0, poke())

    return _activate


# ---------------------------------------------------------------- observation


@pytest.fixture(scope="package", autouse=True)
def watched(world):
    """The fixed storage slots `observe` reads: ETH holders, token balances
    and allowances around the accounts, Target's record, the accounts'
    words in the manager (computed once)."""
    w = world
    holders = [
        str(h.address)
        for h in (w.account, w.account_b, w.account_c, w.wallet_account, w.eoa_account)
    ]
    people = holders + [RECIPIENT, FRIEND, STRANGER.address, str(w.target.address)]
    balance, allowance, supply = (
        storage_slot(w.token, n) for n in ("balanceOf", "allowance", "totalSupply")
    )
    slots = []
    for token in (str(w.token.address), str(w.token2.address)):
        slots += [(token, map_slot(balance, a)) for a in people]
        slots += [
            (token, map_slot(allowance, h, s))
            for h in holders
            for s in (RECIPIENT, FRIEND, STRANGER.address)
        ]
        slots += [(token, map_slot(allowance, FRIEND, h)) for h in holders]
        slots.append((token, supply))
    slots += [(str(w.target.address), i) for i in range(3)]
    accounts = storage_slot(w.manager, "_accounts")
    slots += [(str(w.manager.address), map_slot(accounts, h)) for h in holders]
    return SimpleNamespace(
        people=people,
        holders=holders,
        slots=slots,
        tokens=[str(w.token.address), str(w.token2.address)],
        manager=str(w.manager.address),
        grants=storage_slot(w.manager, "_grants"),
        spent=storage_slot(w.manager, "_spent"),
    )


@pytest.fixture
def observe(watched):
    """Everything a session could change, for "nothing changed" checks, read
    straight from storage (no EVM calls): the `watched` slots and balances,
    plus the manager's state and token words of the given grant hashes."""
    w = watched

    def _observe(*grant_hashes) -> dict:
        read = boa.env.get_storage
        return {
            "eth": [boa.env.get_balance(a) for a in w.people],
            "fixed": [read(a, slot) for a, slot in w.slots],
            "words": [
                read(w.manager, map_slot(w.grants, h, gh))
                for gh in grant_hashes
                for h in w.holders
            ],
            "spent": [
                read(w.manager, map_slot(w.spent, gh, t))
                for gh in grant_hashes
                for t in w.tokens
            ],
        }

    return _observe


@pytest.fixture
def refused(observe):
    """`with refused("reason", grant_hash, ...)`: the block must revert with
    exactly that reason and change nothing observable."""

    @contextmanager
    def _refused(reason: str | None, *grant_hashes):
        before = observe(*grant_hashes)
        if reason is None:
            with boa.reverts():
                yield
        else:
            with boa.reverts(reason):
                yield
        assert observe(*grant_hashes) == before, "a refused attempt changed state"

    return _refused
