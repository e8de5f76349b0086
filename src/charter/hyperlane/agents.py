"""Charter's HyperlaneAgents: one CREATE2 deployment per chain, the same address on all of them.

    routes = [AgentsRoute(31337, 31337, mailbox_a, ism_a), AgentsRoute(31338, 31338, mailbox_b, ism_b)]
    address = deploy_hyperlane_agents(w3_a, deployer, routes)      # and the same on w3_b: same address
    HyperlaneAgents(w3_a, address, owner).report(agent_id, [31338])  # charter.registry.represent

The contract takes messages only from its own address on another chain of
its route table, so every chain of a deployment gets the same init code:
the registry (the suite's, one address everywhere) and the whole route
table (each chain's id, Hyperlane domain, Mailbox and ISM); CREATE2 then
gives it one address. The relayer carries its messages
(:mod:`charter.processes.propagate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import encode as abi_encode
from eth_typing import ChecksumAddress
from web3 import Web3

from .._core.artifacts import init_code
from .._core.checks import check_address
from .._core.deployments import SALT, _create2, create2_address, deploy_code
from .._core.revert import translate
from .._core.signers import SignerLike, as_signer
from ..exceptions import InvalidInput, NotDeployed

MAX_ROUTES = 8
_ZERO = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class AgentsRoute:
    """One chain of a HyperlaneAgents deployment: its chain id, Hyperlane domain, Mailbox and the
    ISM its Mailbox verifies deliveries to the contract with (None: the Mailbox's default ISM)."""

    chain_id: int
    domain: int
    mailbox: str
    ism: str | None = None


def _routes(routes: Sequence[AgentsRoute]) -> list[tuple[int, int, ChecksumAddress, ChecksumAddress]]:
    if not 2 <= len(routes) <= MAX_ROUTES:
        raise InvalidInput(f"a HyperlaneAgents deployment spans 2 to {MAX_ROUTES} chains, got {len(routes)}")
    checked = []
    for r in routes:
        if r.chain_id <= 0 or not 0 <= r.domain < 2**32:
            raise InvalidInput(f"a route has a positive chain id and a uint32 domain, got {r}")
        checked.append((r.chain_id, r.domain, check_address(r.mailbox, "mailbox"),
                        check_address(r.ism, "ism") if r.ism else check_address(_ZERO, "ism")))
    if len({c for c, _, _, _ in checked}) != len(checked) or len({d for _, d, _, _ in checked}) != len(checked):
        raise InvalidInput("each chain id and each domain appears once among the routes")
    return checked


def agents_code(routes: Sequence[AgentsRoute], registry: str | None = None) -> bytes:
    """Init code of the HyperlaneAgents for `routes` and `registry` (default: the suite's)."""
    return bytes(init_code("HyperlaneAgents")) + abi_encode(
        ["address", "(uint256,uint32,address,address)[]"],
        [check_address(registry or create2_address("AgentRegistry"), "registry"), _routes(routes)],
    )


def agents_address(routes: Sequence[AgentsRoute], registry: str | None = None, salt: bytes = SALT) -> ChecksumAddress:
    """Where the CREATE2 deployer puts this HyperlaneAgents (on every chain of `routes`)."""
    return _create2(agents_code(routes, registry), salt)


def deploy_hyperlane_agents(w3: Web3, signer: SignerLike, routes: Sequence[AgentsRoute],
                            registry: str | None = None) -> ChecksumAddress:
    """Deploy (CREATE2; idempotent) the HyperlaneAgents of `routes` on `w3`'s chain (one of them) and
    return its address, the same on every chain of the routes."""
    with translate(w3):
        chain_id = int(w3.eth.chain_id)
        if chain_id not in [r.chain_id for r in routes]:
            listed = ", ".join(str(r.chain_id) for r in routes)
            raise InvalidInput(f"chain {chain_id} is not one of the routes ({listed})")
        registry = check_address(registry or create2_address("AgentRegistry"), "registry")
        if len(w3.eth.get_code(registry)) == 0:
            raise NotDeployed(f"no AgentRegistry at {registry} on chain {chain_id}: deploy the suite first")
        return deploy_code(w3, as_signer(signer), "the HyperlaneAgents", agents_code(routes, registry)).address


__all__ = ["AgentsRoute", "agents_address", "agents_code", "deploy_hyperlane_agents"]
