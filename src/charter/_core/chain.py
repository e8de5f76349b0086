"""The base of every layer's client: the node, an optional default signer, the chain id.

Also which node serves which chain, for what acts on several chains at once
(``--chains ID[=URL],...``, ``$CHARTER_RPC_<ID>``): :func:`parse_chain_list`,
:func:`connect_chain`.
"""

from __future__ import annotations

import os

from web3 import Web3

from ..exceptions import InvalidInput, MissingSigner, NodeUnreachable
from .revert import translate
from .signers import Signer, SignerLike, as_signer

CHAIN_RPC_ENV = "CHARTER_RPC_{chain_id}"
"""The environment variable holding chain ``chain_id``'s RPC URL, for what acts on several chains."""
MAX_CHAINS = 16
"""The most chains one list may name (a multi-chain grant's limit)."""


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


def parse_chain_list(spec: str, option: str = "--chains") -> list[tuple[int, str | None]]:
    """``ID[=URL],ID[=URL],...`` as (chain id, URL or None) pairs; refused (:class:`InvalidInput`
    naming `option`) when an item is no chain id, a chain is named twice, or more than
    :data:`MAX_CHAINS` are named."""
    items = [item.strip() for item in spec.split(",")]
    if not spec.strip() or any(not item for item in items):
        raise InvalidInput(f"{option} {spec!r}: give chain ids separated by commas, each ID or ID=URL (31337,8453)")
    parsed: list[tuple[int, str | None]] = []
    for item in items:
        text, sep, url = item.partition("=")
        text = text.strip()
        if not text.isascii() or not text.isdigit() or int(text) == 0:
            raise InvalidInput(f"{option}: {text!r} is not a chain id (a positive decimal number, e.g. 8453)")
        if sep and not url.strip():
            raise InvalidInput(f"{option}: {item!r} has no URL after '='; write ID=URL or only ID")
        parsed.append((int(text), url.strip() if sep else None))
    ids = [chain_id for chain_id, _ in parsed]
    repeated = sorted({c for c in ids if ids.count(c) > 1})
    if repeated:
        raise InvalidInput(f"{option} names chain {', '.join(map(str, repeated))} more than once; name each chain once")
    if len(parsed) > MAX_CHAINS:
        raise InvalidInput(f"{option} names {len(parsed)} chains; at most {MAX_CHAINS}")
    return parsed


def chain_rpc_from_env(chain_id: int) -> tuple[str, str] | None:
    """(URL, ``$CHARTER_RPC_<ID>``) when that variable is set, else None."""
    variable = CHAIN_RPC_ENV.format(chain_id=chain_id)
    url = os.environ.get(variable, "").strip()
    return (url, f"${variable}") if url else None


def connect_chain(chain_id: int, url: str, source: str) -> Web3:
    """A node at `url` (from `source`, named in errors) that must be chain `chain_id`:
    :class:`InvalidInput` when it is another chain or no http(s) URL, :class:`NodeUnreachable`
    when it does not answer."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"{source}: {url!r} (chain {chain_id}) is not an http(s) URL")
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    try:
        actual = int(w3.eth.chain_id)
    except Exception as exc:  # noqa: BLE001 - any failure to answer is an unreachable node
        raise NodeUnreachable(
            f"cannot reach the node at {url} ({type(exc).__name__}), chain {chain_id}'s RPC from {source}; "
            f"start it or fix {source}"
        ) from None
    if actual != chain_id:
        raise InvalidInput(
            f"{source} gives {url} for chain {chain_id}, but that node is chain {actual}; point it at chain "
            f"{chain_id}'s node"
        )
    return w3
