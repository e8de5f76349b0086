"""The pre-grant check: no allowed target may hold a standing allowance over a token the grant leaves unbounded.

A session's token caps bound what leaves the account during its executions,
but only for the tokens the grant budgets or guards. An allowed target that
already holds an allowance from the account (an ERC-20 ``approve`` made by
the owner for its own use, or a Permit2 allowance) could pull any other token
during a session call. So before a grant is signed or issued,
:func:`standing_allowances` looks for such allowances and
``Sessions.check_allowances`` refuses the grant (:func:`refusal`) with
:class:`~charter.exceptions.StandingAllowance`, naming the token, the
spender and both ways out: revoke the allowance (the exact ``charter``
command), or budget or guard the token.

Tokens checked: the tokens a caller names (``watch``), the grant's
permission targets and the addresses in its conditions (those that answer
ERC-20 ``allowance``; an address without code or a call that reverts is no
token), except the tokens the grant budgets or guards. Spenders checked:
every permission target. Allowances: ERC-20 ``allowance(account, spender)``,
and, when Permit2 has code on the chain, Permit2's ``allowance(account,
token, spender)`` (amount > 0, not expired) over a token the account has
approved to Permit2. Reads only; a node that does not answer is an error,
never a pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eth_abi import encode as abi_encode
from eth_utils import keccak
from web3 import Web3
from web3.exceptions import ContractLogicError

from .._core.checks import check_address
from .._core.revert import format_time, translate
from ..exceptions import StandingAllowance
from .models import Grant

PERMIT2 = Web3.to_checksum_address("0x000000000022D473030F116dDEE9F6B43aC78BA3")
"""Permit2's canonical address (the same on every chain where it is deployed)."""

_ERC20_ALLOWANCE = keccak(text="allowance(address,address)")[:4]
_PERMIT2_ALLOWANCE = keccak(text="allowance(address,address,address)")[:4]
_UNLIMITED = {2**256 - 1, 2**160 - 1}


@dataclass(frozen=True)
class Standing:
    """One standing allowance from `account` to `spender` over `token`."""

    account: str
    token: str
    spender: str
    amount: int
    via: str
    """``"ERC-20"`` (the token's own allowance) or ``"Permit2"``."""
    expiration: int | None = None
    """When a Permit2 allowance expires (unix time); None for ERC-20."""

    @property
    def revoke(self) -> str:
        """The ``charter`` command that clears this allowance (sent by the account's owner)."""
        if self.via == "Permit2":
            call = f"{PERMIT2}:approve(address,address,uint160,uint48):{self.token},{self.spender},0,0"
        else:
            call = f"{self.token}:approve(address,uint256):{self.spender},0"
        return f"charter account exec --account {self.account} --call '{call}'"

    @property
    def amount_text(self) -> str:
        return "an unlimited" if self.amount in _UNLIMITED else f"a {self.amount:,}-unit"

    def describe(self) -> str:
        until = f" until {format_time(self.expiration)}" if self.expiration is not None else ""
        return (
            f"{self.amount_text} {self.via} allowance over token {self.token} to {self.spender}{until}"
        )


def candidate_tokens(grant: Grant, watch: Iterable[str] = ()) -> list[str]:
    """The addresses to check as tokens: `watch`, the permission targets and the address-like
    condition values, without the tokens the grant budgets or guards (in that order, once each)."""
    bounded = {b.token for b in grant.token_budgets}
    seen: dict[str, None] = {}
    for token in [watch] if isinstance(watch, str) else watch:
        seen.setdefault(check_address(token, "watched token"), None)
    for p in grant.permissions:
        seen.setdefault(p.target, None)
    for c in grant.conditions:
        if 2**100 <= c.value < 2**160:  # looks like an address (an amount this large would be odd)
            seen.setdefault(Web3.to_checksum_address(f"0x{c.value:040x}"), None)
    return [t for t in seen if t not in bounded and t != grant.account]


def spenders(grant: Grant) -> list[str]:
    """Who could pull through an allowance during a session: every permission target."""
    return list(dict.fromkeys(p.target for p in grant.permissions))


def _call_words(w3: Web3, to: str, data: bytes, words: int) -> tuple[int, ...] | None:
    """The first `words` 32-byte words `to` returns for `data`; None when the call
    reverts or returns too little (no code, not that function): "not a token".
    Other failures (the node) propagate."""
    try:
        out = bytes(w3.eth.call({"to": Web3.to_checksum_address(to), "data": data}))
    except ContractLogicError:
        return None
    if len(out) < 32 * words:
        return None
    return tuple(int.from_bytes(out[32 * i : 32 * (i + 1)], "big") for i in range(words))


def _erc20_allowance(w3: Web3, token: str, owner: str, spender: str) -> int | None:
    words = _call_words(w3, token, _ERC20_ALLOWANCE + abi_encode(["address", "address"], [owner, spender]), 1)
    return None if words is None else words[0]


def standing_allowances(w3: Web3, grant: Grant, watch: Iterable[str] = (), *, now: int) -> list[Standing]:
    """Every standing allowance from `grant`'s account to one of its permission targets
    over a token the grant neither budgets nor guards (see the module's docstring).
    `now` is the chain's time: a Permit2 allowance that expired before it does not count."""
    with translate(w3):
        return _standing(w3, grant, watch, now)


def _standing(w3: Web3, grant: Grant, watch: Iterable[str], now: int) -> list[Standing]:
    account = grant.account
    targets = spenders(grant)
    permit2 = bool(w3.eth.get_code(PERMIT2))
    found: list[Standing] = []
    for token in candidate_tokens(grant, watch):
        to_permit2: int | None = None
        for spender in targets:
            amount = _erc20_allowance(w3, token, account, spender)
            if amount is None:
                break  # not a token: no allowance() to answer
            if amount > 0:
                found.append(Standing(account, token, spender, amount, "ERC-20"))
        else:
            if permit2:
                to_permit2 = _erc20_allowance(w3, token, account, PERMIT2)
        if not to_permit2:
            continue
        for spender in targets:
            if spender == PERMIT2:
                continue  # the ERC-20 allowance to Permit2 itself is checked above
            data = _PERMIT2_ALLOWANCE + abi_encode(["address", "address", "address"], [account, token, spender])
            words = _call_words(w3, PERMIT2, data, 2)
            if words is not None and words[0] > 0 and words[1] >= now:
                found.append(Standing(account, token, spender, words[0], "Permit2", expiration=words[1]))
    return found


def refusal(found: list[Standing]) -> StandingAllowance:
    """The one-line refusal for `found` (not empty): the first allowance, both ways out, the others."""
    first = found[0]
    others = ""
    if len(found) > 1:
        rest = "; ".join(f"{s.via} over {s.token} to {s.spender}" for s in found[1:])
        others = f" ({len(found) - 1} more: {rest})"
    message = (
        f"standing allowance: account {first.account} gives {first.describe()}, an allowed target of this grant, "
        f"and the grant "
        f"neither budgets nor guards {first.token}: a session call could have {first.spender} pull it past "
        f"the session's caps{others}. Revoke the allowance (as the account's owner: `{first.revoke}`), or "
        f"budget the token (--token-budget {first.token}:CAP, SDK token_budget) or guard it "
        f"(--guard {first.token}, SDK guard); nothing was signed or sent"
    )
    return StandingAllowance(
        message, account=first.account, token=first.token, spender=first.spender, amount=first.amount,
        via=first.via, revoke=first.revoke, found=tuple(found),
    )


__all__ = [
    "PERMIT2",
    "Standing",
    "candidate_tokens",
    "refusal",
    "spenders",
    "standing_allowances",
]
