"""Completeness of this package: every revert reason the contracts can
give is asserted by some test here (exact `boa.reverts` / `refused`
strings), so a new reason without a test fails this check."""

import re
from pathlib import Path

import boa

from .helpers import CONTRACTS, poke

HERE = Path(__file__).parent
SOURCES = [
    CONTRACTS / "SessionManager.vy",
    CONTRACTS / "SessionView.vy",
    CONTRACTS / "AgentAccount.vy",
    *sorted((CONTRACTS / "modules").glob("*.vy")),
]

# Reasons built at run time (`_refuse_call`, `_refuse_argument`,
# `_over_token_budget`): each form must be asserted with a concrete index.
DYNAMIC = {
    "sessions: call ": [
        r"sessions: call \d+ not allowed",
        r"sessions: call \d+ value too high",
        r"sessions: call \d+ bad calldata",
        r"sessions: call \d+ argument \d+",
    ],
    "sessions: over token budget ": [r"sessions: over token budget \d+"],
}

# No transaction can reach these; see the tests below for why.
UNREACHABLE = {"sessions: zero account"}


def _reasons() -> set[str]:
    found = set()
    for source in SOURCES:
        found |= set(re.findall(r'"((?:sessions|account): [^"]*)"', source.read_text()))
    return found


def _asserted() -> str:
    return "\n".join(
        p.read_text() for p in HERE.glob("test_*.py") if p.name != Path(__file__).name
    )


def test_every_reason_is_asserted():
    corpus = _asserted()
    reasons = _reasons()
    assert len(reasons) >= 40  # the regex still finds the contracts' reasons
    missing = []
    for reason in sorted(reasons - UNREACHABLE):
        if reason in DYNAMIC:
            missing += [
                form for form in DYNAMIC[reason] if not re.search(rf'"{form}"', corpus)
            ]
        elif f'"{reason}"' not in corpus:
            missing.append(reason)
    assert missing == []


def test_zero_account_is_unreachable(manager, make_grant, execute, target):
    """`_validate` refuses a zero account, but a grant naming it never gets
    there: first use needs the account's signature (never valid for the
    zero address) and `issue` needs msg.sender == account."""
    grant = make_grant(account="0x0000000000000000000000000000000000000000")
    with boa.reverts("sessions: bad grant signature"):
        execute(grant, target.address, 0, poke(), sig=b"\x00" * 65)
    with boa.reverts("sessions: not the account"):
        manager.issue(grant.abi(), b"")
