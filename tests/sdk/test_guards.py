"""Guards without a chain: a guarded token may not leave the account (a budget with cap 0 and
no period); the builder, the text specs and every description of a grant say so."""

from __future__ import annotations

import pytest
from web3 import Web3

from charter import GrantBuilder, InvalidInput, equals
from charter.sessions.allowances import PERMIT2, Standing, candidate_tokens, refusal, spenders
from charter.sessions.builder import builder_from_specs
from charter.sessions.describe import TokenLookup, grant_summary, unbounded_reasons
from charter.sessions.models import GUARDED, MAX_TOKENS, SignedGrant, TokenBudget

ACCOUNT = Web3.to_checksum_address("0x" + "11" * 20)
KEY = Web3.to_checksum_address("0x" + "22" * 20)
TOKENS = [Web3.to_checksum_address("0x" + f"{i:02x}" * 20) for i in range(0xA0, 0xA6)]
ROUTER = Web3.to_checksum_address("0x" + "4b" * 20)
BOB = Web3.to_checksum_address("0x" + "5c" * 20)


def _builder() -> GrantBuilder:
    return GrantBuilder(ACCOUNT, 1, KEY).allow(ROUTER, "swap(uint256 amount)").valid_for(hours=1)


def test_guard_is_a_budget_of_cap_0_and_no_period() -> None:
    grant = _builder().guard(TOKENS[0]).token_budget(TOKENS[1], 100, per=3_600).build(now=1_000)
    guard, budget = grant.token_budgets
    assert guard == TokenBudget(token=TOKENS[0], cap=0, period=0) and guard.guarded
    assert not budget.guarded and grant.budget_of(TOKENS[0]) == guard
    assert f"token {guard.token} {GUARDED}" in grant.describe()
    assert f"move at most 100 of token {budget.token} every 1 hour" in grant.describe()
    assert not any("at most 0" in line for line in grant.describe())


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda b: b.guard(TOKENS[0]).guard(TOKENS[0]), "is already guarded"),
        (lambda b: b.guard(TOKENS[0]).token_budget(TOKENS[0], 5), "both budgeted and guarded"),
        (lambda b: b.token_budget(TOKENS[0], 5).guard(TOKENS[0]), "both budgeted and guarded"),
        (lambda b: b.token_budget(TOKENS[0], 5).token_budget(TOKENS[0], 6), "already has a budget"),
        (lambda b: b.guard("0x1234"), "token"),
    ],
)
def test_a_token_is_budgeted_or_guarded_once(build, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        build(_builder())


def test_both_ways_are_named_when_a_token_is_budgeted_and_guarded() -> None:
    with pytest.raises(InvalidInput) as refused:
        _builder().token_budget(TOKENS[0], 5).guard(TOKENS[0])
    text = str(refused.value)
    assert "--token-budget" in text and "--guard" in text and "keep one" in text


@pytest.mark.parametrize("guards", range(MAX_TOKENS + 1))
def test_budgets_and_guards_share_the_limit_of_four_tokens(guards: int) -> None:
    builder = _builder()
    for i, token in enumerate(TOKENS[:MAX_TOKENS]):
        builder.guard(token) if i < guards else builder.token_budget(token, 10)
    with pytest.raises(InvalidInput) as refused:
        builder.guard(TOKENS[MAX_TOKENS]) if guards % 2 else builder.token_budget(TOKENS[MAX_TOKENS], 1)
    text = str(refused.value)
    assert f"at most {MAX_TOKENS} tokens" in text and "budgets and guards share" in text
    assert TOKENS[MAX_TOKENS] in text


def test_specs_take_guards() -> None:
    builder = builder_from_specs(
        ACCOUNT, 1, KEY, [f"{ROUTER}:swap(uint256 amount)"], "1h", [f"{TOKENS[0]}:100/1d"],
        guards=[TOKENS[1], f" {TOKENS[2].lower()} "],  # as typed: spaces, lower case
    )
    grant = builder.build(now=0)
    assert [(b.cap, b.period, b.guarded) for b in grant.token_budgets] == [
        (100, 86_400, False), (0, 0, True), (0, 0, True),
    ]
    with pytest.raises(InvalidInput, match="both budgeted and guarded"):
        builder_from_specs(ACCOUNT, 1, KEY, [f"{ROUTER}:swap(uint256)"], "1h", [f"{TOKENS[0]}:1"], guards=[TOKENS[0]])
    with pytest.raises(InvalidInput, match=f"at most {MAX_TOKENS} tokens"):
        builder_from_specs(ACCOUNT, 1, KEY, [f"{ROUTER}:swap(uint256)"], "1h", [f"{t}:1" for t in TOKENS[:3]],
                           guards=TOKENS[3:5])


def test_the_cli_summary_shows_a_guard_not_a_cap_of_zero() -> None:
    grant = (
        GrantBuilder(ACCOUNT, 1, KEY).allow_transfer(TOKENS[0], to=BOB).guard(TOKENS[0]).valid_for(hours=1)
        .build(now=0)
    )
    signed = SignedGrant(grant=grant, chain_id=1, manager=ROUTER)
    data, lines = grant_summary(signed, [None], TokenLookup(None))
    assert f"  - token {grant.token_budgets[0].token} guarded: may not leave the account" in lines
    assert not any("move at most" in line for line in lines)
    assert data["token_budgets"][0]["guarded"] is True
    assert unbounded_reasons(grant) == []  # a transfer of a guarded token is bounded (to nothing)
    assert any(GUARDED in line for line in signed.report())


def test_tokens_and_spenders_the_allowance_check_reads() -> None:
    grant = (
        GrantBuilder(ACCOUNT, 1, KEY)
        .allow(ROUTER, "swap(address token, address to, uint256 amount)", token=equals(TOKENS[2]), to=equals(ACCOUNT))
        .allow_transfer(TOKENS[0], to=BOB)
        .allow(PERMIT2, "approve(address,address,uint160,uint48)")
        .guard(TOKENS[0])
        .valid_for(hours=1)
        .build(now=0)
    )
    checked = candidate_tokens(grant, [TOKENS[3], TOKENS[0]])
    # watched first, then targets, then condition values; never a budgeted or guarded token, nor the account
    assert checked == [TOKENS[3], ROUTER, PERMIT2, TOKENS[2], BOB]
    assert candidate_tokens(grant, TOKENS[4])[0] == TOKENS[4]  # one address, not its characters
    assert spenders(grant) == [ROUTER, TOKENS[0], PERMIT2]
    with pytest.raises(InvalidInput, match="watched token"):
        candidate_tokens(grant, ["0x12"])


def test_the_refusal_names_token_spender_and_both_ways_out() -> None:
    found = [
        Standing(ACCOUNT, TOKENS[0], ROUTER, 2**256 - 1, "ERC-20"),
        Standing(ACCOUNT, TOKENS[1], ROUTER, 5, "Permit2", expiration=2_000_000_000),
    ]
    error = refusal(found)
    text = str(error)
    assert "\n" not in text and error.token == TOKENS[0] and error.spender == ROUTER and error.via == "ERC-20"
    assert f"an unlimited ERC-20 allowance over token {TOKENS[0]} to {ROUTER}" in text
    revoke = f"charter account exec --account {ACCOUNT} --call '{TOKENS[0]}:approve(address,uint256):{ROUTER},0'"
    assert f"`{revoke}`" in text and error.revoke == revoke
    assert f"--token-budget {TOKENS[0]}:CAP" in text and f"--guard {TOKENS[0]}" in text
    assert f"1 more: Permit2 over {TOKENS[1]} to {ROUTER}" in text and "nothing was signed or sent" in text
    assert found[1].revoke == (
        f"charter account exec --account {ACCOUNT} --call "
        f"'{PERMIT2}:approve(address,address,uint160,uint48):{TOKENS[1]},{ROUTER},0,0'"
    )
    assert isinstance(error, InvalidInput) and error.found == tuple(found)
