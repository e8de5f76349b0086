"""Charter: bounded authority for autonomous agents on EVM chains.

    from charter import Charter, LocalSigner

    charter = Charter.connect(w3, signer=LocalSigner.from_key(key))
    agent_id = charter.registry.register("ipfs://…/agent-card.json")

Sessions (scoped, expiring authority for an agent's key): ``charter.sessions``
and ``charter.accounts``; see :mod:`charter.sessions`.
"""

from .accounts import AccountInfo, AccountKind, Accounts
from .client import Charter
from .deployments import Manifest
from .exceptions import (
    AccountNotDeployed,
    AgentNotActive,
    AgentNotPaused,
    AgentRetired,
    CharterError,
    ContractRevert,
    EmptyMetadataKey,
    GrantExists,
    GrantExpired,
    GrantNotYetValid,
    GrantRevoked,
    GrantSignatureInvalid,
    InvalidApproval,
    InvalidGrant,
    InvalidInput,
    MissingSigner,
    NodeUnreachable,
    NotDeployed,
    NotERC721Receiver,
    OutOfScope,
    OverBudget,
    RequestInvalid,
    ReservedMetadataKey,
    SessionAgentInactive,
    SessionRefused,
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
from .grants import (
    Call,
    Grant,
    GrantBuilder,
    at_least,
    at_most,
    between,
    equals,
    not_equal,
    one_of,
)
from .registry import Registry
from .sessions import GrantState, GrantStatus, SessionRequest, Sessions, SignedGrant
from .signers import LocalSigner, NodeSigner, Signer
from .types import AgentInfo, AgentStatus, MetadataEntry, TxResult

__version__ = "0.1.0"

__all__ = [
    "AccountInfo",
    "AccountKind",
    "AccountNotDeployed",
    "Accounts",
    "AgentInfo",
    "AgentNotActive",
    "AgentNotPaused",
    "AgentRetired",
    "AgentStatus",
    "Call",
    "Charter",
    "CharterError",
    "ContractRevert",
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
    "MissingSigner",
    "NodeSigner",
    "NodeUnreachable",
    "NotDeployed",
    "NotERC721Receiver",
    "OutOfScope",
    "OverBudget",
    "Registry",
    "RequestInvalid",
    "ReservedMetadataKey",
    "SessionAgentInactive",
    "SessionRefused",
    "SessionRequest",
    "Sessions",
    "SignedGrant",
    "Signer",
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
]
