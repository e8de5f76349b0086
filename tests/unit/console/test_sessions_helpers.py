"""What the console's index takes from the sessions layer, pure: grants decoded from an owner's
batch, a state built from the views' raw answers, why a grant would be refused anyway."""

from __future__ import annotations

from charter.accounts.calldata import execute_batch_calldata, execute_calldata
from charter.accounts.models import Call
from charter.sessions.builder import GrantBuilder
from charter.sessions.calldata import calldata, decode_grant, decode_grants
from charter.sessions.models import Grant, GrantStatus
from charter.sessions.view import grant_problem, grant_state

ACCOUNT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
KEY = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
MANAGER = "0x18AF414D29Bf0388Efc73C539bB0b02194b5dB25"


def grant(salt: int, hours: int = 1) -> Grant:
    return (GrantBuilder(ACCOUNT, 1, KEY).allow_transfer(TOKEN).token_budget(TOKEN, 100).salt(salt)
            .valid_for(hours=hours).build(now=1_800_000_000))


def test_grants_issued_in_one_batch_all_decode() -> None:
    one, two = grant(1), grant(2)
    batch = execute_batch_calldata([Call(target=MANAGER, data=calldata("issue", g.as_tuple(), b"")) for g in (one, two)]
                                   + [Call(target=TOKEN, data=b"\x01\x02")])
    assert decode_grants(batch) == [one, two]
    assert decode_grant(batch) == one
    single = execute_calldata(MANAGER, calldata("issue", one.as_tuple(), b""))
    assert decode_grants(single) == [one] and decode_grants(b"\x00" * 40) == []


def test_a_state_from_raw_answers() -> None:
    g = grant(3)
    state = grant_state(g, b"\x11" * 32, (1, 2, 2**32 - 1, 0, 0, 1_800_000_100, g.valid_after, g.valid_until, 4),
                        [60], 7, problem="x")
    assert (state.status, state.calls_used, state.calls_left, state.last_call, state.nonce, state.block) == (
        GrantStatus.ACTIVE, 2, None, 1_800_000_100, 4, 7)
    assert [(t.token, t.cap, t.left) for t in state.tokens] == [(TOKEN, 100, 60)]
    assert state.problem == "x" and not state.usable


def test_why_a_grant_would_be_refused_anyway() -> None:
    g = grant(4, hours=2)
    assert grant_problem(g, 0, 7_200, True) is None
    assert "epoch" in (grant_problem(g.model_copy(update={"epoch": 2}), 1, 7_200, True) or "")
    assert "maximum session length (3,600 s)" in (grant_problem(g, 0, 3_600, True) or "")
    assert "no code" in (grant_problem(g, 0, 7_200, False) or "")
