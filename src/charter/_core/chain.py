"""The base of every layer's client: the node, an optional default signer, the chain id."""

from __future__ import annotations

from web3 import Web3

from ..exceptions import MissingSigner
from .revert import translate
from .signers import Signer, SignerLike, as_signer


class ChainClient:
    """What the SDK's clients share: the node, an optional default signer, the chain id."""

    def __init__(
        self, w3: Web3, signer: SignerLike | None = None, *, chain_id: int | None = None, timeout: float = 120
    ) -> None:
        self.w3 = w3
        self.signer: Signer | None = as_signer(signer) if signer is not None else None
        self.timeout = timeout
        self._chain_id = chain_id

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            with translate(self.w3):
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def _signer(self, signer: SignerLike | None, action: str) -> Signer:
        """`signer`, else the client's own; :class:`MissingSigner` if neither."""
        if signer is not None:
            return as_signer(signer)
        if self.signer is None:
            raise MissingSigner(
                f"cannot {action} without a signer: pass one (signer=, key=, principal=...) or "
                "connect with signer=LocalSigner.from_key(...) / NodeSigner(w3, address)"
            )
        return self.signer
