"""Entry point of the SDK: the Charter suite on one chain.

    charter = Charter.connect(w3, signer=LocalSigner.from_key(key))
    agent_id = charter.registry.register("ipfs://…")

Addresses come from the deployment manifest for the connected chain, else the
deterministic CREATE2 address (see :mod:`charter.deployments`).
"""

from __future__ import annotations

from collections.abc import Callable

from web3 import Web3

from .deployments import DeployResult, Manifest, ensure_deployed, resolve_address
from .errors import translate
from .registry import Registry, SignerLike, as_signer
from .signers import Signer


class Charter:
    """The Charter contracts deployed on the chain `w3` is connected to."""

    def __init__(
        self,
        w3: Web3,
        registry: Registry,
        chain_id: int,
        signer: Signer | None = None,
        manifest: Manifest | None = None,
    ) -> None:
        self.w3 = w3
        self.registry = registry
        self.chain_id = chain_id
        self.signer = signer
        self.manifest = manifest

    def __repr__(self) -> str:
        return f"<Charter chain {self.chain_id}: AgentRegistry {self.registry.address}>"

    @classmethod
    def connect(
        cls,
        w3: Web3,
        signer: SignerLike | None = None,
        manifest: Manifest | None = None,
    ) -> Charter:
        """Bind to the suite on `w3`'s chain; writes are sent by `signer`.

        Raises :class:`~charter.exceptions.NotDeployed` if the registry is neither
        at the manifest's address for this chain nor at its CREATE2 address, and
        :class:`~charter.exceptions.NodeUnreachable` if the node does not answer.
        """
        chosen = as_signer(signer) if signer is not None else None
        with translate(w3):
            chain_id = int(w3.eth.chain_id)
            address = resolve_address(w3, "AgentRegistry", manifest)
        registry = Registry(w3, address, chosen, chain_id=chain_id)
        return cls(w3, registry, chain_id, chosen, manifest)

    @staticmethod
    def deploy(
        w3: Web3,
        signer: SignerLike,
        manifest: Manifest | None = None,
        on_progress: Callable[[DeployResult], None] | None = None,
    ) -> list[DeployResult]:
        """Deploy every Charter contract missing on `w3`'s chain (CREATE2, idempotent).

        Records the addresses in `manifest` (saved if it has a path) and returns
        one :class:`~charter.deployments.DeployResult` per contract; follow with
        :meth:`connect` to use them.
        """
        with translate(w3):
            return ensure_deployed(
                w3, as_signer(signer), manifest=manifest, on_progress=on_progress
            )
