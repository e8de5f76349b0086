"""Whether a grant is within the one requested (charter.sessions.narrow.narrower), and the console's
edits that build one (charter.console.approve.edited_grant): pure, no chain.

Every field both ways: narrowed, the grant given is accepted (None); widened, it is refused with
the reason."""

from __future__ import annotations

from typing import Any

import pytest

from charter.console.approve import edit_form, edited_grant
from charter.exceptions import InvalidInput
from charter.sessions.describe import TokenInfo, TokenLookup
from charter.sessions.models import Condition, Grant, Op, Permission, TokenBudget
from charter.sessions.narrow import narrower

ACCOUNT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
KEY = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
OTHER_KEY = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
USDC = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DAI = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
WETH = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
BOB = int("15d34AAf54267DB7D7c367839AAf71A00a2C6A65", 16)
CAROL = int("9965507D1a55bcC2695C58ba16FB37d819B0A4dc", 16)
DAVE = int("976EA74026E726554dB657fA54763abd0C3a0aa9", 16)
TRANSFER = bytes.fromhex("a9059cbb")
APPROVE = bytes.fromhex("095ea7b3")
ETH = b"\x00" * 4
START, HOUR, DAY = 1_800_000_000, 3_600, 86_400
M = 10**6


def requested(**changes: Any) -> Grant:
    """Pay USDC to bob (at most 100 a call) or one of carol/dave; send ETH to bob; budgets: USDC 300
    a day, DAI 50 in total, WETH guarded; 10 calls, one a minute, 1 ETH; for a day."""
    fields: dict[str, Any] = dict(
        account=ACCOUNT, agent_id=7, session_key=KEY, valid_after=START, valid_until=START + DAY,
        agent_generation=1, epoch=2, max_calls=10, min_interval=60, native_budget=10**18, salt=b"\x01" * 32,
        permissions=(Permission(target=USDC, selector=TRANSFER),
                     Permission(target=USDC, selector=APPROVE),
                     Permission(target=f"0x{BOB:040x}", selector=ETH, max_value=10**17)),
        conditions=(Condition(permission=0, index=0, op=Op.ONE_OF, value=BOB),
                    Condition(permission=0, index=0, op=Op.ONE_OF, value=CAROL),
                    Condition(permission=0, index=0, op=Op.ONE_OF, value=DAVE),
                    Condition(permission=0, index=1, op=Op.LE, value=100 * M),
                    Condition(permission=1, index=0, op=Op.EQ, value=CAROL)),
        token_budgets=(TokenBudget(token=USDC, cap=300 * M, period=DAY),
                       TokenBudget(token=DAI, cap=50 * 10**18),
                       TokenBudget(token=WETH, cap=0)),
    )
    fields.update(changes)
    return Grant.model_validate(fields)


ASKED = requested()


def conditions(*extra: Condition, drop: tuple[int, ...] = ()) -> tuple[Condition, ...]:
    return tuple(c for i, c in enumerate(ASKED.conditions) if i not in drop) + extra


def budgets(**caps: tuple[int, int] | None) -> tuple[TokenBudget, ...]:
    """The requested budgets with some replaced (token name -> (cap, period)) or removed (None)."""
    names = {"USDC": USDC, "DAI": DAI, "WETH": WETH}
    out = []
    for b in ASKED.token_budgets:
        name = next(n for n, t in names.items() if t == b.token)
        if name not in caps:
            out.append(b)
        elif caps[name] is not None:
            cap, period = caps[name]  # type: ignore[misc]
            out.append(TokenBudget(token=b.token, cap=cap, period=period))
    return tuple(out)


NARROWER: dict[str, dict[str, Any]] = {
    "the same grant": {},
    "starts later (no budget periods to keep)": {"valid_after": START + HOUR,
                                                 "token_budgets": budgets(USDC=(300 * M, 0))},
    "starts later by whole budget periods": {"valid_after": START + DAY, "valid_until": START + DAY},
    "ends earlier": {"valid_until": START + HOUR},
    "fewer calls": {"max_calls": 3},
    "a longer interval between calls": {"min_interval": 600},
    "a lower native budget": {"native_budget": 10**17},
    "no native budget": {"native_budget": 0},
    "a lower cap": {"token_budgets": budgets(USDC=(100 * M, DAY))},
    "a cap per day made a cap in total": {"token_budgets": budgets(USDC=(300 * M, 0))},
    "a cap per day made a cap per week": {"token_budgets": budgets(USDC=(300 * M, 7 * DAY))},
    "a lower total cap": {"token_budgets": budgets(DAI=(10**18, 0))},
    "a new budget": {"token_budgets": ASKED.token_budgets[:2] + (TokenBudget(token=WETH, cap=0),)},
    "a lower value per call": {"permissions": (*ASKED.permissions[:2],
                                               Permission(target=f"0x{BOB:040x}", selector=ETH, max_value=1))},
    "a permission taken out (conditions renumbered)": {
        "permissions": (ASKED.permissions[0], ASKED.permissions[2]), "conditions": conditions(drop=(4,))},
    "a condition added": {"conditions": conditions(Condition(permission=1, index=1, op=Op.LE, value=5))},
    "a bound tightened": {"conditions": conditions(Condition(permission=0, index=1, op=Op.LE, value=M), drop=(3,))},
    "a bound replaced by an exact amount": {
        "conditions": conditions(Condition(permission=0, index=1, op=Op.EQ, value=5 * M), drop=(3,))},
    "fewer alternatives": {"conditions": conditions(drop=(2,))},
    "one alternative made exact": {
        "conditions": conditions(Condition(permission=0, index=0, op=Op.EQ, value=BOB), drop=(0, 1, 2))},
    "an exact recipient kept and a != added": {
        "conditions": conditions(Condition(permission=1, index=0, op=Op.NE, value=BOB))},
}


@pytest.mark.parametrize("case", list(NARROWER))
def test_a_narrower_grant_is_within(case: str) -> None:
    assert narrower(ASKED, requested(**NARROWER[case])) is None


WIDER: dict[str, tuple[dict[str, Any], str]] = {
    "another account": ({"account": "0x" + "ab" * 20}, "changes the account"),
    "another agent": ({"agent_id": 8}, "changes the agent"),
    "another generation": ({"agent_generation": 2}, "changes the agent generation"),
    "another session key": ({"session_key": OTHER_KEY}, "changes the session key"),
    "another epoch": ({"epoch": 3}, "changes the epoch"),
    "another salt": ({"salt": b"\x02" * 32}, "changes the salt"),
    "starts earlier": ({"valid_after": START - 1}, "opens the window earlier"),
    "ends later": ({"valid_until": START + DAY + 1}, "ends the window later"),
    "more calls": ({"max_calls": 11}, "allows more calls (10 -> 11)"),
    "no call limit": ({"max_calls": 0}, "allows more calls (10 -> no limit)"),
    "a shorter interval": ({"min_interval": 59}, "shortens the interval between calls"),
    "a higher native budget": ({"native_budget": 10**18 + 1}, "raises the native budget"),
    "a higher cap": ({"token_budgets": budgets(USDC=(301 * M, DAY))}, f"raises the cap of token {USDC}"),
    "a budget removed": ({"token_budgets": budgets(DAI=None)}, f"removes the budget of token {DAI}"),
    "a guard removed": ({"token_budgets": budgets(WETH=None)}, f"removes the guard of token {WETH}"),
    "a guard given a cap": ({"token_budgets": budgets(WETH=(1, 0))}, f"raises the cap of token {WETH}"),
    "a total cap made periodic": ({"token_budgets": budgets(DAI=(10**18, DAY))}, "into a cap every 86400 s"),
    "a period not a multiple": ({"token_budgets": budgets(USDC=(300 * M, DAY + HOUR))}, "not a multiple"),
    "periods shifted": ({"valid_after": START + HOUR}, "moves the budget periods"),
    "a permission added": ({"permissions": (*ASKED.permissions, Permission(target=DAI, selector=TRANSFER))},
                           f"adds a permission: calling 0xa9059cbb on {DAI}"),
    "a higher value per call": ({"permissions": (*ASKED.permissions[:2],
                                                 Permission(target=f"0x{BOB:040x}", selector=ETH, max_value=10**18))},
                                "raises the value per call of sending ETH"),
    "a condition dropped": ({"conditions": conditions(drop=(4,))}, "drops or loosens the condition argument 0 =="),
    "a bound loosened": ({"conditions": conditions(Condition(permission=0, index=1, op=Op.LE, value=101 * M),
                                                   drop=(3,))}, "drops or loosens the condition argument 1 <="),
    "an alternative added": ({"conditions": conditions(Condition(permission=0, index=0, op=Op.ONE_OF, value=1))},
                             "widens or drops the alternatives of argument 0"),
    "the alternatives dropped": ({"conditions": conditions(drop=(0, 1, 2))},
                                 "widens or drops the alternatives of argument 0"),
    "a condition moved to another permission": (
        {"conditions": conditions(Condition(permission=0, index=0, op=Op.EQ, value=CAROL), drop=(4,))},
        "drops or loosens the condition argument 0 == "),
    "permissions reordered, losing the alternatives": (
        {"permissions": (ASKED.permissions[1], ASKED.permissions[2], ASKED.permissions[0]),
         "conditions": tuple(c.model_copy(update={"permission": {0: 2, 1: 0}[c.permission]})
                             for c in ASKED.conditions[3:4] + ASKED.conditions[4:])},
        "widens or drops the alternatives of argument 0"),
}


@pytest.mark.parametrize("case", list(WIDER))
def test_a_wider_grant_is_refused_with_its_reason(case: str) -> None:
    changes, says = WIDER[case]
    reason = narrower(ASKED, requested(**changes))
    assert reason is not None and says in reason, reason


def test_only_the_first_permission_for_a_call_counts() -> None:
    """The manager applies the first permission for a (target, selector): a later, wider one is dead,
    until the first is taken out."""
    wider_duplicate = Permission(target=USDC, selector=TRANSFER, max_value=10**18)
    assert narrower(ASKED, requested(permissions=(*ASKED.permissions, wider_duplicate))) is None
    asked = requested(permissions=(*ASKED.permissions, wider_duplicate))
    first_out = requested(permissions=(*ASKED.permissions[1:], wider_duplicate),
                          conditions=(Condition(permission=0, index=0, op=Op.EQ, value=CAROL),))
    reason = narrower(asked, first_out)
    assert reason is not None and "raises the value per call of calling 0xa9059cbb" in reason


# ---------------------------------------------------------------- the console's edits

TOKENS = TokenLookup(None, known={USDC: TokenInfo(6, "USDC"), DAI: TokenInfo(18, "DAI"), WETH: TokenInfo(18, "WETH")})


def test_the_edit_form_offers_what_can_be_lowered() -> None:
    form = edit_form(ASKED, ["transfer(address to,uint256 amount)", None, None], TOKENS)
    assert [p["max_value"] for p in form["permissions"]] == ["0", "0", "0.1"]
    assert [(b["symbol"], b["cap"], b["period"]) for b in form["budgets"]] == [("USDC", "300", DAY), ("DAI", "50", 0)]
    assert form["native_budget"] == "1" and form["max_calls"] == 10
    assert form["valid_until"] == "2027-01-16T08:00:00"


def test_edits_build_the_narrower_grant() -> None:
    edits = {"caps": {USDC.lower(): "120.5"}, "native_budget": "0.25", "max_calls": "4",
             "valid_until": "2027-01-15T10:00:00", "max_values": {"2": "0.01"}, "remove": [1]}
    edited, changes = edited_grant(ASKED, edits, TOKENS)
    assert narrower(ASKED, edited) is None
    assert edited.budget_of(USDC).cap == 120_500_000 and edited.budget_of(USDC).period == DAY  # type: ignore[union-attr]
    assert edited.native_budget == 25 * 10**16 and edited.max_calls == 4
    assert edited.valid_until == START + 2 * HOUR  # START is 2027-01-15T08:00:00 UTC
    assert [p.selector for p in edited.permissions] == [TRANSFER, ETH] and edited.permissions[1].max_value == 10**16
    assert all(c.permission == 0 for c in edited.conditions) and len(edited.conditions) == 4
    assert "at most 120.5 USDC instead of 300 USDC" in changes and "permission 2 taken out" in changes
    assert edited_grant(ASKED, {}, TOKENS) == (ASKED, [])


def test_an_empty_call_field_keeps_a_grant_without_a_call_limit_unlimited() -> None:
    """The form shows "no limit" as the empty field's placeholder: left empty (or 0), a grant asked
    without a call limit stays without one; a number sets one."""
    unlimited = ASKED.model_copy(update={"max_calls": 0})
    assert edit_form(unlimited, [None, None, None], TOKENS)["max_calls"] == ""
    for empty in ("", " ", "0"):
        assert edited_grant(unlimited, {"max_calls": empty}, TOKENS) == (unlimited, [])
    limited, changes = edited_grant(unlimited, {"max_calls": "5"}, TOKENS)
    assert limited.max_calls == 5 and changes == ["at most 5 calls instead of no limit"]
    assert narrower(unlimited, limited) is None


@pytest.mark.parametrize("edits, says", [
    ({"caps": {USDC: "300.000001"}}, "may be lowered, not raised"),
    ({"caps": {WETH: "1"}}, "the cap of WETH may be lowered, not raised above 0 WETH"),
    ({"caps": {"0x" + "12" * 20: "1"}}, "not a token the grant budgets"),
    ({"native_budget": "1.5"}, "may be lowered, not raised"),
    ({"max_values": {"2": "1"}}, "may be lowered, not raised"),
    ({"max_values": {"9": "0"}}, "no permission"),
    ({"max_calls": "11"}, "would be more"),
    ({"max_calls": "0"}, "at least 1"),
    ({"max_calls": ""}, "at least 1"),  # an empty field is "no limit": more than the 10 asked for
    ({"valid_until": "2027-01-16T08:00:01"}, "earlier, not later"),
    ({"valid_until": "2020-01-01T00:00:00"}, "before it starts"),
    ({"valid_until": "tomorrow"}, "UTC date and time"),
    ({"remove": [0, 1, 2]}, "at least one permission"),
    ({"remove": [5]}, "no permission 5"),
    ({"caps": {USDC: "1e9"}}, "an amount like 2.5"),
    ({"session_key": OTHER_KEY}, "edits is an object with any of"),
])
def test_edits_that_would_widen_are_refused(edits: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidInput, match=says.replace("(", r"\(").replace(".", r"\.")):
        edited_grant(ASKED, edits, TOKENS)
