"""Charter: bounded authority for autonomous agents on EVM chains.

    from charter import Charter, LocalSigner

    charter = Charter.connect(w3, signer=LocalSigner.from_key(key))
    agent_id = charter.registry.register("ipfs://…/agent-card.json")
"""

from .client import Charter
from .deployments import Manifest
from .exceptions import (
    AgentNotActive,
    AgentNotPaused,
    AgentRetired,
    CharterError,
    ContractRevert,
    EmptyMetadataKey,
    InvalidApproval,
    InvalidInput,
    MissingSigner,
    NodeUnreachable,
    NotDeployed,
    NotERC721Receiver,
    ReservedMetadataKey,
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
from .registry import Registry
from .signers import LocalSigner, NodeSigner, Signer
from .types import AgentInfo, AgentStatus, MetadataEntry, TxResult

__version__ = "0.1.0"

__all__ = [
    "AgentInfo",
    "AgentNotActive",
    "AgentNotPaused",
    "AgentRetired",
    "AgentStatus",
    "Charter",
    "CharterError",
    "ContractRevert",
    "EmptyMetadataKey",
    "InvalidApproval",
    "InvalidInput",
    "LocalSigner",
    "Manifest",
    "MetadataEntry",
    "MissingSigner",
    "NodeSigner",
    "NodeUnreachable",
    "NotDeployed",
    "NotERC721Receiver",
    "Registry",
    "ReservedMetadataKey",
    "Signer",
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
]
