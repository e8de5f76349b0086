"""Charter: bounded authority for autonomous agents on EVM chains.

    from charter import Charter, LocalSigner

    charter = Charter.connect(w3, signer=LocalSigner.from_key(key))
    agent_id = charter.registry.register("ipfs://…/agent-card.json")

One subpackage per layer, each with the same modules (``client``, ``models``,
``typed_data``, ``errors``; ``builder`` for sessions): :mod:`charter.registry`
(identity), :mod:`charter.sessions` (grants and session keys) and
:mod:`charter.accounts` (Charter accounts). Errors are in
:mod:`charter.exceptions`. The names below are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXCEPTIONS = (
    "AccountNotDeployed",
    "AgentChangedHands",
    "AgentConsentMissing",
    "AgentNotActive",
    "AgentNotPaused",
    "AgentRetired",
    "AgentURITooLong",
    "CharterError",
    "ContractRevert",
    "EffectNotObserved",
    "EmptyMetadataKey",
    "GrantExists",
    "GrantExpired",
    "GrantNotYetValid",
    "GrantRevoked",
    "GrantSignatureInvalid",
    "InvalidApproval",
    "InvalidGrant",
    "InvalidInput",
    "MetadataTooLarge",
    "MissingSigner",
    "NodeUnreachable",
    "NotACharterAccount",
    "NotDeployed",
    "NotERC721Receiver",
    "OutOfScope",
    "OverBudget",
    "PaymentRefused",
    "RequestInvalid",
    "ReservedMetadataKey",
    "SessionAgentInactive",
    "SessionRefused",
    "StandingAllowance",
    "TooSoon",
    "TransactionFailed",
    "Unauthorized",
    "UnknownAgent",
    "Validation",
    "WalletProofDeadlineTooFar",
    "WalletProofExpired",
    "WalletProofInvalid",
    "WalletProofUsed",
    "WalletTaken",
    "WrongOwner",
    "ZeroAddress",
    "ZeroWallet",
)

_EXPORTS: dict[str, str] = {
    # the suite
    "Charter": "charter.client",
    "Manifest": "charter._core.deployments",
    "TxResult": "charter._core.tx",
    # who signs
    "Signer": "charter._core.signers",
    "LocalSigner": "charter._core.signers",
    "NodeSigner": "charter._core.signers",
    # identity
    "Registry": "charter.registry.client",
    "AgentInfo": "charter.registry.models",
    "AgentStatus": "charter.registry.models",
    "MetadataEntry": "charter.registry.models",
    # accounts
    "Accounts": "charter.accounts.client",
    "AccountInfo": "charter.accounts.models",
    "AccountKind": "charter.accounts.models",
    "Call": "charter.accounts.models",
    # sessions
    "Sessions": "charter.sessions.client",
    "Grant": "charter.sessions.models",
    "GrantState": "charter.sessions.models",
    "GrantStatus": "charter.sessions.models",
    "SessionRequest": "charter.sessions.models",
    "SignedGrant": "charter.sessions.models",
    "MultiChainGrant": "charter.sessions.models",
    "sign_multi_chain": "charter.sessions.multichain",
    "GrantBuilder": "charter.sessions.builder",
    "at_least": "charter.sessions.builder",
    "at_most": "charter.sessions.builder",
    "between": "charter.sessions.builder",
    "equals": "charter.sessions.builder",
    "not_equal": "charter.sessions.builder",
    "one_of": "charter.sessions.builder",
    # trust
    "Reputation": "charter.trust.client",
    "Validation": "charter.trust.client",
    # errors
    **dict.fromkeys(_EXCEPTIONS, "charter.exceptions"),
}

__all__ = [
    "AccountInfo",
    "AccountKind",
    "AccountNotDeployed",
    "Accounts",
    "AgentChangedHands",
    "AgentConsentMissing",
    "AgentInfo",
    "AgentNotActive",
    "AgentNotPaused",
    "AgentRetired",
    "AgentStatus",
    "AgentURITooLong",
    "Call",
    "Charter",
    "CharterError",
    "ContractRevert",
    "EffectNotObserved",
    "EmptyMetadataKey",
    "Grant",
    "GrantBuilder",
    "GrantExists",
    "GrantExpired",
    "GrantNotYetValid",
    "GrantRevoked",
    "GrantSignatureInvalid",
    "GrantState",
    "GrantStatus",
    "InvalidApproval",
    "InvalidGrant",
    "InvalidInput",
    "LocalSigner",
    "Manifest",
    "MetadataEntry",
    "MetadataTooLarge",
    "MissingSigner",
    "MultiChainGrant",
    "NodeSigner",
    "NodeUnreachable",
    "NotACharterAccount",
    "NotDeployed",
    "NotERC721Receiver",
    "OutOfScope",
    "OverBudget",
    "PaymentRefused",
    "Registry",
    "Reputation",
    "RequestInvalid",
    "ReservedMetadataKey",
    "SessionAgentInactive",
    "SessionRefused",
    "SessionRequest",
    "Sessions",
    "SignedGrant",
    "Signer",
    "StandingAllowance",
    "TooSoon",
    "TransactionFailed",
    "TxResult",
    "Unauthorized",
    "UnknownAgent",
    "WalletProofDeadlineTooFar",
    "WalletProofExpired",
    "WalletProofInvalid",
    "WalletProofUsed",
    "WalletTaken",
    "WrongOwner",
    "ZeroAddress",
    "ZeroWallet",
    "__version__",
    "at_least",
    "at_most",
    "between",
    "equals",
    "not_equal",
    "one_of",
    "sign_multi_chain",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'charter' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:
    from ._core.deployments import Manifest
    from ._core.signers import LocalSigner, NodeSigner, Signer
    from ._core.tx import TxResult
    from .accounts.client import Accounts
    from .accounts.models import AccountInfo, AccountKind, Call
    from .client import Charter
    from .exceptions import (
        AccountNotDeployed,
        AgentChangedHands,
        AgentConsentMissing,
        AgentNotActive,
        AgentNotPaused,
        AgentRetired,
        AgentURITooLong,
        CharterError,
        ContractRevert,
        EffectNotObserved,
        EmptyMetadataKey,
        GrantExists,
        GrantExpired,
        GrantNotYetValid,
        GrantRevoked,
        GrantSignatureInvalid,
        InvalidApproval,
        InvalidGrant,
        InvalidInput,
        MetadataTooLarge,
        MissingSigner,
        NodeUnreachable,
        NotACharterAccount,
        NotDeployed,
        NotERC721Receiver,
        OutOfScope,
        OverBudget,
        RequestInvalid,
        ReservedMetadataKey,
        SessionAgentInactive,
        SessionRefused,
        StandingAllowance,
        TooSoon,
        TransactionFailed,
        Unauthorized,
        UnknownAgent,
        WalletProofDeadlineTooFar,
        WalletProofExpired,
        WalletProofInvalid,
        WalletProofUsed,
        WalletTaken,
        WrongOwner,
        ZeroAddress,
        ZeroWallet,
    )
    from .registry.client import Registry
    from .registry.models import AgentInfo, AgentStatus, MetadataEntry
    from .sessions.builder import (
        GrantBuilder,
        at_least,
        at_most,
        between,
        equals,
        not_equal,
        one_of,
    )
    from .sessions.client import Sessions
    from .sessions.models import (
        Grant,
        GrantState,
        GrantStatus,
        SessionRequest,
        SignedGrant,
    )

# The base (charter._core) never imports a layer: each layer registers its revert
# reasons into charter._core.revert when its ``errors`` module is imported, and ape
# support registers its signer adapter into charter._core.signers. This package runs
# before any of its modules, so importing them here makes every revert reason map to
# its exception, and ape accounts sign, whichever module the user imports first.
from . import ape_extras as _ape_extras  # noqa: E402, F401
from .accounts import errors as _accounts_errors  # noqa: E402, F401
from .intents import errors as _intents_errors  # noqa: E402, F401
from .registry import errors as _registry_errors  # noqa: E402, F401
from .sessions import errors as _sessions_errors  # noqa: E402, F401
from .trust import errors as _trust_errors  # noqa: E402, F401
