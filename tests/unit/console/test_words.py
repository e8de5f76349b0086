"""The console's words and value at risk (charter.console.words): pure, no chain."""

from __future__ import annotations

from typing import Any

import pytest

from charter.console.words import (
    NATIVE,
    Names,
    Risk,
    add_up,
    ago,
    budget_rows,
    combine,
    describe,
    request_warnings,
    span,
    value_at_risk,
    warnings,
    window_words,
)
from charter.sessions.allowances import Standing
from charter.sessions.builder import GrantBuilder, at_least, at_most, equals, not_equal, one_of
from charter.sessions.describe import TokenInfo
from charter.sessions.models import Grant, GrantState, GrantStatus, TokenAllowance

ACCOUNT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
KEY = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
USDC = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DAI = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
WETH = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
ODD = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"
"""A token without decimals or symbol."""
BOB = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
CAROL = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
ROUTER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
NOW = 1_800_000_000
M = 10**6

TOKENS = {USDC: TokenInfo(6, "USDC"), DAI: TokenInfo(18, "DAI"), WETH: TokenInfo(18, "WETH")}


def tokens(address: str) -> TokenInfo:
    return TOKENS.get(address, TokenInfo())


NAMES = Names(book={BOB: "Bob"}, contracts={ROUTER: "Router"}, tokens=tokens)


def builder() -> GrantBuilder:
    return GrantBuilder(ACCOUNT, 3, KEY)


def build(b: GrantBuilder, hours: int = 1) -> Grant:
    if b.window_length is None:
        b.valid_for(hours=hours)
    return b.build(now=NOW)


def state(g: Grant, status: GrantStatus = GrantStatus.ACTIVE, *, calls_used: int = 0, native_spent: int = 0,
          left: dict[str, int] | None = None, problem: str | None = None, last_call: int | None = None) -> GrantState:
    left = left or {}
    return GrantState(
        grant_hash="00", account=g.account, agent_id=g.agent_id, session_key=g.session_key, status=status,
        calls_used=calls_used, calls_left=None if not g.max_calls else g.max_calls - calls_used,
        native_spent=native_spent, native_left=max(0, g.native_budget - native_spent), last_call=last_call,
        valid_after=g.valid_after, valid_until=g.valid_until, nonce=0,
        tokens=tuple(TokenAllowance(token=b.token, cap=b.cap, period=b.period, left=left.get(b.token, b.cap))
                     for b in g.token_budgets),
        block=1, problem=problem)


def amounts(risks: list[Risk]) -> dict[str, int]:
    return {r.token: r.amount for r in risks}


# ---------------------------------------------------------------- names and time


def test_names_book_then_contracts_then_token_symbols() -> None:
    assert NAMES(BOB) == "Bob (0x90F7…b906)"
    assert NAMES(ROUTER) == "Router (0x9965…A4dc)"
    assert NAMES(USDC) == "USDC (0x5FbD…0aa3)"
    assert NAMES(CAROL) == CAROL and NAMES.label(CAROL) is None
    assert Names(book={BOB.lower(): "bob"}).label(BOB) == "bob"


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (40, "40 s"), (300, "5 min"), (3_600, "1 h"), (11_520, "3 h 12 min"), (86_400, "1 d"),
    (187_200, "2 d 4 h"),
])
def test_span(seconds: int, text: str) -> None:
    assert span(seconds) == text


def test_window_words() -> None:
    until = 1_796_652_000  # 2026-12-07 14:00 UTC
    assert window_words(until - 86_400, until, until - 11_520) == "until 2026-12-07 14:00 UTC, 3 h 12 min left"
    assert window_words(until - 86_400, until, until + 300) == "expired 5 min ago (2026-12-07 14:00 UTC)"
    assert window_words(until - 3_600, until, until - 10_800) == (
        "starts 2026-12-07 13:00 UTC (in 2 h), until 2026-12-07 14:00 UTC")
    assert ago(None, NOW) == "never" and ago(NOW - 2, NOW) == "just now" and ago(NOW - 300, NOW) == "5 min ago"


# ---------------------------------------------------------------- the grant in words


def test_every_permission_and_condition_in_words() -> None:
    g = build(
        builder()
        .allow_transfer(USDC, to=[BOB, CAROL], max_amount=50 * M)
        .allow(DAI, "approve(address spender,uint256 amount)", spender=not_equal(BOB))
        .allow(WETH, "transferFrom(address from,address to,uint256 amount)", amount=at_least(5))
        .allow(ROUTER, "0x12345678", where={1: equals(ROUTER)})
        .allow_eth(BOB, max_value=10**17)
    )
    lines = describe(g, tokens=tokens, names=NAMES).permissions
    assert lines == [
        "call transfer(address to, uint256 amount) on USDC (0x5FbD…0aa3) where to one of {Bob (0x90F7…b906), "
        f"{CAROL}}} and amount <= 50 USDC (50,000,000 raw)",
        "call approve(address spender, uint256 amount) on DAI (0xe7f1…0512) where spender != Bob (0x90F7…b906) "
        "and spender <= 0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF",  # the builder keeps != within the address range
        "call transferFrom(address from, address to, uint256 amount) on WETH (0x9fE4…a6e0) where amount >= "
        "0.000000000000000005 WETH (5 raw)",
        "call 0x12345678 on Router (0x9965…A4dc) where argument word 1 == Router (0x9965…A4dc)",
        "send ETH to Bob (0x90F7…b906), up to 0.1 ETH (100,000,000,000,000,000 raw) per call",
    ]


def test_typed_signatures_name_parameters() -> None:
    g = build(builder().allow(ROUTER, "swap(uint256 amountIn, uint256 minOut)", amountIn=at_most(10)))
    words = describe(g, tokens=tokens, names=NAMES, signatures=["swap(uint256 amountIn, uint256 minOut)"])
    assert words.permissions == ["call swap(uint256 amountIn, uint256 minOut) on Router (0x9965…A4dc) where "
                                 "amountIn <= 10"]
    # without the signature the selector stands in
    assert describe(g).permissions[0].startswith(f"call 0x{g.permissions[0].selector.hex()} on {ROUTER}")


def test_every_budget_kind_and_limit_in_words() -> None:
    g = build(
        builder().allow_transfer(USDC).allow_transfer(ODD).allow_eth(BOB, max_value=1)
        .token_budget(USDC, 100 * M, per=86_400).token_budget(ODD, 5_000).guard(WETH)
        .native_budget(5 * 10**17).max_calls(10).min_interval(90)
    )
    words = describe(g, tokens=tokens, names=NAMES)
    assert words.budgets == [
        "move at most 100 USDC (100,000,000 raw) of token USDC (0x5FbD…0aa3) every 1 day",
        f"move at most 5,000 raw units (decimals unknown) of token {ODD} in total",
        "token WETH (0x9fE4…a6e0) guarded: may not leave the account",
        "send at most 0.5 ETH (500,000,000,000,000,000 raw) in total",
    ]
    assert words.limits == ["at most 10 calls", "at least 90 s between calls"]
    assert words.unbounded == []
    assert words.window.startswith("valid ")


def test_budget_rows_say_cap_spent_left_and_period() -> None:
    g = build(builder().allow_transfer(USDC).allow_eth(BOB, max_value=10**17).token_budget(USDC, 100 * M, per=3_600)
              .guard(WETH).native_budget(5 * 10**17).max_calls(4))
    rows = budget_rows(g, state(g, calls_used=1, native_spent=10**17, left={USDC: 70 * M}), tokens=tokens, names=NAMES)
    assert [(r.kind, r.cap, r.spent, r.left, r.period, r.guarded) for r in rows] == [
        ("token", 100 * M, 30 * M, 70 * M, 3_600, False),
        ("token", 0, 0, 0, 0, True),
        ("native", 5 * 10**17, 10**17, 4 * 10**17, 0, False),
        ("calls", 4, 1, 3, 0, False),
    ]
    assert str(rows[0]) == "USDC (0x5FbD…0aa3): 30 USDC spent of 100 USDC every 1 hour, 70 USDC left"
    assert str(rows[1]) == "WETH (0x9fE4…a6e0): guarded, may not leave"
    assert str(rows[2]) == "ETH: 0.1 ETH spent of 0.5 ETH in total, 0.4 ETH left"
    assert str(rows[3]) == "calls: 1 made of 4, 3 left"
    # never used: every cap whole
    assert [(r.spent, r.left) for r in budget_rows(g, None)][:1] == [(0, 100 * M)]


# ---------------------------------------------------------------- warnings


def test_warnings() -> None:
    g = build(builder().allow(DAI, "approve(address,uint256)").allow_transfer(USDC).token_budget(USDC, 5 * M)
              .allow_eth(BOB, max_value=10**16).native_budget(10**17), hours=24 * 8)
    standing = Standing(account=ACCOUNT, token=WETH, spender=DAI, amount=2**256 - 1, via="ERC-20")
    found = warnings(g, standing=[standing], names=NAMES, tokens=tokens)
    kinds = [w.kind for w in found]
    assert kinds.count("unbounded") == 1 and kinds.count("long window") == 1
    assert kinds.count("standing allowance") == 1 and kinds.count("moves value") == 3
    text = [str(w) for w in found]
    assert text[0] == ("unbounded: approve on DAI (0xe7f1…0512) with no token budget for it and no call limit: the "
                       "agent could move the whole balance")
    assert "valid for 8 d (more than 7 d)" in text[1]
    assert "an unlimited ERC-20 allowance over token WETH (0x9fE4…a6e0) to DAI (0xe7f1…0512)" in text[2]
    assert f"charter account exec --account {ACCOUNT}" in text[2]
    assert any("approve on DAI (0xe7f1…0512) lets a spender pull tokens later" in t and "(no budget)" in t
               for t in text)
    assert any("transfer on USDC (0x5FbD…0aa3) moves tokens out of the account (budget 5 USDC in total)" in t
               for t in text)
    assert any("may send up to 0.01 ETH per call to Bob (0x90F7…b906) (native budget: 0.1 ETH in total)" in t
               for t in text)
    # a bounded, short grant that moves nothing has nothing to say
    quiet = build(builder().allow(ROUTER, "ping()"))
    assert warnings(quiet) == []
    # a call limit makes a token function bounded (no "unbounded"), but it still moves value
    limited = build(builder().allow(DAI, "approve(address,uint256)").max_calls(2))
    assert [w.kind for w in warnings(limited)] == ["moves value"]


def test_request_warnings_without_a_chain() -> None:
    g = build(builder().allow(DAI, "approve(address,uint256)"))
    lines = request_warnings(g, None, book={DAI: "Dai"})
    assert lines[0].startswith("unbounded: approve on Dai (0xe7f1…0512)")


# ---------------------------------------------------------------- value at risk


HELD = {USDC: 500 * M, DAI: 7 * 10**18, WETH: 3 * 10**18, NATIVE: 2 * 10**18}


def test_a_budget_is_at_risk_up_to_what_is_left_or_what_is_held() -> None:
    g = build(builder().allow_transfer(USDC).token_budget(USDC, 100 * M, per=86_400))
    (risk,) = value_at_risk(g, state(g, left={USDC: 70 * M}), HELD, tokens=tokens, chain_id=5)
    assert (risk.chain_id, risk.token, risk.amount, risk.held, risk.unbounded) == (5, USDC, 70 * M, 500 * M, False)
    assert str(risk) == "70 USDC (what is left of its budget, refilled every 1 day)"
    (poor,) = value_at_risk(g, state(g, left={USDC: 70 * M}), {USDC: 20 * M}, tokens=tokens)
    assert poor.amount == 20 * M and poor.reason == "all the account holds, less than the budget left"
    # never used: the whole cap
    assert amounts(value_at_risk(g, None, HELD)) == {USDC: 100 * M}
    # a token not held counts as nothing
    assert value_at_risk(g, None, {}) == []


def test_a_token_function_without_a_budget_risks_the_whole_balance() -> None:
    for function in ("transfer(address,uint256)", "approve(address,uint256)", "increaseAllowance(address,uint256)",
                     "transferFrom(address,address,uint256)"):
        g = build(builder().allow(DAI, function))
        (risk,) = value_at_risk(g, state(g), HELD)
        assert (risk.token, risk.amount, risk.unbounded) == (DAI, 7 * 10**18, True), function


def test_a_call_limit_and_an_amount_condition_bound_a_token_without_budget() -> None:
    g = build(builder().allow_transfer(DAI, max_amount=10**18).max_calls(5))
    assert amounts(value_at_risk(g, state(g, calls_used=2), HELD)) == {DAI: 3 * 10**18}
    assert value_at_risk(g, state(g, calls_used=2), HELD)[0].reason.startswith("3 calls left at most")
    one = build(builder().allow(DAI, "transfer(address to,uint256 amount)", amount=one_of(10**18, 4 * 10**18))
                .max_calls(5))
    assert amounts(value_at_risk(one, state(one), HELD)) == {DAI: 7 * 10**18}  # capped by what is held
    # a call limit without an amount condition bounds nothing
    loose = build(builder().allow(DAI, "transfer(address,uint256)").max_calls(1))
    (risk,) = value_at_risk(loose, state(loose), HELD)
    assert (risk.amount, risk.unbounded) == (7 * 10**18, False)


def test_a_guarded_token_risks_nothing() -> None:
    g = build(builder().allow(WETH, "transfer(address,uint256)").guard(WETH))
    assert value_at_risk(g, state(g), HELD) == []


def test_native_is_the_least_of_budget_calls_and_balance() -> None:
    g = build(builder().allow_eth(BOB, max_value=10**17).native_budget(5 * 10**17).max_calls(3))
    assert amounts(value_at_risk(g, state(g), HELD)) == {NATIVE: 3 * 10**17}  # 3 calls x 0.1
    assert amounts(value_at_risk(g, state(g, calls_used=1, native_spent=4 * 10**17), HELD)) == {NATIVE: 10**17}
    assert amounts(value_at_risk(g, state(g), {NATIVE: 5 * 10**16})) == {NATIVE: 5 * 10**16}
    unlimited = build(builder().allow_eth(BOB, max_value=10**17).native_budget(5 * 10**17))
    assert amounts(value_at_risk(unlimited, state(unlimited), HELD)) == {NATIVE: 5 * 10**17}
    # no value per call, or no native budget: nothing can leave as value
    assert value_at_risk(build(builder().allow_eth(BOB, max_value=0).native_budget(10**18)), None, HELD) == []
    assert value_at_risk(build(builder().allow_eth(BOB, max_value=10**17)), None, HELD) == []


@pytest.mark.parametrize("status", [GrantStatus.REVOKED, GrantStatus.REVOKED_ALL, GrantStatus.EXPIRED,
                                    GrantStatus.EXHAUSTED, GrantStatus.AGENT_TRANSFERRED, GrantStatus.AGENT_INACTIVE])
def test_grants_that_cannot_act_risk_nothing(status: GrantStatus) -> None:
    g = build(builder().allow(DAI, "approve(address,uint256)").allow_eth(BOB, max_value=1).native_budget(10))
    assert value_at_risk(g, state(g, status), HELD) == []


def test_used_up_calls_and_a_refused_grant_risk_nothing() -> None:
    g = build(builder().allow(DAI, "approve(address,uint256)").max_calls(2))
    assert value_at_risk(g, state(g, calls_used=2), HELD) == []
    assert value_at_risk(g, state(g, problem="the account has no code"), HELD) == []
    assert amounts(value_at_risk(g, state(g, GrantStatus.NOT_YET_VALID), HELD)) == {DAI: 7 * 10**18}
    assert amounts(value_at_risk(g, state(g, GrantStatus.PENDING), HELD)) == {DAI: 7 * 10**18}


def test_a_standing_allowance_puts_an_unbudgeted_token_at_risk() -> None:
    g = build(builder().allow(ROUTER, "swap(uint256)").guard(WETH))
    standing = [Standing(account=ACCOUNT, token=DAI, spender=ROUTER, amount=2 * 10**18, via="ERC-20"),
                Standing(account=ACCOUNT, token=WETH, spender=ROUTER, amount=2**256 - 1, via="ERC-20"),
                Standing(account=ACCOUNT, token=USDC, spender=ROUTER, amount=2**256 - 1, via="Permit2")]
    risks = value_at_risk(g, state(g), HELD, standing=standing)
    assert amounts(risks) == {DAI: 2 * 10**18, USDC: 500 * M}  # the guarded WETH cannot leave
    assert [r.unbounded for r in risks] == [False, True]


def test_totals_never_exceed_what_the_account_holds() -> None:
    one = build(builder().allow_transfer(USDC).token_budget(USDC, 300 * M))
    two = build(builder().allow(USDC, "approve(address,uint256)").max_calls(1).allow_transfer(DAI)
                .token_budget(DAI, 10**18))
    risks = value_at_risk(one, None, HELD, chain_id=1) + value_at_risk(two, None, HELD, chain_id=1)
    totals = {r.token: r for r in add_up(risks)}
    assert totals[USDC].amount == 500 * M and totals[USDC].reason == "the account's whole balance"
    assert totals[DAI].amount == 10**18 and totals[DAI].reason == "the sum of its grants"
    # the same grants on another chain are another balance
    other = value_at_risk(one, None, {USDC: 10 * M}, chain_id=2)
    assert {(r.chain_id, r.amount) for r in add_up(risks + other) if r.token == USDC} == {(1, 500 * M), (2, 10 * M)}
    # balances given explicitly win over each risk's own
    assert {r.token: r.amount for r in add_up(risks, {(1, USDC): 250 * M, (1, DAI): 10**20})} == {
        USDC: 250 * M, DAI: 10**18}
    # across accounts (each capped by its own balance) the sums add up
    a = add_up(value_at_risk(one, None, {USDC: 100 * M}, chain_id=1, tokens=tokens))
    b = add_up(value_at_risk(one, None, {USDC: 50 * M}, chain_id=1, tokens=tokens))
    (both,) = combine(a + b)
    assert (both.amount, both.held, both.text) == (150 * M, 150 * M, "150 USDC")


def _risk(**kw: Any) -> Risk:
    base: dict[str, Any] = {"token": USDC, "amount": 1, "held": 1, "reason": "x", "text": "1"}
    return Risk(**(base | kw))


def test_a_risk_reads_as_text_and_knows_native() -> None:
    assert _risk(token=NATIVE).native and not _risk().native
    assert str(_risk()) == "1 (x)"


def test_agent_ids_read_short_when_they_are_represented_ones() -> None:
    from charter.console.words import agent_words

    assert agent_words(7) == "agent 7"
    assert agent_words(2**64 - 1) == f"agent {2**64 - 1}"
    long_id = 0xB5B3_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_6F12
    assert agent_words(long_id) == "agent 0xb5b3…6f12"
