"""The authority layer: session grants and the SessionManager.

A grant's path, top to bottom:

    models.py      Grant (permissions, conditions, token budgets), SignedGrant, MultiChainGrant,
                   SessionRequest, GrantState, GrantRecord; the manager's limits
    builder.py     GrantBuilder and its rules (one_of, at_most, ...); the CLI's text specs
    typed_data.py  the EIP-712 Grant, SessionRequest and MultiChainGrant messages
    calldata.py    the manager's entry points, encoded (and grants decoded back)
    view.py        SessionsView: time, epochs, a grant's state, an account's grants
    allowances.py  the pre-grant check: no allowed target holds a standing allowance over an unbounded token
    client.py      Sessions: prepare, sign or issue, execute, relay, revoke, activate
    multichain.py  sign_multi_chain: one signature for grants on several chains
    revocations.py sign_revoke_all / sign_revoke_grants: one signature revokes on every chain
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
    ChainGrant,
    Condition,
    Grant,
    GrantRecord,
    GrantState,
    GrantStatus,
    MultiChainGrant,
    Op,
    Permission,
    SessionRequest,
    SignedGrant,
    TokenAllowance,
    TokenBudget,
    grant_from_tuple,
)
from .multichain import consent_multi_chain, prepare_on_chains, sign_multi_chain
from .revocations import SignedRevocation, sign_revoke_all, sign_revoke_grants
from .view import SessionsView

__all__ = [
    "DEFAULT_REQUEST_LIFETIME",
    "EXECUTE_LIKE_SELECTORS",
    "FORBIDDEN_SELECTORS",
    "ChainGrant",
    "Condition",
    "Grant",
    "GrantBuilder",
    "GrantRecord",
    "GrantState",
    "GrantStatus",
    "MultiChainGrant",
    "Op",
    "Permission",
    "Rule",
    "SessionRequest",
    "Sessions",
    "SessionsView",
    "SignedGrant",
    "SignedRevocation",
    "TokenAllowance",
    "TokenBudget",
    "at_least",
    "at_most",
    "between",
    "consent_multi_chain",
    "ensure_grant",
    "ensure_signed_grant",
    "equals",
    "grant_from_tuple",
    "not_equal",
    "one_of",
    "sign_revoke_all",
    "sign_revoke_grants",
    "prepare_on_chains",
    "sign_multi_chain",
]
