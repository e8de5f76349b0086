"""The authority layer: session grants and the SessionManager.

A grant's path, top to bottom:

    models.py      Grant (permissions, conditions, token budgets), SignedGrant, SessionRequest,
                   GrantState, GrantRecord; the manager's limits
    builder.py     GrantBuilder and its rules (one_of, at_most, ...); the CLI's text specs
    typed_data.py  the EIP-712 Grant and SessionRequest messages
    calldata.py    the manager's entry points, encoded (and grants decoded back)
    view.py        SessionsView: time, epochs, a grant's state, an account's grants
    allowances.py  the pre-grant check: no allowed target holds a standing allowance over an unbounded token
    client.py      Sessions: prepare, sign or issue, execute, relay, revoke
    errors.py      "sessions: ..." reverts as exceptions, and the facts that explain them
"""

from .builder import (
    EXECUTE_LIKE_SELECTORS,
    GrantBuilder,
    Rule,
    at_least,
    at_most,
    between,
    ensure_grant,
    ensure_signed_grant,
    equals,
    not_equal,
    one_of,
)
from .client import DEFAULT_REQUEST_LIFETIME, Sessions
from .models import (
    FORBIDDEN_SELECTORS,
    Condition,
    Grant,
    GrantRecord,
    GrantState,
    GrantStatus,
    Op,
    Permission,
    SessionRequest,
    SignedGrant,
    TokenAllowance,
    TokenBudget,
    grant_from_tuple,
)
from .view import SessionsView

__all__ = [
    "DEFAULT_REQUEST_LIFETIME",
    "EXECUTE_LIKE_SELECTORS",
    "FORBIDDEN_SELECTORS",
    "Condition",
    "Grant",
    "GrantBuilder",
    "GrantRecord",
    "GrantState",
    "GrantStatus",
    "Op",
    "Permission",
    "Rule",
    "SessionRequest",
    "Sessions",
    "SessionsView",
    "SignedGrant",
    "TokenAllowance",
    "TokenBudget",
    "at_least",
    "at_most",
    "between",
    "ensure_grant",
    "ensure_signed_grant",
    "equals",
    "grant_from_tuple",
    "not_equal",
    "one_of",
]
