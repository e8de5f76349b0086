"""Entry point of the SDK: the Charter suite on one chain.

    charter = Charter.connect(w3, signer=LocalSigner.from_key(key))
    agent_id = charter.registry.register("ipfs://…")
    account = charter.accounts.deploy(owner=charter.signer.address)
    signed = charter.sessions.sign(charter.sessions.prepare(
        charter.sessions.builder(account, agent_id, agent_key.address)
        .allow_transfer(token, to=bob, max_amount=100).valid_for(hours=1)))

Addresses come from the deployment manifest for the connected chain, else the
deterministic CREATE2 address (see :mod:`charter.deployments`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from web3 import Web3

from ._core.deployments import DeployResult, Manifest, ensure_deployed, resolve_address
from ._core.revert import translate
from ._core.signers import Signer, SignerLike, as_signer
from .accounts.client import Accounts
from .intents.client import Intents
from .registry.client import Registry
from .sessions.client import Sessions
from .trust.client import Reputation, Validation


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
        self._accounts: Accounts | None = None
        self._sessions: Sessions | None = None
        self._intents: Intents | None = None
        self._trust: dict[str, Reputation | Validation] = {}

    @property
    def accounts(self) -> Accounts:
        """Deployed and EIP-7702 Charter accounts (resolved on first use)."""
        if self._accounts is None:
            with translate(self.w3):
                manager = resolve_address(self.w3, "SessionManager", self.manifest)
                delegate = resolve_address(self.w3, "AccountDelegate", self.manifest)
            self._accounts = Accounts(self.w3, manager, delegate, self.signer, chain_id=self.chain_id)
        return self._accounts

    @property
    def sessions(self) -> Sessions:
        """The SessionManager: grants, session calls, relaying, revocation (resolved on first use)."""
        if self._sessions is None:
            accounts = self.accounts
            self._sessions = Sessions(self.w3, accounts.manager, accounts, self.signer, chain_id=self.chain_id)
        return self._sessions

    @property
    def intents(self) -> Intents:
        """The IntentSettler: ERC-7683 orders, fills, settlement and refunds (resolved on first use)."""
        if self._intents is None:
            with translate(self.w3):
                settler = resolve_address(self.w3, "IntentSettler", self.manifest)
            self._intents = Intents(self.w3, settler, self.signer, chain_id=self.chain_id)
        return self._intents

    def _trust_registry(self, name: str, kind: type[Reputation] | type[Validation]) -> Any:
        if name not in self._trust:
            with translate(self.w3):
                address = resolve_address(self.w3, name, self.manifest)
            self._trust[name] = kind(self.w3, address, self.signer, chain_id=self.chain_id)
        return self._trust[name]

    @property
    def reputation(self) -> Reputation:
        """The ERC-8004 ReputationRegistry: anyone may review any agent (resolved on first use)."""
        return self._trust_registry("ReputationRegistry", Reputation)  # type: ignore[no-any-return]

    @property
    def backed_reputation(self) -> Reputation:
        """The receipt-backed ReputationRegistry: every feedback cites a settled order of this chain's
        IntentSettler and comes from its other side (resolved on first use)."""
        return self._trust_registry("BackedReputationRegistry", Reputation)  # type: ignore[no-any-return]

    @property
    def validation(self) -> Validation:
        """The ERC-8004 ValidationRegistry (resolved on first use)."""
        return self._trust_registry("ValidationRegistry", Validation)  # type: ignore[no-any-return]

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
        evm_version: str | None = None,
    ) -> list[DeployResult]:
        """Deploy every Charter contract missing on `w3`'s chain (CREATE2, idempotent).

        `evm_version` picks the build (``prague``, the default, or ``cancun``:
        see docs/deploy.md). Records the addresses in `manifest` (saved if it
        has a path) and returns one :class:`~charter.deployments.DeployResult`
        per contract; follow with :meth:`connect` to use them.
        """
        with translate(w3):
            return ensure_deployed(
                w3, as_signer(signer), manifest=manifest, on_progress=on_progress, evm_version=evm_version
            )
