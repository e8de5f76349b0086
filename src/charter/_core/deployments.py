"""Deterministic deployment and the deployment manifest.

Every Charter contract is deployed through the CREATE2 deployer at
``0x4e59b44847b379578588920cA78FbF26c0B4956C`` with a fixed salt. The suite:

- ``AgentRegistry`` (no constructor arguments);
- ``SessionExtension``, the second half of the manager's code (``executeBatch``,
  ``renounce``, ``setMaxSessionLength``), which the manager runs on its own
  storage by DELEGATECALL; bound to the suite's registry;
- ``SessionManager``, bound to the suite's registry and that extension (the
  shipped ABI lists the extension's functions and events: call them on the
  manager);
- ``SessionView``, the read-only views of that manager's grants;
- ``AccountDelegate``: an ``AgentAccount`` with an empty owner, bound to the
  suite's manager: the code an EOA delegates to with EIP-7702;
- ``IntentView``, the read-only half of the settler's code (``resolve``,
  ``resolveFor``, ``eip712Domain``), which the settler runs as itself by
  DELEGATECALL (no constructor arguments);
- ``IntentSettler``, the ERC-7683 settler (origin and destination), bound to
  the suite's registry, manager and that view (the shipped ABI lists the
  view's functions: call them on the settler). Settlement oracles are not
  part of the suite: an AttesterOracle's address follows from its committee
  (:func:`charter.intents.oracle_address`);
- ``ReputationRegistry`` and ``ValidationRegistry``, the ERC-8004 trust
  registries (the reference deployment's interface), bound to the suite's
  registry;
- ``BackedReputationRegistry``: a second ``ReputationRegistry`` bound to the
  suite's registry and IntentSettler, where every feedback cites a settled
  order (its receipt) between the client and the agent.

Constructor arguments are part of the init code and only name other suite
addresses, so the same release has the same addresses on every chain.
Per-principal ``AgentAccount`` deployments go through the same deployer:
their address follows from the owner and a salt (:func:`account_address`).

Each contract can be built for any EVM version in :data:`EVM_VERSIONS`
(the contracts use transient storage, so ``cancun`` is the oldest);
:data:`DEFAULT_EVM_VERSION` is vyper 0.4.3's default. The shipped artifacts
record which versions share the default build and carry the build of every
version that differs; ``create2_address(name, evm_version=...)`` is the
address of the chosen build (with vyper 0.4.3 every contract's ``cancun`` and
``prague`` builds are identical, so the address is the same).

The manifest is a JSON file that records, per chain id, where each contract
was found or deployed, and which build the chain got::

    {"schema": 1,
     "chains": {"31337": {"AgentRegistry": {"address": "0x…", "block": 3,
                                            "transaction": "0x…",
                                            "evm_version": "prague",
                                            "init_code_hash": "0x…",
                                            "compiler": "vyper-0.4.3"}}}}

``init_code_hash`` is keccak256 of the init code plus constructor arguments:
the CREATE2 input, so it fixes the address.

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
from .artifacts import init_code, load_artifact
from .signers import Signer

CREATE2_DEPLOYER: ChecksumAddress = Web3.to_checksum_address(
    "0x4e59b44847b379578588920cA78FbF26c0B4956C"
)
SALT = b"\x00" * 32
ZERO_ADDRESS: ChecksumAddress = Web3.to_checksum_address("0x" + "00" * 20)
# Suite entries in deployment order; each names the contract it deploys.
CONTRACTS: tuple[str, ...] = (
    "AgentRegistry", "SessionActivator", "SessionExtension", "SessionManager", "SessionView", "AccountDelegate",
    "IntentView", "IntentSettler", "ReputationRegistry", "ValidationRegistry", "BackedReputationRegistry",
)
CONTRACT_OF = {
    "AgentRegistry": "AgentRegistry",
    "SessionActivator": "SessionActivator",
    "SessionExtension": "SessionExtension",
    "SessionManager": "SessionManager",
    "SessionView": "SessionView",
    "AccountDelegate": "AgentAccount",
    "IntentView": "IntentView",
    "IntentSettler": "IntentSettler",
    "ReputationRegistry": "ReputationRegistry",
    "ValidationRegistry": "ValidationRegistry",
    "BackedReputationRegistry": "ReputationRegistry",
}
MANIFEST_ENV = "CHARTER_MANIFEST"
SCHEMA = 1
# EVM versions the suite can be built for (transient storage needs cancun) and vyper 0.4.3's default.
EVM_VERSIONS: tuple[str, ...] = ("cancun", "prague")
DEFAULT_EVM_VERSION = "prague"


def check_evm_version(evm_version: str | None) -> str:
    """`evm_version` (``None``: the default), or :class:`CharterError` if the suite cannot be built for it."""
    if evm_version is None:
        return DEFAULT_EVM_VERSION
    if evm_version not in EVM_VERSIONS:
        raise CharterError(
            f"unknown EVM version {evm_version!r}; Charter builds for {', '.join(EVM_VERSIONS)} "
            "(its contracts use transient storage, which needs cancun)"
        )
    return evm_version


def contract_init_code(contract: str, evm_version: str | None = None) -> HexBytes:
    """The creation bytecode of `contract` (a contract name, e.g. ``AgentAccount``) built for `evm_version`."""
    evm_version = check_evm_version(evm_version)
    artifact = load_artifact(contract)
    if evm_version in artifact.get("evmVersions", [artifact.get("evmVersion", DEFAULT_EVM_VERSION)]):
        return HexBytes(artifact["bytecode"])
    variant = artifact.get("bytecodeByEvmVersion", {}).get(evm_version)
    if variant is None:
        raise CharterError(
            f"the shipped {contract} artifact has no {evm_version} build; run `make artifacts` in a checkout"
        )
    return HexBytes(variant)
# Chains whose state dies with the node: never recorded in the packaged manifest.
DEV_CHAIN_IDS = (31337, 1337)
DEV_CLIENTS = ("anvil", "hardhat", "ganache")


def _contract(name: str) -> str:
    try:
        return CONTRACT_OF[name]
    except KeyError:
        raise CharterError(f"unknown Charter contract {name!r}; known: {', '.join(CONTRACTS)}") from None


def constructor_args(name: str, evm_version: str | None = None) -> bytes:
    """The ABI-encoded constructor arguments of suite entry `name` (bound to the suite built for `evm_version`)."""

    def at(other: str) -> ChecksumAddress:
        return create2_address(other, evm_version=evm_version)

    if name in ("SessionActivator", "ValidationRegistry"):
        return abi_encode(["address"], [at("AgentRegistry")])
    if name == "ReputationRegistry":
        return abi_encode(["address", "address"], [at("AgentRegistry"), ZERO_ADDRESS])
    if name == "BackedReputationRegistry":
        return abi_encode(["address", "address"], [at("AgentRegistry"), at("IntentSettler")])
    if name == "SessionExtension":
        return abi_encode(["address", "address"], [at("AgentRegistry"), at("SessionActivator")])
    if name == "SessionManager":
        return abi_encode(["address", "address"], [at("AgentRegistry"), at("SessionExtension")])
    if name == "SessionView":
        return abi_encode(["address"], [at("SessionManager")])
    if name == "AccountDelegate":
        return abi_encode(["address", "address"], [ZERO_ADDRESS, at("SessionManager")])
    if name == "IntentSettler":
        return abi_encode(
            ["address", "address", "address"], [at("AgentRegistry"), at("SessionManager"), at("IntentView")]
        )
    _contract(name)
    return b""


def deployment_code(name: str, evm_version: str | None = None) -> HexBytes:
    """Init code (built for `evm_version`) plus constructor arguments of suite entry `name`."""
    code = contract_init_code(_contract(name), evm_version)
    return HexBytes(bytes(code) + constructor_args(name, evm_version))


def init_code_hash(name: str, evm_version: str | None = None) -> HexBytes:
    """keccak256 of suite entry `name`'s deployment code: the CREATE2 input that fixes its address."""
    return HexBytes(keccak(bytes(deployment_code(name, evm_version))))


def _create2(code: bytes, salt: bytes) -> ChecksumAddress:
    if len(salt) != 32:
        raise CharterError(f"a CREATE2 salt is 32 bytes, got {len(salt)}")
    digest = keccak(b"\xff" + HexBytes(CREATE2_DEPLOYER) + salt + keccak(code))
    return Web3.to_checksum_address(digest[12:])


def create2_address(name: str, salt: bytes = SALT, evm_version: str | None = None) -> ChecksumAddress:
    """The address suite entry `name`, built for `evm_version` (default: prague), gets from the
    CREATE2 deployer on any chain."""
    return _create2(deployment_code(name, evm_version), salt)


def view_address(manager: str, salt: bytes = SALT) -> ChecksumAddress:
    """The SessionView of `manager` (the suite's own, or one deployed the same way for another manager)."""
    code = bytes(init_code("SessionView")) + abi_encode(["address"], [Web3.to_checksum_address(manager)])
    return _create2(code, salt)


def deploy_calldata(name: str, salt: bytes = SALT, evm_version: str | None = None) -> HexBytes:
    """Calldata for the CREATE2 deployer: the salt followed by the init code."""
    return HexBytes(salt + bytes(deployment_code(name, evm_version)))


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


def packaged_manifest_path() -> Path:
    """Where the manifest shipped in the package lives (read-only for development chains)."""
    return Path(str(resources.files("charter").joinpath("deployments").joinpath("manifest.json")))


def is_packaged(manifest: Manifest) -> bool:
    """True if `manifest` is backed by the packaged file (opened by its path)."""
    if manifest.path is None:
        return False
    try:
        return manifest.path.resolve() == packaged_manifest_path().resolve()
    except OSError:
        return False


def development_node(w3: Web3) -> str | None:
    """Why the connected node is a development chain or a fork (chain id 31337 / 1337, or an
    anvil / Hardhat / Ganache node, forks included, whatever chain id they keep), else None."""
    chain_id = int(w3.eth.chain_id)
    if chain_id in DEV_CHAIN_IDS:
        return f"chain id {chain_id} is a development chain"
    try:
        client = str(w3.client_version)
    except Exception:  # noqa: BLE001 - a node that does not say what it is is taken for a real one
        return None
    if any(name in client.lower() for name in DEV_CLIENTS):
        return f"the node is {client}, a development node or a fork"
    return None


def check_recordable(w3: Web3, manifest: Manifest) -> None:
    """Refuse to record a development chain or a fork in the packaged manifest (it lists
    public deployments; a fork of mainnet keeps chain id 1 but its state dies with it)."""
    if not is_packaged(manifest):
        return
    if (reason := development_node(w3)) is not None:
        raise CharterError(
            f"not recording chain {w3.eth.chain_id} in the packaged manifest {manifest.path}: {reason}; "
            f"name another manifest with --manifest or ${MANIFEST_ENV}, or none"
        )


def resolve_address(w3: Web3, name: str, manifest: Manifest | None = None) -> ChecksumAddress:
    """Where contract `name` lives on the connected chain.

    The manifest entry for this chain wins; otherwise the deterministic
    CREATE2 address is used if code is there. Raises :class:`NotDeployed`.
    """
    chain_id = w3.eth.chain_id
    manifest = manifest if manifest is not None else Manifest.load()
    candidates: list[ChecksumAddress] = []
    builds = (DEFAULT_EVM_VERSION, *(v for v in EVM_VERSIONS if v != DEFAULT_EVM_VERSION))
    for found in (manifest.address(chain_id, name), *(create2_address(name, evm_version=v) for v in builds)):
        if found and found not in candidates:
            candidates.append(found)
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
        raise _missing_deployer(w3)
    tx_hash = HexBytes(signer.send_transaction(w3, {"to": CREATE2_DEPLOYER, "data": HexBytes(salt + code)}))
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1 or len(w3.eth.get_code(address)) == 0:
        raise CharterError(
            f"deploying {name} failed in transaction {tx_hash.to_0x_hex()}; "
            "check the sender's balance and the chain's contract size limit"
        )
    return DeployResult(name, address, deployed=True, transaction=tx_hash.to_0x_hex(),
                        block=int(receipt["blockNumber"]), gas_used=int(receipt["gasUsed"]))


def _missing_deployer(w3: Web3) -> NotDeployed:
    return NotDeployed(
        f"the CREATE2 deployer {CREATE2_DEPLOYER} is missing on chain {w3.eth.chain_id}; "
        "deploy it first (see docs/deploy.md)"
    )


def build_details(name: str, evm_version: str | None = None) -> dict[str, str]:
    """What the manifest records about the build of suite entry `name`: EVM version, init-code hash, compiler."""
    evm_version = check_evm_version(evm_version)
    return {
        "evm_version": evm_version,
        "init_code_hash": init_code_hash(name, evm_version).to_0x_hex(),
        "compiler": str(load_artifact(_contract(name)).get("compiler", "")),
    }


@dataclass(frozen=True)
class PlannedDeployment:
    """What deploying suite entry `name` would do (:func:`plan_deployment`); nothing is sent."""

    name: str
    contract: str
    address: ChecksumAddress
    evm_version: str
    init_code_hash: str
    deployed: bool  # code is already at the address: deploying leaves it alone
    gas: int | None = None  # the node's estimate for the deployer call, when it could make one
    note: str | None = None  # why there is no estimate


def plan_deployment(
    w3: Web3,
    sender: str | None = None,
    names: Iterable[str] = CONTRACTS,
    evm_version: str | None = None,
) -> list[PlannedDeployment]:
    """A dry run: per suite entry, its address, whether code is there, its build and the gas the node
    estimates for deploying it from `sender`. Only reads the chain."""
    evm_version = check_evm_version(evm_version)
    has_deployer = len(w3.eth.get_code(CREATE2_DEPLOYER)) > 0
    planned: list[PlannedDeployment] = []
    pending: list[str] = []
    for name in names:
        address = create2_address(name, evm_version=evm_version)
        deployed = len(w3.eth.get_code(address)) > 0
        gas: int | None = None
        note: str | None = None
        if not deployed:
            if not has_deployer:
                note = f"the CREATE2 deployer {CREATE2_DEPLOYER} is missing"
            else:
                tx: dict[str, Any] = {"to": CREATE2_DEPLOYER, "data": deploy_calldata(name, evm_version=evm_version)}
                if sender is not None:
                    tx["from"] = Web3.to_checksum_address(sender)
                try:
                    gas = int(w3.eth.estimate_gas(tx))  # type: ignore[arg-type]
                except Exception as exc:  # noqa: BLE001 - a node's refusal to estimate is reported, not raised
                    args = constructor_args(name, evm_version)
                    reads = [n for n in pending if bytes(HexBytes(create2_address(n, evm_version=evm_version))) in args]
                    note = (
                        f"its constructor reads {', '.join(reads)}, not deployed yet"
                        if reads else f"the node could not estimate it: {str(exc).splitlines()[0][:120]}"
                    )
            pending.append(name)
        planned.append(PlannedDeployment(
            name=name, contract=_contract(name), address=address, evm_version=evm_version,
            init_code_hash=init_code_hash(name, evm_version).to_0x_hex(), deployed=deployed, gas=gas, note=note,
        ))
    return planned


def ensure_deployed(
    w3: Web3,
    signer: Signer,
    names: Iterable[str] = CONTRACTS,
    manifest: Manifest | None = None,
    on_progress: Callable[[DeployResult], None] | None = None,
    evm_version: str | None = None,
) -> list[DeployResult]:
    """Deploy every contract in `names`, built for `evm_version` (default: prague), that is not on the
    chain yet.

    Idempotent: a contract whose deterministic address already has code is
    left alone. Records each address, with the build's EVM version and
    init-code hash, in `manifest` (and saves it if it has a path). The packaged
    manifest is refused on a development chain or a fork (:func:`check_recordable`),
    before anything is sent.
    """
    evm_version = check_evm_version(evm_version)
    if manifest is not None:
        check_recordable(w3, manifest)
    if len(w3.eth.get_code(CREATE2_DEPLOYER)) == 0:
        raise _missing_deployer(w3)
    chain_id = w3.eth.chain_id
    results = []
    for name in names:
        result = deploy_code(w3, signer, name, bytes(deployment_code(name, evm_version)))
        address = result.address
        if manifest is not None:
            details: dict[str, Any] = {}
            previous = manifest.chains.get(str(chain_id), {}).get(name)
            if result.deployed:
                details = {"block": result.block, "transaction": result.transaction}
            elif previous is not None and previous.get("address") == address:
                details = {k: v for k, v in previous.items() if k != "address"}
            build = build_details(name, evm_version)
            if details.get("init_code_hash") != build["init_code_hash"]:
                details.update(build)
            manifest.record(chain_id, name, address, **{**build, **details})
        if on_progress is not None:
            on_progress(result)
        results.append(result)
    if manifest is not None and manifest.path is not None:
        manifest.save()
    return results
