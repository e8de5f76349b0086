"""Deterministic deployment and the deployment manifest.

Every Charter contract is deployed through the CREATE2 deployer at
``0x4e59b44847b379578588920cA78FbF26c0B4956C`` with a fixed salt. The suite:

- ``AgentRegistry`` (no constructor arguments);
- ``SessionManager``, bound to the suite's registry;
- ``SessionView``, the read-only views of that manager's grants;
- ``AccountDelegate``: an ``AgentAccount`` with an empty owner, bound to the
  suite's manager: the code an EOA delegates to with EIP-7702;
- ``IntentSettler``, the ERC-7683 settler (origin and destination), bound to
  the suite's registry and manager. Settlement oracles are not part of the
  suite: an AttesterOracle's address follows from its committee
  (:func:`charter.intents.oracle_address`).

Constructor arguments are part of the init code and only name other suite
addresses, so the same release has the same addresses on every chain.
Per-principal ``AgentAccount`` deployments go through the same deployer:
their address follows from the owner and a salt (:func:`account_address`).

The manifest is a JSON file that records, per chain id, where each contract
was found or deployed::

    {"schema": 1,
     "chains": {"31337": {"AgentRegistry": {"address": "0x…", "block": 3,
                                            "transaction": "0x…"}}}}

It is looked up in this order: an explicit path, the ``CHARTER_MANIFEST``
environment variable, then the copy shipped in the package (public networks).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_typing import ChecksumAddress
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3

from ..exceptions import CharterError, NotDeployed
from .artifacts import init_code
from .signers import Signer

CREATE2_DEPLOYER: ChecksumAddress = Web3.to_checksum_address(
    "0x4e59b44847b379578588920cA78FbF26c0B4956C"
)
SALT = b"\x00" * 32
ZERO_ADDRESS: ChecksumAddress = Web3.to_checksum_address("0x" + "00" * 20)
# Suite entries in deployment order; each names the contract it deploys.
CONTRACTS: tuple[str, ...] = ("AgentRegistry", "SessionManager", "SessionView", "AccountDelegate", "IntentSettler")
CONTRACT_OF = {
    "AgentRegistry": "AgentRegistry",
    "SessionManager": "SessionManager",
    "SessionView": "SessionView",
    "AccountDelegate": "AgentAccount",
    "IntentSettler": "IntentSettler",
}
MANIFEST_ENV = "CHARTER_MANIFEST"
SCHEMA = 1


def _contract(name: str) -> str:
    try:
        return CONTRACT_OF[name]
    except KeyError:
        raise CharterError(f"unknown Charter contract {name!r}; known: {', '.join(CONTRACTS)}") from None


def constructor_args(name: str) -> bytes:
    """The ABI-encoded constructor arguments of suite entry `name`."""
    if name == "SessionManager":
        return abi_encode(["address"], [create2_address("AgentRegistry")])
    if name == "SessionView":
        return abi_encode(["address"], [create2_address("SessionManager")])
    if name == "AccountDelegate":
        return abi_encode(["address", "address"], [ZERO_ADDRESS, create2_address("SessionManager")])
    if name == "IntentSettler":
        return abi_encode(["address", "address"], [create2_address("AgentRegistry"), create2_address("SessionManager")])
    _contract(name)
    return b""


def deployment_code(name: str) -> HexBytes:
    """Init code plus constructor arguments of suite entry `name`."""
    return HexBytes(bytes(init_code(_contract(name))) + constructor_args(name))


def _create2(code: bytes, salt: bytes) -> ChecksumAddress:
    if len(salt) != 32:
        raise CharterError(f"a CREATE2 salt is 32 bytes, got {len(salt)}")
    digest = keccak(b"\xff" + HexBytes(CREATE2_DEPLOYER) + salt + keccak(code))
    return Web3.to_checksum_address(digest[12:])


def create2_address(name: str, salt: bytes = SALT) -> ChecksumAddress:
    """The address suite entry `name` gets from the CREATE2 deployer on any chain."""
    return _create2(deployment_code(name), salt)


def view_address(manager: str, salt: bytes = SALT) -> ChecksumAddress:
    """The SessionView of `manager` (the suite's own, or one deployed the same way for another manager)."""
    code = bytes(init_code("SessionView")) + abi_encode(["address"], [Web3.to_checksum_address(manager)])
    return _create2(code, salt)


def deploy_calldata(name: str, salt: bytes = SALT) -> HexBytes:
    """Calldata for the CREATE2 deployer: the salt followed by the init code."""
    return HexBytes(salt + bytes(deployment_code(name)))


def account_code(owner: str, manager: str | None = None) -> HexBytes:
    """Init code of a per-principal AgentAccount owned by `owner`."""
    if Web3.to_checksum_address(owner) == ZERO_ADDRESS:
        raise CharterError("an AgentAccount needs a non-zero owner (the zero owner is the EIP-7702 delegate)")
    manager = manager or create2_address("SessionManager")
    args = abi_encode(["address", "address"], [Web3.to_checksum_address(owner), Web3.to_checksum_address(manager)])
    return HexBytes(bytes(init_code("AgentAccount")) + args)


def account_address(owner: str, salt: bytes = SALT, manager: str | None = None) -> ChecksumAddress:
    """The address of `owner`'s AgentAccount (one per salt), deployed or not."""
    return _create2(account_code(owner, manager), salt)


def account_deploy_calldata(owner: str, salt: bytes = SALT, manager: str | None = None) -> HexBytes:
    """Calldata for the CREATE2 deployer that deploys `owner`'s AgentAccount."""
    return HexBytes(salt + bytes(account_code(owner, manager)))


@dataclass
class Manifest:
    """Addresses per chain id, backed by a JSON file."""

    path: Path | None
    chains: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Manifest:
        """Load the manifest at `path`, ``$CHARTER_MANIFEST`` or the packaged one.

        A path that does not exist yet gives an empty manifest that `save` creates.
        """
        chosen = path if path is not None else os.environ.get(MANIFEST_ENV)
        if chosen is None:
            text = resources.files("charter").joinpath("deployments").joinpath("manifest.json").read_text()
            return cls._parse(None, text)
        p = Path(chosen)
        if not p.exists():
            return cls(path=p)
        return cls._parse(p, p.read_text())

    @classmethod
    def _parse(cls, path: Path | None, text: str) -> Manifest:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CharterError(f"deployment manifest {path} is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise CharterError(
                f"deployment manifest {path} has an unknown format (expected schema {SCHEMA})"
            )
        return cls(path=path, chains=dict(data.get("chains", {})))

    def address(self, chain_id: int, name: str) -> ChecksumAddress | None:
        entry = self.chains.get(str(chain_id), {}).get(name)
        return Web3.to_checksum_address(entry["address"]) if entry else None

    def record(self, chain_id: int, name: str, address: str, **details: Any) -> None:
        self.chains.setdefault(str(chain_id), {})[name] = {
            "address": Web3.to_checksum_address(address),
            **details,
        }

    def save(self) -> None:
        if self.path is None:
            raise CharterError(
                "the packaged manifest is read-only; pass a manifest path or set "
                f"${MANIFEST_ENV} to record deployments"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"schema": SCHEMA, "chains": self.chains}
        self.path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")


def resolve_address(w3: Web3, name: str, manifest: Manifest | None = None) -> ChecksumAddress:
    """Where contract `name` lives on the connected chain.

    The manifest entry for this chain wins; otherwise the deterministic
    CREATE2 address is used if code is there. Raises :class:`NotDeployed`.
    """
    chain_id = w3.eth.chain_id
    manifest = manifest if manifest is not None else Manifest.load()
    candidates = [a for a in (manifest.address(chain_id, name), create2_address(name)) if a]
    for address in candidates:
        if len(w3.eth.get_code(address)) > 0:
            return address
    raise NotDeployed(
        f"{name} is not deployed on chain {chain_id} (looked at {', '.join(candidates)}); "
        "deploy it with `charter deploy` or `ape run deploy`"
    )


@dataclass(frozen=True)
class DeployResult:
    name: str
    address: ChecksumAddress
    deployed: bool  # False when the contract was already there
    transaction: str | None = None
    block: int | None = None
    gas_used: int | None = None


def deploy_code(w3: Web3, signer: Signer, name: str, code: bytes, salt: bytes = SALT) -> DeployResult:
    """Deploy init `code` (contract `name`, for messages) through the CREATE2 deployer, unless
    its address already has code; idempotent."""
    address = _create2(code, salt)
    if len(w3.eth.get_code(address)) > 0:
        return DeployResult(name, address, deployed=False)
    if len(w3.eth.get_code(CREATE2_DEPLOYER)) == 0:
        raise NotDeployed(
            f"the CREATE2 deployer {CREATE2_DEPLOYER} is missing on chain {w3.eth.chain_id}; "
            "deploy it first (see docs/deploy.md)"
        )
    tx_hash = HexBytes(signer.send_transaction(w3, {"to": CREATE2_DEPLOYER, "data": HexBytes(salt + code)}))
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1 or len(w3.eth.get_code(address)) == 0:
        raise CharterError(
            f"deploying {name} failed in transaction {tx_hash.to_0x_hex()}; "
            "check the sender's balance and the chain's contract size limit"
        )
    return DeployResult(name, address, deployed=True, transaction=tx_hash.to_0x_hex(),
                        block=int(receipt["blockNumber"]), gas_used=int(receipt["gasUsed"]))


def ensure_deployed(
    w3: Web3,
    signer: Signer,
    names: Iterable[str] = CONTRACTS,
    manifest: Manifest | None = None,
    on_progress: Callable[[DeployResult], None] | None = None,
) -> list[DeployResult]:
    """Deploy every contract in `names` that is not on the chain yet.

    Idempotent: a contract whose deterministic address already has code is
    left alone. Records each address in `manifest` (and saves it if it has a
    path).
    """
    if len(w3.eth.get_code(CREATE2_DEPLOYER)) == 0:
        raise NotDeployed(
            f"the CREATE2 deployer {CREATE2_DEPLOYER} is missing on chain {w3.eth.chain_id}; "
            "deploy it first (see docs/deploy.md)"
        )
    chain_id = w3.eth.chain_id
    results = []
    for name in names:
        result = deploy_code(w3, signer, name, bytes(deployment_code(name)))
        address = result.address
        if manifest is not None:
            details: dict[str, Any] = {}
            if result.deployed:
                details = {"block": result.block, "transaction": result.transaction}
            elif (previous := manifest.chains.get(str(chain_id), {}).get(name)) is not None:
                details = {k: v for k, v in previous.items() if k != "address"}
            manifest.record(chain_id, name, address, **details)
        if on_progress is not None:
            on_progress(result)
        results.append(result)
    if manifest is not None and manifest.path is not None:
        manifest.save()
    return results
