"""Hyperlane, the messaging network intents can settle over (issue 10, in progress).

    artifacts.py   Hyperlane's own contracts (ABI, bytecode) as extracted at setup from the pinned npm package
    messages.py    the message, checkpoint and MessageId multisig metadata formats
    local.py       a Mailbox, a Merkle tree hook and an m-of-n MessageId multisig ISM on a local chain
"""

from .artifacts import HyperlaneArtifactsMissing, artifact, artifacts_dir
from .local import LocalHyperlane, deploy_local
from .messages import Message, checkpoint_digest, message_id_metadata, sign_checkpoint

__all__ = [
    "HyperlaneArtifactsMissing",
    "LocalHyperlane",
    "Message",
    "artifact",
    "artifacts_dir",
    "checkpoint_digest",
    "deploy_local",
    "message_id_metadata",
    "sign_checkpoint",
]
