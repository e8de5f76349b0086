"""Hyperlane, the messaging network intents can settle over (docs/intents.md, "Settling over Hyperlane").

    artifacts.py   Hyperlane's own contracts (ABI, bytecode) as extracted at setup from the pinned npm package
    messages.py    the message, checkpoint and MessageId multisig metadata formats
    local.py       a Mailbox, a Merkle tree hook and an m-of-n MessageId multisig ISM on a local chain
    settlement.py  Charter's HyperlaneReporter and HyperlaneOracle: clients, CREATE2 deployment, Report
    agents.py      Charter's HyperlaneAgents (agents' states between chains): CREATE2 deployment
    tree.py        Hyperlane's incremental Merkle tree

The relayer's Hyperlane half (validator and relayer for Charter's reports) is a
process: :mod:`charter.processes.hyperlane`.
"""

from .agents import AgentsRoute, agents_address, deploy_hyperlane_agents
from .artifacts import HyperlaneArtifactsMissing, artifact, artifacts_dir
from .local import LocalHyperlane, deploy_local
from .messages import Message, checkpoint_digest, message_id_metadata, sign_checkpoint
from .settlement import (
    HyperlaneOracle,
    HyperlaneReporter,
    Remote,
    Report,
    deploy_hyperlane_oracle,
    deploy_reporter,
    hyperlane_oracle_address,
    reporter_address,
)
from .tree import MerkleTree

__all__ = [
    "AgentsRoute",
    "HyperlaneArtifactsMissing",
    "HyperlaneOracle",
    "HyperlaneReporter",
    "LocalHyperlane",
    "MerkleTree",
    "Message",
    "Remote",
    "Report",
    "agents_address",
    "artifact",
    "artifacts_dir",
    "checkpoint_digest",
    "deploy_hyperlane_agents",
    "deploy_hyperlane_oracle",
    "deploy_local",
    "deploy_reporter",
    "hyperlane_oracle_address",
    "message_id_metadata",
    "reporter_address",
    "sign_checkpoint",
]
