"""Sessions through the SDK on anvil: an EOA upgraded with EIP-7702 and a
deployed account grant session keys, agents use them directly and through a
relayer (gasless), and every refusal arrives as its typed exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from charter import (
    AccountKind,
    Call,
    Charter,
    GrantBuilder,
    GrantExpired,
    GrantNotYetValid,
    GrantRevoked,
    GrantSignatureInvalid,
    GrantStatus,
    InvalidInput,
    LocalSigner,
    NodeSigner,
    OutOfScope,
    OverBudget,
    RequestInvalid,
    SessionAgentInactive,
    SessionRequest,
    SignedGrant,
    TooSoon,
    Unauthorized,
    at_most,
    one_of,
)
from charter._core.artifacts import abi, init_code

TRANSFER = "transfer(address,uint256)"


def _mine(w3: Web3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


@pytest.fixture
def fund(w3: Web3, deployer: NodeSigner) -> Callable[[str, int], None]:
    def send(address: str, wei: int = 10**18) -> None:
        w3.eth.wait_for_transaction_receipt(deployer.send_transaction(w3, {"to": address, "value": wei}))  # type: ignore[typeddict-item]

    return send


@pytest.fixture
def principal(fund: Callable[[str, int], None]) -> LocalSigner:
    """A fresh EOA that will upgrade itself with EIP-7702."""
    signer = LocalSigner(Account.create())
    fund(signer.address, 10**18)
    return signer


@pytest.fixture
def agent_key(fund: Callable[[str, int], None]) -> LocalSigner:
    signer = LocalSigner(Account.create())
    fund(signer.address, 10**17)
    return signer


@pytest.fixture
def as_principal(w3: Web3, registry_address: str, manifest: Any, principal: LocalSigner) -> Charter:
    return Charter.connect(w3, signer=principal, manifest=manifest)


@pytest.fixture
def token(w3: Web3, deployer: NodeSigner) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(deployer.send_transaction(w3, {"data": init_code("DemoToken")}))  # type: ignore[typeddict-item]
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi("DemoToken"))


@pytest.fixture
def mint(w3: Web3, deployer: NodeSigner, token: Any) -> Callable[[str, int], None]:
    def run(to: str, amount: int) -> None:
        w3.eth.wait_for_transaction_receipt(token.functions.mint(to, amount).transact({"from": deployer.address}))

    return run


@pytest.fixture
def agent(as_principal: Charter) -> int:
    return as_principal.registry.register("ipfs://agent")


@pytest.fixture
def upgraded(as_principal: Charter, principal: LocalSigner, mint: Callable[[str, int], None]) -> str:
    """The principal's EOA, now a Charter account holding 1,000 tokens."""
    as_principal.accounts.upgrade(principal)
    mint(principal.address, 1_000)
    return principal.address


@pytest.fixture
def grant_for(as_principal: Charter, agent: int, agent_key: LocalSigner, token: Any) -> Callable[..., Any]:
    """A prepared grant: transfers of the token to `to`, capped, for an hour."""

    def build(account: str, to: str, cap: int = 100, **extra: Any) -> Any:
        builder = (
            as_principal.sessions.builder(account, agent, agent_key.address)
            .allow_transfer(token.address, to=to)
            .token_budget(token.address, cap=cap)
            .valid_for(hours=1)
        )
        for name, value in extra.items():
            getattr(builder, name)(*value) if isinstance(value, tuple) else getattr(builder, name)(value)
        return as_principal.sessions.prepare(builder)

    return build


def _transfer(token: Any, to: str, amount: int) -> Call:
    return Call.to(token.address, TRANSFER, to, amount)


# ---------------------------------------------------------------- hashing agrees with the contract


def test_grant_and_request_digests_match_the_contract(
    as_principal: Charter,
    grant_for: Callable[..., Any],
    upgraded: str,
    bob: NodeSigner,
    token: Any,
    agent_key: LocalSigner,
) -> None:
    sessions = as_principal.sessions
    grant = grant_for(upgraded, bob.address, max_calls=5, native_budget=7)
    assert sessions.hash(grant) == bytes(sessions.views.functions.hashGrant(grant.as_tuple()).call())
    signed = sessions.sign(grant)
    calls = [_transfer(token, bob.address, 1), Call(target=bob.address, value=3)]
    request = sessions.sign_request(signed, calls, key=agent_key, deadline=123, nonce=4)
    on_chain = sessions.views.functions.hashRequest(signed.hash, 4, 123, [c.as_tuple() for c in calls]).call()
    assert sessions.request_digest(request) == bytes(on_chain)


# ---------------------------------------------------------------- EIP-7702 account, direct use


def test_upgraded_eoa_grants_and_the_agent_acts_in_scope(
    w3: Web3,
    as_principal: Charter,
    grant_for: Callable[..., Any],
    upgraded: str,
    principal: LocalSigner,
    bob: NodeSigner,
    token: Any,
    agent_key: LocalSigner,
) -> None:
    accounts, sessions = as_principal.accounts, as_principal.sessions
    assert accounts.kind(upgraded) is AccountKind.EIP7702
    assert accounts.owner_of(upgraded) == upgraded
    info = accounts.info(upgraded)
    assert info.kind is AccountKind.EIP7702 and info.max_session_length == 7 * 86_400

    grant = grant_for(upgraded, bob.address, max_calls=3)
    block_before = w3.eth.block_number
    signed = sessions.sign(grant)
    assert w3.eth.block_number == block_before  # signing sends nothing
    assert sessions.state(signed).status is GrantStatus.PENDING

    result = sessions.execute(signed, _transfer(token, bob.address, 60), key=agent_key)
    assert result.grant_hash == "0x" + signed.hash.hex()
    assert token.functions.balanceOf(bob.address).call() == 60
    state = sessions.state(signed)
    assert state.status is GrantStatus.ACTIVE
    assert (state.calls_used, state.calls_left) == (1, 2)
    assert state.tokens[0].left == 40

    # Once active the signature is no longer sent (and not needed).
    sessions.execute(
        SignedGrant(grant=grant, chain_id=signed.chain_id, manager=signed.manager),
        _transfer(token, bob.address, 40),
        key=agent_key,
    )
    assert token.functions.balanceOf(bob.address).call() == 100


def test_out_of_scope_calls_are_refused_with_the_rule(
    as_principal: Charter,
    grant_for: Callable[..., Any],
    upgraded: str,
    bob: NodeSigner,
    mallory: LocalSigner,
    token: Any,
    agent_key: LocalSigner,
) -> None:
    sessions = as_principal.sessions
    signed = sessions.sign(grant_for(upgraded, bob.address))
    with pytest.raises(OutOfScope) as wrong_recipient:
        sessions.execute(signed, _transfer(token, mallory.address, 10), key=agent_key)
    assert wrong_recipient.value.call == 0 and wrong_recipient.value.argument == 0
    assert mallory.address in str(wrong_recipient.value) and bob.address in str(wrong_recipient.value)
    with pytest.raises(OutOfScope) as other_function:
        sessions.execute(signed, Call.to(token.address, "approve(address,uint256)", mallory.address, 1), key=agent_key)
    assert other_function.value.argument is None and "not among the grant's permissions" in str(other_function.value)
    with pytest.raises(OutOfScope, match="more wei"):
        sessions.execute(
            signed, Call(target=token.address, value=1, data=_transfer(token, bob.address, 1).data), key=agent_key
        )
    assert token.functions.balanceOf(mallory.address).call() == 0
    assert sessions.state(signed).status is GrantStatus.PENDING  # refusals change nothing


def test_budgets_are_running_totals_and_say_what_is_left(
    as_principal: Charter,
    grant_for: Callable[..., Any],
    upgraded: str,
    bob: NodeSigner,
    token: Any,
    agent_key: LocalSigner,
) -> None:
    sessions = as_principal.sessions
    signed = sessions.sign(grant_for(upgraded, bob.address, max_calls=3))
    sessions.execute(signed, _transfer(token, bob.address, 60), key=agent_key)
    with pytest.raises(OverBudget) as over:
        sessions.execute(signed, _transfer(token, bob.address, 50), key=agent_key)
    assert over.value.budget == token.address and over.value.left == 40
    assert "40 left" in str(over.value)
    with pytest.raises(OverBudget):  # 30 + 30 in one batch: the total counts
        sessions.execute_batch(
            signed, [_transfer(token, bob.address, 30), _transfer(token, bob.address, 30)], key=agent_key
        )
    sessions.execute_batch(
        signed, [_transfer(token, bob.address, 20), _transfer(token, bob.address, 20)], key=agent_key
    )
    assert token.functions.balanceOf(bob.address).call() == 100
    with pytest.raises(OverBudget) as calls:
        sessions.execute(signed, _transfer(token, bob.address, 0), key=agent_key)
    assert calls.value.budget == "calls" and calls.value.left == 0


def test_native_budget_and_interval(
    w3: Web3, as_principal: Charter, agent: int, agent_key: LocalSigner, upgraded: str, bob: NodeSigner
) -> None:
    sessions = as_principal.sessions
    grant = sessions.prepare(
        GrantBuilder(upgraded, agent, agent_key.address).allow_eth(bob.address, max_value=10**15)
        .native_budget(15 * 10**14).min_interval(60).valid_for(hours=1)
    )
    signed = sessions.sign(grant)
    before = w3.eth.get_balance(bob.address)
    sessions.execute(signed, Call(target=bob.address, value=10**15), key=agent_key)
    assert w3.eth.get_balance(bob.address) - before == 10**15
    with pytest.raises(TooSoon):
        sessions.execute(signed, Call(target=bob.address, value=1), key=agent_key)
    _mine(w3, 61)
    with pytest.raises(OverBudget) as over:
        sessions.execute(signed, Call(target=bob.address, value=10**15), key=agent_key)
    assert over.value.budget == "native" and over.value.left == 5 * 10**14


# ---------------------------------------------------------------- gasless relay


def test_relayed_request_costs_the_agent_nothing_and_cannot_be_replayed(
    w3: Web3, as_principal: Charter, agent: int, upgraded: str, bob: NodeSigner, token: Any, mallory: LocalSigner
) -> None:
    sessions = as_principal.sessions
    broke_key = LocalSigner(Account.create())  # holds no ETH at all
    grant = sessions.prepare(
        GrantBuilder(upgraded, agent, broke_key.address)
        .allow_transfer(token.address, to=bob.address, max_amount=50).valid_for(minutes=30)
    )
    signed = sessions.sign(grant)
    request = sessions.sign_request(signed, _transfer(token, bob.address, 25), key=broke_key)
    # The request travels as JSON to whoever relays it.
    carried = SessionRequest.from_json(request.to_json())
    sessions.relay(carried, relayer=mallory)
    assert token.functions.balanceOf(bob.address).call() == 25
    assert w3.eth.get_balance(broke_key.address) == 0
    assert sessions.state(signed).nonce == 1

    with pytest.raises(RequestInvalid, match="next nonce"):
        sessions.relay(carried, relayer=mallory)
    tampered = carried.model_copy(update={"calls": (_transfer(token, bob.address, 50),), "nonce": 1})
    with pytest.raises(RequestInvalid, match="not signed by"):
        sessions.relay(tampered, relayer=mallory)
    stale = sessions.sign_request(
        signed, _transfer(token, bob.address, 1), key=broke_key, deadline=sessions.chain_time() - 1
    )
    with pytest.raises(RequestInvalid, match="deadline"):
        sessions.relay(stale, relayer=mallory)
    with pytest.raises(InvalidInput, match="session key"):
        sessions.sign_request(signed, _transfer(token, bob.address, 1), key=mallory)
    # A batch relayed in one request.
    batch = sessions.sign_request(
        signed, [_transfer(token, bob.address, 5), _transfer(token, bob.address, 6)], key=broke_key
    )
    sessions.relay(batch, relayer=mallory)
    assert token.functions.balanceOf(bob.address).call() == 36


# ---------------------------------------------------------------- deployed account, on-chain issuance


def test_deployed_account_owner_signs_through_erc1271_and_issues_on_chain(
    w3: Web3,
    as_principal: Charter,
    principal: LocalSigner,
    agent: int,
    agent_key: LocalSigner,
    bob: NodeSigner,
    mallory: LocalSigner,
    token: Any,
    mint: Callable[[str, int], None],
) -> None:
    accounts, sessions = as_principal.accounts, as_principal.sessions
    predicted = accounts.address_of(principal.address, salt=7)
    account = accounts.deploy(principal.address, salt=7)
    assert account == predicted and accounts.kind(account) is AccountKind.DEPLOYED
    assert accounts.deploy(principal.address, salt=7) == account  # idempotent
    assert accounts.owner_of(account) == principal.address
    mint(account, 500)

    builder = (
        GrantBuilder(account, agent, agent_key.address)
        .allow(
            token.address,
            "transfer(address to, uint256 amount)",
            to=one_of(bob.address, mallory.address),
            amount=at_most(200),
        )
        .valid_for(hours=2)
    )
    signed = sessions.sign(sessions.prepare(builder))
    with pytest.raises(InvalidInput, match="owned by"):
        sessions.sign(signed.grant, mallory)
    forged = signed.model_copy(
        update={
            "signature": sessions.sign(
                signed.grant.model_copy(update={"account": principal.address}), principal
            ).signature
        }
    )
    with pytest.raises(GrantSignatureInvalid):
        sessions.execute(forged, _transfer(token, bob.address, 1), key=agent_key)
    sessions.execute(signed, _transfer(token, mallory.address, 200), key=agent_key)
    assert token.functions.balanceOf(mallory.address).call() == 200
    with pytest.raises(OutOfScope) as too_much:
        sessions.execute(signed, _transfer(token, bob.address, 201), key=agent_key)
    assert too_much.value.argument == 1

    issued, tx = sessions.issue(sessions.prepare(builder.salt(99)))
    assert tx.grant_hash == "0x" + issued.hash.hex() and issued.signature == b""
    assert sessions.state(issued).status is GrantStatus.ACTIVE
    sessions.execute(issued, _transfer(token, bob.address, 5), key=agent_key)
    assert token.functions.balanceOf(bob.address).call() == 5
    # The owner executes anything directly.
    accounts.execute(account, token.address, _transfer(token, bob.address, 1).data)
    assert token.functions.balanceOf(bob.address).call() == 6
    with pytest.raises(Unauthorized):
        accounts.execute(account, token.address, _transfer(token, mallory.address, 1).data, signer=mallory)


# ---------------------------------------------------------------- revocation and time


def test_revoke_one_revoke_unused_renounce_and_revoke_all(
    as_principal: Charter,
    grant_for: Callable[..., Any],
    upgraded: str,
    bob: NodeSigner,
    token: Any,
    agent_key: LocalSigner,
) -> None:
    sessions = as_principal.sessions
    used = sessions.sign(grant_for(upgraded, bob.address))
    unused = sessions.sign(grant_for(upgraded, bob.address))
    renounced = sessions.sign(grant_for(upgraded, bob.address))
    later = sessions.sign(grant_for(upgraded, bob.address))
    sessions.execute(used, _transfer(token, bob.address, 1), key=agent_key)

    sessions.revoke(used)
    sessions.revoke("0x" + unused.hash.hex(), account=upgraded)
    sessions.renounce(renounced, key=agent_key)
    for signed in (used, unused, renounced):
        assert sessions.state(signed).status is GrantStatus.REVOKED
        with pytest.raises(GrantRevoked):
            sessions.execute(signed, _transfer(token, bob.address, 1), key=agent_key)
    with pytest.raises(GrantRevoked, match="already revoked"):
        sessions.revoke(used)

    assert sessions.epoch_of(upgraded) == 0
    sessions.revoke_all(upgraded)
    assert sessions.epoch_of(upgraded) == 1
    assert sessions.state(later).status is GrantStatus.REVOKED_ALL
    with pytest.raises(GrantRevoked, match="revoked all"):
        sessions.execute(later, _transfer(token, bob.address, 1), key=agent_key)
    # A grant made after revoke-all carries the new epoch and works.
    fresh = sessions.sign(grant_for(upgraded, bob.address))
    assert fresh.grant.epoch == 1
    sessions.execute(fresh, _transfer(token, bob.address, 1), key=agent_key)
    assert token.functions.balanceOf(bob.address).call() == 2


def test_window_and_agent_status(
    w3: Web3, as_principal: Charter, agent: int, agent_key: LocalSigner, upgraded: str, bob: NodeSigner, token: Any
) -> None:
    sessions = as_principal.sessions
    now = sessions.chain_time()
    base = GrantBuilder(upgraded, agent, agent_key.address).allow_transfer(token.address, to=bob.address)
    later = sessions.sign(sessions.prepare(base.valid_between(now + 600, now + 1_200)))
    with pytest.raises(GrantNotYetValid):
        sessions.execute(later, _transfer(token, bob.address, 1), key=agent_key)
    short = sessions.sign(sessions.prepare(base.valid_between(now, now + 30)))
    as_principal.registry.pause(agent)
    with pytest.raises(SessionAgentInactive):
        sessions.execute(short, _transfer(token, bob.address, 1), key=agent_key)
    assert sessions.state(short).status is GrantStatus.AGENT_INACTIVE
    as_principal.registry.resume(agent)
    sessions.execute(short, _transfer(token, bob.address, 1), key=agent_key)
    _mine(w3, 40)
    assert sessions.state(short).status is GrantStatus.EXPIRED
    with pytest.raises(GrantExpired):
        sessions.execute(short, _transfer(token, bob.address, 1), key=agent_key)


def test_prepare_refuses_what_the_manager_would(
    as_principal: Charter, agent: int, agent_key: LocalSigner, upgraded: str, token: Any
) -> None:
    sessions = as_principal.sessions
    too_long = GrantBuilder(upgraded, agent, agent_key.address).allow_transfer(token.address).valid_for(days=8)
    with pytest.raises(InvalidInput, match="allows at most"):
        sessions.prepare(too_long)
    sessions.set_max_session_length(upgraded, 10 * 86_400)
    assert sessions.max_session_length(upgraded) == 10 * 86_400
    sessions.prepare(too_long)
    to_manager = (
        GrantBuilder(upgraded, agent, agent_key.address).allow(sessions.address, "revokeAll()").valid_for(hours=1)
    )
    with pytest.raises(InvalidInput, match="SessionManager"):
        sessions.prepare(to_manager)
    with pytest.raises(InvalidInput, match="account-execution"):
        GrantBuilder(upgraded, agent, agent_key.address).allow(token.address, "execute(address,uint256,bytes)")
    with pytest.raises(InvalidInput, match="validity window"):
        GrantBuilder(upgraded, agent, agent_key.address).allow_transfer(token.address).build(now=0)


def test_grants_are_bound_to_chain_and_manager(
    as_principal: Charter,
    grant_for: Callable[..., Any],
    upgraded: str,
    bob: NodeSigner,
    token: Any,
    agent_key: LocalSigner,
) -> None:
    sessions = as_principal.sessions
    signed = sessions.sign(grant_for(upgraded, bob.address))
    assert SignedGrant.from_json(signed.to_json()) == signed
    elsewhere = signed.model_copy(update={"chain_id": 1})
    with pytest.raises(InvalidInput, match="bound to one chain"):
        sessions.execute(elsewhere, _transfer(token, bob.address, 1), key=agent_key)
    with pytest.raises(InvalidInput, match="not a signed Charter grant"):
        SignedGrant.from_json('{"grant": {}}')


def test_sender_must_be_the_session_key(
    as_principal: Charter,
    grant_for: Callable[..., Any],
    upgraded: str,
    bob: NodeSigner,
    mallory: LocalSigner,
    token: Any,
) -> None:
    sessions = as_principal.sessions
    signed = sessions.sign(grant_for(upgraded, bob.address))
    with pytest.raises(Unauthorized, match="session key"):
        sessions.execute(signed, _transfer(token, bob.address, 1), key=mallory)


# ---------------------------------------------------------------- listing


def test_grants_of_an_account_from_events(
    as_principal: Charter,
    grant_for: Callable[..., Any],
    upgraded: str,
    bob: NodeSigner,
    token: Any,
    agent_key: LocalSigner,
) -> None:
    sessions = as_principal.sessions
    first = sessions.sign(grant_for(upgraded, bob.address))
    sessions.execute(first, _transfer(token, bob.address, 10), key=agent_key)
    issued, _ = sessions.issue(grant_for(upgraded, bob.address, cap=5))
    never_used = sessions.sign(grant_for(upgraded, bob.address))
    sessions.revoke(never_used)
    records = {r.grant_hash: r for r in sessions.grants(upgraded)}
    assert set(records) == {"0x" + g.hash.hex() for g in (first, issued, never_used)}
    used = records["0x" + first.hash.hex()]
    assert used.grant == first.grant and used.state is not None
    assert used.state.tokens[0].left == 90 and used.session_key == agent_key.address
    assert records["0x" + issued.hash.hex()].grant == issued.grant
    gone = records["0x" + never_used.hash.hex()]
    assert gone.revoked and gone.grant is None and gone.status_label == "revoked"


def test_a_grant_signed_elsewhere_from_the_signing_payload(
    as_principal: Charter,
    principal: LocalSigner,
    agent: int,
    agent_key: LocalSigner,
    bob: NodeSigner,
    token: Any,
    mint: Callable[[str, int], None],
) -> None:
    from eth_account.messages import encode_typed_data

    sessions = as_principal.sessions
    account = as_principal.accounts.deploy(principal.address, salt=5)
    mint(account, 10)
    grant = sessions.prepare(
        GrantBuilder(account, agent, agent_key.address)
        .allow_transfer(token.address, to=bob.address)
        .valid_for(minutes=10)
    )
    typed = sessions.signing_typed_data(grant)
    assert typed["primaryType"] == "CharterMessage" and typed["domain"]["verifyingContract"] == account
    # e.g. a hardware wallet or a remote signer produced this signature
    signature = principal.account.sign_message(encode_typed_data(full_message=typed)).signature
    consent = sessions.consent(grant, principal)  # the agent's owner consents to the key
    signed = SignedGrant(
        grant=grant, chain_id=sessions.chain_id, manager=sessions.address, signature=signature, agent_consent=consent
    )
    sessions.execute(signed, _transfer(token, bob.address, 4), key=agent_key)
    assert token.functions.balanceOf(bob.address).call() == 4
    eoa_grant = sessions.prepare(
        GrantBuilder(principal.address, agent, agent_key.address).allow_transfer(token.address).valid_for(minutes=10)
    )
    assert sessions.signing_typed_data(eoa_grant)["primaryType"] == "Grant"


def test_state_names_refusals_the_status_view_cannot_see(
    as_principal: Charter, agent: int, agent_key: LocalSigner, upgraded: str, bob: NodeSigner, token: Any
) -> None:
    sessions = as_principal.sessions
    builder = GrantBuilder(upgraded, agent, agent_key.address).allow_transfer(token.address, to=bob.address)
    long_one = sessions.sign(sessions.prepare(builder.valid_for(days=2)))
    assert sessions.state(long_one).usable and sessions.state(long_one).problem is None
    sessions.set_max_session_length(upgraded, 86_400)
    state = sessions.state(long_one)
    assert state.status is GrantStatus.PENDING and not state.usable
    assert "maximum session length" in (state.problem or "")
    future = sessions.sign(sessions.prepare(builder.valid_for(hours=1)).model_copy(update={"epoch": 1}))
    assert "epoch 1" in (sessions.state(future).problem or "")
    nowhere = (
        GrantBuilder(agent_key.address, agent, bob.address)
        .allow_transfer(token.address)
        .valid_for(hours=1)
        .build(now=sessions.chain_time())
    )
    assert "no code" in (sessions.state(nowhere).problem or "")


def test_only_the_owner_revokes_and_only_the_key_renounces(
    as_principal: Charter,
    grant_for: Callable[..., Any],
    upgraded: str,
    bob: NodeSigner,
    mallory: LocalSigner,
    token: Any,
    agent_key: LocalSigner,
) -> None:
    sessions = as_principal.sessions
    signed = sessions.sign(grant_for(upgraded, bob.address))
    with pytest.raises(Unauthorized, match="not the owner"):
        sessions.revoke(signed, principal=mallory)
    with pytest.raises(Unauthorized, match="not the owner"):
        sessions.revoke_all(upgraded, principal=mallory)
    with pytest.raises(Unauthorized, match="not the owner"):
        sessions.set_max_session_length(upgraded, 60, principal=mallory)
    with pytest.raises(Unauthorized, match="session key"):
        sessions.renounce(signed, key=mallory)
    # nothing changed: the grant still works
    assert sessions.epoch_of(upgraded) == 0 and sessions.max_session_length(upgraded) == 7 * 86_400
    sessions.execute(signed, _transfer(token, bob.address, 1), key=agent_key)
    assert sessions.state(signed).status is GrantStatus.ACTIVE


# ---------------------------------------------------------------- every path out (issue 17)


@pytest.fixture
def puller(w3: Web3, deployer: NodeSigner) -> Any:
    """A router-like contract that pulls tokens through the allowances it holds."""
    from pathlib import Path

    import vyper

    source = (Path(__file__).resolve().parents[1] / "mocks" / "Puller.vy").read_text()
    out = vyper.compile_code(source, output_formats=["abi", "bytecode"])
    tx = deployer.send_transaction(w3, {"data": out["bytecode"]})  # type: ignore[typeddict-item]
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    return w3.eth.contract(address=receipt["contractAddress"], abi=out["abi"])


def test_a_pull_through_the_owners_standing_allowance_is_capped(
    as_principal: Charter,
    agent: int,
    agent_key: LocalSigner,
    upgraded: str,
    token: Any,
    puller: Any,
    mallory: LocalSigner,
) -> None:
    """The owner approved a router for everything, for its own use; a session
    allowed to call the router with a cap of 100 cannot make it take more."""
    approve_all = Call.to(token.address, "approve(address,uint256)", puller.address, 2**256 - 1)
    as_principal.accounts.execute(upgraded, approve_all.target, approve_all.data)
    sessions = as_principal.sessions
    signed = sessions.sign(sessions.prepare(
        sessions.builder(upgraded, agent, agent_key.address)
        .allow(puller.address, "pull(address,address,address,uint256)")
        .token_budget(token.address, cap=100)
        .valid_for(hours=1)
    ))
    pull = "pull(address,address,address,uint256)"
    with pytest.raises(OverBudget) as over:
        sessions.execute(signed, Call.to(puller.address, pull, token.address, upgraded, mallory.address, 900),
                         key=agent_key)
    assert over.value.budget == token.address and over.value.left == 100
    assert "through an allowance" in str(over.value)
    assert token.functions.balanceOf(mallory.address).call() == 0
    sessions.execute(signed, Call.to(puller.address, pull, token.address, upgraded, mallory.address, 100),
                     key=agent_key)
    assert token.functions.balanceOf(mallory.address).call() == 100
    assert sessions.state(signed).tokens[0].left == 0
