"""The grant builder and the text specs, without a chain: what the SDK turns an
intent into, and what it refuses before anything is signed."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from charter import (
    GrantBuilder,
    InvalidInput,
    at_least,
    at_most,
    between,
    equals,
    not_equal,
    one_of,
)
from charter._core.abi_types import FunctionSignature
from charter.sessions.builder import (
    apply_allow_spec,
    apply_budget_spec,
    builder_from_specs,
    parse_duration,
)
from charter.sessions.models import Grant, Op

ACCOUNT = "0x" + "11" * 20
KEY = "0x" + "22" * 20
TOKEN = "0x" + "33" * 20
BOB = "0x" + "44" * 20
CAROL = "0x" + "55" * 20


def _builder() -> GrantBuilder:
    return GrantBuilder(ACCOUNT, 1, KEY)


def _conditions(grant: Grant) -> list[tuple[int, int, Op, int]]:
    return [(c.permission, c.index, c.op, c.value) for c in grant.conditions]


def test_transfer_to_recipients_with_a_maximum() -> None:
    grant = (
        _builder().allow_transfer(TOKEN, to=[BOB, CAROL], max_amount=100).valid_for(hours=1).build(now=1_000, epoch=3)
    )
    (permission,) = grant.permissions
    assert permission.selector == keccak(text="transfer(address,uint256)")[:4] and permission.max_value == 0
    assert _conditions(grant) == [
        (0, 0, Op.ONE_OF, int(BOB, 16)), (0, 0, Op.ONE_OF, int(CAROL, 16)), (0, 1, Op.LE, 100),
    ]
    assert (grant.valid_after, grant.valid_until, grant.epoch) == (1_000, 4_600, 3)
    assert len(grant.salt) == 32
    assert grant.salt != _builder().allow_transfer(TOKEN).valid_for(60).build(now=0).salt  # random by default


def test_one_value_is_an_equality_and_rules_combine() -> None:
    grant = _builder().allow(TOKEN, "f(uint256 a, uint128 b)", a=one_of(7), b=between(2, 9)).valid_for(60).build(now=0)
    assert _conditions(grant) == [(0, 0, Op.EQ, 7), (0, 1, Op.GE, 2), (0, 1, Op.LE, 9)]
    both = _builder().allow(TOKEN, "f(uint256 a)", a=at_least(1) & at_most(5)).valid_for(60).build(now=0)
    assert _conditions(both) == [(0, 0, Op.GE, 1), (0, 0, Op.LE, 5)]


def test_dirty_high_bits_cannot_slip_past_not_equal_or_at_least() -> None:
    grant = (
        _builder()
        .allow(TOKEN, "transfer(address to, uint256 amount)", to=not_equal(BOB), amount=at_least(5))
        .valid_for(60)
        .build(now=0)
    )
    assert _conditions(grant) == [(0, 0, Op.NE, int(BOB, 16)), (0, 0, Op.LE, 2**160 - 1), (0, 1, Op.GE, 5)]
    narrow = _builder().allow(TOKEN, "f(uint8 x)", x=at_least(3)).valid_for(60).build(now=0)
    assert _conditions(narrow) == [(0, 0, Op.GE, 3), (0, 0, Op.LE, 255)]
    bounded = _builder().allow(TOKEN, "f(uint8 x)", x=between(3, 9)).valid_for(60).build(now=0)
    assert _conditions(bounded) == [(0, 0, Op.GE, 3), (0, 0, Op.LE, 9)]  # already bounded


def test_word_indexes_follow_the_abi_head() -> None:
    parsed = FunctionSignature.parse("swap((address,uint256) pair, bytes path, uint256[3] amounts, address to)")
    assert parsed.types == ("(address,uint256)", "bytes", "uint256[3]", "address")
    assert parsed.names == ("pair", "path", "amounts", "to")
    assert [parsed.word_index(i) for i in range(4)] == [0, 2, 3, 6]
    grant = (
        _builder()
        .allow(TOKEN, "swap((address,uint256) pair, bytes path, uint256[3] amounts, address to)", to=equals(BOB))
        .valid_for(60)
        .build(now=0)
    )
    assert _conditions(grant) == [(0, 6, Op.EQ, int(BOB, 16))]
    assert FunctionSignature.parse("f(uint x, int y)").canonical == "f(uint256,int256)"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda b: b.allow(TOKEN, "f(bytes data)", data=equals(b"x")), "static elementary"),
        (lambda b: b.allow(TOKEN, "f(int256 x)", x=at_most(5)), "signed"),
        (lambda b: b.allow(TOKEN, "f(uint8 x)", x=equals(256)), "uint8"),
        (lambda b: b.allow(TOKEN, "f(uint256 x)", y=equals(1)), "no parameter named 'y'"),
        (lambda b: b.allow(TOKEN, "execute(address,uint256,bytes)"), "account-execution"),
        (lambda b: b.allow(TOKEN, "f()").allow(TOKEN, "f()"), "already allowed"),
        (lambda b: b.allow(TOKEN, "f(uint256 x)", x=one_of(*range(9))), "at most 8"),
        (lambda b: b.allow(TOKEN, "not a signature"), "not a function signature"),
        (lambda b: b.token_budget(TOKEN, 2**128), r"2\*\*128"),
        (lambda b: b.token_budget(TOKEN, 1).token_budget(TOKEN, 2), "already has a budget"),
        (lambda b: b.max_calls(0), "max_calls"),
        (lambda b: b.valid_for(0), "positive time"),
        (lambda b: b.allow("0xnot-an-address"), "target"),
    ],
)
def test_the_builder_refuses_what_the_manager_would(build, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        build(_builder())


def test_a_grant_needs_a_permission_a_window_and_a_separate_key() -> None:
    with pytest.raises(InvalidInput, match="allows nothing"):
        _builder().valid_for(60).build(now=0)
    with pytest.raises(InvalidInput, match="validity window"):
        _builder().allow_transfer(TOKEN).build(now=0)
    with pytest.raises(InvalidInput, match="the account itself"):
        GrantBuilder(ACCOUNT, 1, ACCOUNT)


def test_grant_json_round_trip_and_description() -> None:
    grant = (
        _builder().allow_transfer(TOKEN, to=BOB).allow_eth(CAROL, max_value=10)
        .token_budget(TOKEN, 100, per=86_400).native_budget(30).max_calls(5).min_interval(60)
        .valid_for(hours=1).build(now=0)
    )
    assert Grant.model_validate_json(grant.model_dump_json()) == grant
    lines = grant.describe()
    assert lines[1] == f"send ETH to {CAROL}, up to 10 wei per call"
    assert "move at most 100 of token" in lines[2] and lines[2].endswith("every 1 day")
    assert lines[3:] == ["send at most 30 wei in total", "at most 5 calls", "at least 1 minute between calls"]


def test_text_specs() -> None:
    builder = _builder()
    apply_allow_spec(builder, f"{TOKEN}:transfer(address to,uint256 amount):to={BOB}|{CAROL},amount<=100,value<=7")
    apply_allow_spec(builder, CAROL)  # plain ETH sends
    apply_allow_spec(builder, f"{BOB}:0xdeadbeef:1>=3")
    apply_budget_spec(builder, f"{TOKEN}:100/1d")
    grant = builder.valid_for(parse_duration("30m")).build(now=0)
    assert [p.max_value for p in grant.permissions] == [7, 0, 0]
    assert grant.permissions[2].selector == bytes.fromhex("deadbeef")
    assert _conditions(grant)[-1] == (2, 1, Op.GE, 3)
    assert grant.token_budgets[0].period == 86_400 and grant.valid_until == 1_800
    assert [parse_duration(t) for t in ("90", "2m", "1h", "7d", "1w")] == [90, 120, 3_600, 604_800, 604_800]
    for bad, message in (("x", "duration"), ("0", "duration")):
        with pytest.raises(InvalidInput, match=message):
            parse_duration(bad)
    with pytest.raises(InvalidInput, match="only works with ="):
        apply_allow_spec(_builder(), f"{TOKEN}:f(uint256 a):a<=1|2")
    with pytest.raises(InvalidInput, match="TOKEN:CAP"):
        apply_budget_spec(_builder(), "100")
    specs = builder_from_specs(ACCOUNT, 1, KEY, [CAROL], "1h", native_budget=5, max_calls=2, min_interval="1m")
    assert specs.build(now=0).min_interval == 60
