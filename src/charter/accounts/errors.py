"""Account revert reasons (``"account: ..."``) as exceptions.

Raised by an ``AgentAccount`` (deployed, or an EOA delegating to it with
EIP-7702) when its owner's or its manager's call is refused.
"""

from __future__ import annotations

from .._core.revert import Message, explained, internal, register_reverts
from ..exceptions import ContractRevert, OutOfScope, SessionRefused, Unauthorized

REVERTS: dict[str, tuple[type[ContractRevert], Message]] = {
    "account: not the owner": (Unauthorized, explained(
        "the sender is not the owner of the account",
        "send from the account's owner (for an EIP-7702 account: the EOA itself)")),
    "account: not the manager": (Unauthorized, explained(
        "only the account's SessionManager may make session calls",
        "go through SessionManager.execute")),
    "account: self call": (OutOfScope, explained(
        "a session call targeted the account itself", "sessions may never call their account")),
    "account: zero manager": (SessionRefused, internal("account: zero manager")),
}
"""The account's fixed revert reasons, with their exceptions."""

PATTERNS: tuple[()] = ()
"""No numbered reasons in the account."""

register_reverts("accounts", REVERTS, PATTERNS)
