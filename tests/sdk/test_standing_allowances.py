"""The pre-grant check on anvil: the SDK and the CLI refuse to sign or issue a grant whose
allowed targets hold a standing allowance from the account (ERC-20, or Permit2 at its
canonical address) over a token the grant neither budgets nor guards.

Permit2 is the test mock tests/mocks/Permit2.vy (its allowance book: allowance, approve,
transferFrom), put at Permit2's canonical address with anvil_setCode, so the SDK reads it
where it reads the real one.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_typing import ChecksumAddress
from web3 import Web3

from charter import Call, Charter, GrantBuilder, LocalSigner, StandingAllowance, equals
from charter.sessions.allowances import PERMIT2

from .test_cli import Invoke, _json, _ok, _refused, invoke, principal_key  # noqa: F401 - fixtures
from .test_sessions import (  # noqa: F401 - fixtures
    agent,
    agent_key,
    as_principal,
    fund,
    mint,
    principal,
    token,
    upgraded,
)

MAX = 2**256 - 1
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def permit2_runtime() -> str:
    import vyper

    source = (ROOT / "tests" / "mocks" / "Permit2.vy").read_text()
    return str(vyper.compile_code(source, output_formats=["bytecode_runtime"])["bytecode_runtime"])


@pytest.fixture
def permit2(w3: Web3, permit2_runtime: str) -> str:
    """Permit2's canonical address, with the mock's code (reverted with the test's snapshot)."""
    w3.provider.make_request("anvil_setCode", [PERMIT2, permit2_runtime])  # type: ignore[arg-type]
    assert w3.eth.get_code(PERMIT2)
    return PERMIT2


@pytest.fixture
def router() -> ChecksumAddress:
    """An allowed target that could pull through an allowance (no code is needed to be a spender)."""
    return Account.create().address


def _mine(w3: Web3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


@pytest.fixture
def owner_calls(as_principal: Charter, upgraded: str) -> Callable[..., None]:  # noqa: F811
    """The account's owner makes a call from the account (as `charter account exec` does)."""

    def run(target: str, function: str, *args: Any) -> None:
        call = Call.to(target, function, *args)
        as_principal.accounts.execute(upgraded, call.target, call.data)

    return run


def _swap_grant(charter: Charter, account: str, agent_id: int, key: str, router: str) -> GrantBuilder:
    return charter.sessions.builder(account, agent_id, key).allow(router, "swap(uint256 amount)").valid_for(hours=1)


# ---------------------------------------------------------------- ERC-20


def test_a_standing_allowance_over_a_watched_token_refuses_sign_issue_and_grant(
    w3: Web3, as_principal: Charter, upgraded: str, agent: int, agent_key: LocalSigner,  # noqa: F811
    token: Any, router: str, owner_calls: Callable[..., None],  # noqa: F811
) -> None:
    owner_calls(token.address, "approve(address,uint256)", router, MAX)
    sessions = as_principal.sessions
    builder = _swap_grant(as_principal, upgraded, agent, agent_key.address, router)
    grant = sessions.prepare(builder)
    sessions.sign(grant)  # the token is not the grant's: nothing says to look at it

    nonce = w3.eth.get_transaction_count(upgraded)
    for attempt in (
        lambda: sessions.sign(grant, watch=[token.address]),
        lambda: sessions.sign(grant, watch=token.address.lower()),
        lambda: sessions.issue(grant, watch=[token.address]),
        lambda: sessions.grant(builder, watch=[token.address]),
        lambda: sessions.grant(builder, on_chain=True, watch=[token.address]),
        lambda: sessions.check_allowances(grant, [token.address]),
    ):
        with pytest.raises(StandingAllowance) as refused:
            attempt()
        error = refused.value
        assert (error.account, error.token, error.spender, error.amount, error.via) == (
            upgraded, token.address, router, MAX, "ERC-20"
        )
        text = str(error)
        assert "\n" not in text and token.address in text and router in text and "an unlimited" in text
        assert error.revoke in text and f"--token-budget {token.address}:CAP" in text
        assert f"--guard {token.address}" in text and "nothing was signed or sent" in text
    assert w3.eth.get_transaction_count(upgraded) == nonce  # nothing was sent
    (found,) = sessions.standing_allowances(grant, [token.address])
    assert found.spender == router and found.via == "ERC-20"


def test_the_grants_own_tokens_are_checked_without_watch(
    as_principal: Charter, upgraded: str, agent: int, agent_key: LocalSigner,  # noqa: F811
    token: Any, router: str, owner_calls: Callable[..., None], dev_accounts: list[ChecksumAddress],  # noqa: F811
) -> None:
    owner_calls(token.address, "approve(address,uint256)", router, 1_000)
    sessions = as_principal.sessions
    # a permission target that answers ERC-20 allowance
    with_target = _swap_grant(as_principal, upgraded, agent, agent_key.address, router).allow_transfer(
        token.address, to=dev_accounts[2]
    ).max_calls(3)
    with pytest.raises(StandingAllowance, match="a 1,000-unit ERC-20 allowance") as refused:
        sessions.sign(sessions.prepare(with_target))
    assert refused.value.token == token.address and refused.value.spender == router
    # the token named in a condition
    in_condition = sessions.builder(upgraded, agent, agent_key.address).allow(
        router, "swap(address token, uint256 amount)", token=equals(token.address)
    ).valid_for(hours=1)
    with pytest.raises(StandingAllowance):
        sessions.sign(sessions.prepare(in_condition))


def test_a_budget_a_guard_or_no_allowance_lets_the_grant_through(
    as_principal: Charter, upgraded: str, agent: int, agent_key: LocalSigner,  # noqa: F811
    token: Any, router: str, owner_calls: Callable[..., None],  # noqa: F811
) -> None:
    owner_calls(token.address, "approve(address,uint256)", router, MAX)
    sessions = as_principal.sessions
    watch = [token.address]
    budgeted = _swap_grant(as_principal, upgraded, agent, agent_key.address, router).token_budget(token.address, 100)
    assert sessions.sign(sessions.prepare(budgeted), watch=watch).grant.budget_of(token.address).cap == 100
    guarded = _swap_grant(as_principal, upgraded, agent, agent_key.address, router).guard(token.address)
    signed, tx = sessions.grant(guarded, on_chain=True, watch=watch)
    assert tx is not None and signed.grant.token_budgets[0].guarded
    assert sessions.standing_allowances(signed.grant, watch) == []

    owner_calls(token.address, "approve(address,uint256)", router, 0)  # revoked
    plain = _swap_grant(as_principal, upgraded, agent, agent_key.address, router)
    sessions.sign(sessions.prepare(plain), watch=watch)


def test_addresses_that_are_no_tokens_are_skipped(
    as_principal: Charter, upgraded: str, agent: int, agent_key: LocalSigner, router: str,  # noqa: F811
) -> None:
    sessions = as_principal.sessions
    grant = sessions.prepare(_swap_grant(as_principal, upgraded, agent, agent_key.address, router))
    # an address without code, and a contract whose allowance() reverts (no such function)
    watch = [Account.create().address, sessions.address, sessions.registry]
    assert sessions.standing_allowances(grant, watch) == []
    sessions.sign(grant, watch=watch)


# ---------------------------------------------------------------- Permit2


def test_a_live_permit2_allowance_refuses_an_expired_one_does_not(
    w3: Web3, as_principal: Charter, upgraded: str, agent: int, agent_key: LocalSigner,  # noqa: F811
    token: Any, router: str, owner_calls: Callable[..., None], permit2: str,  # noqa: F811
    invoke: Invoke, principal: LocalSigner,  # noqa: F811
) -> None:
    sessions = as_principal.sessions
    watch = [token.address]
    grant = sessions.prepare(_swap_grant(as_principal, upgraded, agent, agent_key.address, router))
    now = sessions.chain_time()
    permit = "approve(address,address,uint160,uint48)"
    owner_calls(permit2, permit, token.address, router, 500, now + 3_600)
    sessions.sign(grant, watch=watch)  # no ERC-20 allowance to Permit2: Permit2 cannot pull

    owner_calls(token.address, "approve(address,uint256)", permit2, MAX)
    with pytest.raises(StandingAllowance) as refused:
        sessions.sign(grant, watch=watch)
    error = refused.value
    assert (error.token, error.spender, error.amount, error.via) == (token.address, router, 500, "Permit2")
    assert "a 500-unit Permit2 allowance" in str(error) and " until " in str(error)
    assert error.revoke.endswith(f"'{permit2}:approve(address,address,uint160,uint48):{token.address},{router},0,0'")
    _ok(invoke(*shlex.split(error.revoke)[1:], key=principal.account.key.to_0x_hex()))  # as printed
    assert sessions.standing_allowances(grant, watch) == []  # revoked in Permit2's book

    owner_calls(permit2, permit, token.address, router, 500, now + 60)
    _mine(w3, 120)
    assert sessions.standing_allowances(grant, watch) == []  # expired
    sessions.sign(sessions.prepare(_swap_grant(as_principal, upgraded, agent, agent_key.address, router)),
                  watch=watch)


def test_permit2_as_an_allowed_target_with_an_allowance_over_an_unbudgeted_token(
    as_principal: Charter, upgraded: str, agent: int, agent_key: LocalSigner,  # noqa: F811
    token: Any, router: str, owner_calls: Callable[..., None], permit2: str,  # noqa: F811
) -> None:
    owner_calls(token.address, "approve(address,uint256)", permit2, MAX)
    sessions = as_principal.sessions
    builder = sessions.builder(upgraded, agent, agent_key.address).allow(
        permit2, "transferFrom(address from, address to, uint160 amount, address token)"
    ).valid_for(hours=1)
    with pytest.raises(StandingAllowance) as refused:
        sessions.grant(builder, watch=[token.address])
    assert (refused.value.spender, refused.value.via) == (permit2, "ERC-20")
    sessions.grant(builder.guard(token.address), watch=[token.address])


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def cli_account(
    invoke: Invoke, principal_key: str, token: Any, router: str,  # noqa: F811
) -> tuple[str, int]:
    """An upgraded account (the principal's EOA) with its own agent, that approved the router for MAX."""
    _ok(invoke("account", "upgrade", key=principal_key))
    agent_id = _json(invoke("agent", "register", "--json", key=principal_key))["agent_id"]
    _ok(invoke("account", "exec", "--call", f"{token.address}:approve(address,uint256):{router},{MAX}",
               key=principal_key))
    return Account.from_key(principal_key).address, agent_id


def test_the_cli_refuses_in_one_line_and_its_revoke_command_works(
    invoke: Invoke, principal_key: str, token: Any, router: str, cli_account: tuple[str, int],  # noqa: F811
    tmp_path: Path,
) -> None:
    account, agent_id = cli_account
    spec = ("--agent", str(agent_id), "--key", Account.create().address, "--allow", f"{router}:swap(uint256 amount)",
            "--watch", token.address, "--valid-for", "1h")
    for verb in ("create", "issue"):
        line = _refused(invoke("grant", verb, *spec, key=principal_key))
        assert token.address in line and router in line and f"--guard {token.address}" in line
        assert f"--token-budget {token.address}:CAP" in line and "nothing was signed or sent" in line
    error = _json_error(invoke("grant", "create", *spec, "--json", key=principal_key))
    assert error["type"] == "StandingAllowance" and error["exit_code"] == 1

    command = line.split("`")[1]
    words = shlex.split(command)
    assert words[:3] == ["charter", "account", "exec"] and account in words
    _ok(invoke(*words[1:], key=principal_key))  # the printed command, as printed
    assert token.functions.allowance(account, router).call() == 0
    out = tmp_path / "grant.json"
    assert "signed off-chain" in _ok(invoke("grant", "create", *spec, "--out", str(out), key=principal_key))


def _json_error(result: Any) -> Any:
    import json

    assert result.exit_code == 1, result.stdout + result.stderr
    return json.loads(result.stdout)["error"]


def test_the_cli_ways_out_guard_or_budget(
    invoke: Invoke, principal_key: str, token: Any, router: str, cli_account: tuple[str, int],  # noqa: F811
    tmp_path: Path,
) -> None:
    _, agent_id = cli_account
    spec = ("--agent", str(agent_id), "--key", Account.create().address, "--allow", f"{router}:swap(uint256 amount)",
            "--watch", token.address, "--valid-for", "1h")
    out = tmp_path / "guarded.json"
    text = _ok(invoke("grant", "create", *spec, "--guard", token.address, "--out", str(out), key=principal_key))
    assert f"token {token.address} guarded: may not leave the account" in text
    shown = _ok(invoke("grant", "show", str(out), key=None))
    assert f"token {token.address} guarded: may not leave the account" in shown and "at most 0" not in shown
    assert _json(invoke("grant", "show", str(out), "--json", key=None))["summary"]["token_budgets"][0]["guarded"]
    issued = _ok(invoke("grant", "issue", *spec, "--token-budget", f"{token.address}:100", key=principal_key))
    assert "issued on-chain" in issued
    both = _refused(invoke("grant", "create", *spec, "--guard", token.address, "--token-budget",
                           f"{token.address}:100", key=principal_key))
    assert "both budgeted and guarded" in both
