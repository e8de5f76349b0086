"""Deploy the Charter contracts deterministically (CREATE2).

    ape run deploy --network ethereum:local:foundry
    ape run deploy --network ethereum:sepolia:node --sender deployer --dry-run
    ape run deploy --network ethereum:sepolia:node --sender deployer [--evm-version cancun]
                   [--manifest PATH] [--verify-dir DIR] [--no-verify] [--yes]

``--dry-run`` prints, per contract, its CREATE2 address, whether code is
already there, its init-code hash, the EVM version of its build and the gas
the node estimates, and sends nothing. Otherwise the script asks before
sending on a real network (``--yes`` does not ask; without ``--yes`` and
without a terminal to ask at, it refuses; with ``--yes`` and
``$APE_ACCOUNTS_<ALIAS>_PASSPHRASE`` set, a keyfile account signs without
asking, for CI), deploys what is missing (running it
again when the contracts are there is a no-op), and records per chain id, per
contract: address, block, transaction, EVM version and init-code hash, in the
manifest: ``--manifest``, else ``$CHARTER_MANIFEST``, else (real networks
only) the manifest shipped in the package (``src/charter/deployments/
manifest.json``), which the SDK reads. Development chains and forks are
recorded only in an explicitly named manifest (their state dies with the
node); a fork never writes the packaged one.

The EVM version: ``--evm-version``, else the network's entry under
``charter: evm_versions:`` in ape-config.yaml (keyed by ``ecosystem:network``
or by chain id; a fork uses its upstream network's entry), else ``prague``.

For explorer verification it writes, per contract, the compiler's
standard-JSON input and the constructor arguments to ``--verify-dir`` (default
``.build/verify/<chain id>/``; on development chains only when
``--verify-dir`` is given); with the ape-etherscan plugin installed and
``$ETHERSCAN_API_KEY`` set, it also submits them to the network's explorer.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, network_option

from charter.ape_extras import ApeSigner, clean_errors, is_local, resolve_account, sender_option, web3
from charter.deployments import (
    CONTRACT_OF,
    DEFAULT_EVM_VERSION,
    EVM_VERSIONS,
    MANIFEST_ENV,
    Manifest,
    PlannedDeployment,
    check_evm_version,
    constructor_args,
    ensure_deployed,
    plan_deployment,
)
from charter.exceptions import CharterError

ROOT = Path(__file__).resolve().parent.parent
PACKAGED_MANIFEST = ROOT / "src" / "charter" / "deployments" / "manifest.json"
VERIFY_DIR = ROOT / ".build" / "verify"
CONFIG_KEY = "evm_versions"  # ape-config.yaml: charter: evm_versions: {NETWORK or CHAIN_ID: EVM_VERSION}
ETHERSCAN_PLUGIN = "ape_etherscan"
ETHERSCAN_PIN = "ape-etherscan==0.8.7"  # the release for eth-ape 0.8 (requires eth-ape>=0.8.21,<0.9)
ETHERSCAN_KEY_ENV = "ETHERSCAN_API_KEY"
VYPER_VERSION = "0.4.3"


def configured_evm_versions() -> dict[str, str]:
    """``charter: evm_versions:`` of ape-config.yaml: network (``ecosystem:network``) or chain id -> EVM version."""
    from ape import config

    section = config.get_config("charter")
    raw = section.get(CONFIG_KEY) if hasattr(section, "get") else getattr(section, CONFIG_KEY, None)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CharterError(
            f"ape-config.yaml: charter.{CONFIG_KEY} must map a network (ecosystem:network) or a chain id "
            "to an EVM version"
        )
    mapping: dict[str, str] = {}
    for key, value in raw.items():
        if str(value) not in EVM_VERSIONS:
            raise CharterError(
                f"ape-config.yaml: charter.{CONFIG_KEY}.{key} is {value!r}; choose one of {', '.join(EVM_VERSIONS)}"
            )
        mapping[str(key)] = str(value)
    return mapping


def choose_evm_version(option: str | None, ecosystem: str, network: str, chain_id: int,
                       configured: dict[str, str]) -> tuple[str, str]:
    """The EVM version to build for and where the choice came from."""
    if option is not None:
        return check_evm_version(option), "--evm-version"
    upstream = network.removesuffix("-fork")
    for key in (f"{ecosystem}:{network}", f"{ecosystem}:{upstream}", str(chain_id)):
        if key in configured:
            return configured[key], f"ape-config.yaml charter.{CONFIG_KEY}[{key!r}]"
    return DEFAULT_EVM_VERSION, "default"


def manifest_path(option: str | None, local: bool, fork: bool) -> Path | None:
    """Where deployments are recorded; ``None``: nowhere (a development chain or fork without a named manifest)."""
    chosen = option or os.environ.get(MANIFEST_ENV)
    if chosen is None:
        return None if local or fork else PACKAGED_MANIFEST
    path = Path(chosen)
    if fork and path.resolve() == PACKAGED_MANIFEST.resolve():
        raise CharterError(
            f"{path} is the packaged manifest: a fork's deployments die with it and are never recorded there; "
            "name another manifest"
        )
    return path


def etherscan(network: Any) -> tuple[Any | None, str]:
    """The ape-etherscan explorer of `network`, or ``None`` and what is missing to use one."""
    if importlib.util.find_spec(ETHERSCAN_PLUGIN) is None:
        return None, f"the ape-etherscan plugin is not installed (`pip install {ETHERSCAN_PIN}`)"
    if not os.environ.get(ETHERSCAN_KEY_ENV):
        return None, f"${ETHERSCAN_KEY_ENV} is not set (ape-etherscan needs an API key)"
    explorer = getattr(network, "explorer", None)
    if explorer is None or type(explorer).__module__.split(".")[0] != ETHERSCAN_PLUGIN:
        return None, f"ape-etherscan has no explorer for network {getattr(network, 'choice', network)}"
    return explorer, ""


def _load_build_tools() -> ModuleType:
    path = ROOT / "tools" / "build_artifacts.py"
    spec = importlib.util.spec_from_file_location("charter_build_artifacts", path)
    if spec is None or spec.loader is None or not path.exists():
        raise CharterError(f"{path} is missing: the standard-JSON input is written from a Charter checkout")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_verification_input(directory: Path, chain_id: int, evm_version: str,
                             entries: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Per suite entry (name, address): ``<Name>.json`` (standard-JSON input) and
    ``<Name>.constructor-args.txt`` (hex, no 0x) in `directory`, and an index, ``verify.json``."""
    tools = _load_build_tools()
    directory.mkdir(parents=True, exist_ok=True)
    index: dict[str, dict[str, Any]] = {}
    inputs: dict[str, dict[str, Any]] = {}
    for name, address in entries:
        contract = CONTRACT_OF[name]
        if contract not in inputs:
            inputs[contract] = tools.standard_json(contract, evm_version)
        source = tools.source_of(contract)
        args = constructor_args(name, evm_version).hex()
        (directory / f"{name}.json").write_text(json.dumps(inputs[contract], indent=1) + "\n")
        (directory / f"{name}.constructor-args.txt").write_text(args + "\n")
        index[name] = {
            "address": address, "contract": f"{source}:{contract}", "compiler": f"vyper:{VYPER_VERSION}",
            "evm_version": evm_version, "standard_json": f"{name}.json", "constructor_args": args,
        }
    (directory / "verify.json").write_text(
        json.dumps({"chain_id": chain_id, "contracts": index}, indent=1, sort_keys=True) + "\n"
    )
    return index


def submit(explorer: Any, directory: Path, index: dict[str, dict[str, Any]]) -> list[str]:
    """Submit every contract of `index` to an ape-etherscan explorer; the names that failed."""
    failed = []
    for name, entry in index.items():
        client = explorer._client_factory.get_contract_client(entry["address"])
        try:
            guid = client.verify_source_code(
                json.loads((directory / entry["standard_json"]).read_text()), VYPER_VERSION,
                contract_name=entry["contract"], optimization_used=True,
                constructor_arguments=entry["constructor_args"], evm_version=entry["evm_version"],
                language="vyper",
            )
            status = _wait_for(client, guid)
        except Exception as exc:  # noqa: BLE001 - the explorer's answer is reported per contract
            status = "already verified" if "already verified" in str(exc).lower() else f"failed: {exc}"
        click.echo(f"  {name}: explorer verification {status}")
        if status.startswith("failed"):
            failed.append(name)
    return failed


def _wait_for(client: Any, guid: str, attempts: int = 60) -> str:
    for _ in range(attempts):
        answer = str(client.check_verify_status(guid))
        if answer.startswith("Pass"):
            return "passed"
        if answer.startswith("Fail"):
            return f"failed: {answer}"
        if "already verified" in answer.lower():
            return "already verified"
        time.sleep(3)
    return f"failed: no verdict after {attempts} checks (guid {guid})"


def _row(p: PlannedDeployment) -> str:
    state = "already deployed" if p.deployed else "to deploy"
    gas = "-" if p.deployed else (f"{p.gas:,}" if p.gas is not None else f"n/a ({p.note})")
    return (f"  {p.name}: {p.address} {state}; init code hash {p.init_code_hash}; "
            f"evm {p.evm_version}; estimated gas {gas}")


@click.command(cls=ConnectedProviderCommand, short_help="Deploy Charter (CREATE2)")
@network_option()
@sender_option
@click.option("--manifest", type=click.Path(dir_okay=False), help="manifest to record addresses in")
@click.option("--evm-version", "evm_option", metavar="|".join(EVM_VERSIONS),
              help="EVM version of the build (default: ape-config.yaml charter.evm_versions, else prague)")
@click.option("--dry-run", is_flag=True, help="print what would be deployed and where; send nothing")
@click.option("--verify-dir", type=click.Path(file_okay=False),
              help="where to write the standard-JSON input (default: .build/verify/<chain id>; "
                   "on development chains only when given)")
@click.option("--no-verify", is_flag=True, help="write no verification input and submit nothing")
@click.option("--yes", is_flag=True,
              help="do not ask for confirmation (with $APE_ACCOUNTS_<ALIAS>_PASSPHRASE, nor to sign)")
@clean_errors
def cli(alias: str | None, manifest: str | None, evm_option: str | None, dry_run: bool,
        verify_dir: str | None, no_verify: bool, yes: bool) -> None:
    from ape import networks

    network = networks.provider.network
    fork = network.name.endswith("-fork")
    local = is_local()
    w3 = web3()
    chain_id = int(w3.eth.chain_id)
    evm_version, source = choose_evm_version(
        evm_option, network.ecosystem.name, network.name, chain_id, configured_evm_versions()
    )
    path = manifest_path(manifest, local, fork)
    account = resolve_account(alias) if alias or local or not dry_run else None
    passphrase = os.environ.get(f"APE_ACCOUNTS_{alias}_PASSPHRASE") if alias else None
    if yes and not dry_run and passphrase and hasattr(account, "set_autosign"):
        account.set_autosign(True, passphrase=passphrase)  # CI: a keyfile account signs without asking
    sender = account.address if account is not None else None
    click.echo(f"network {network.choice}, chain {chain_id}, deployer {sender or '(none: dry run)'}")
    click.echo(f"evm version {evm_version} ({source}), manifest {path or '(none)'}")
    plan = plan_deployment(w3, sender, evm_version=evm_version)
    for planned in plan:
        click.echo(_row(planned))
    missing = [p for p in plan if not p.deployed]
    if dry_run:
        gas = sum(p.gas or 0 for p in missing)
        unestimated = sum(p.gas is None for p in missing)
        click.echo(f"dry run: would deploy {len(missing)} of {len(plan)}, estimated gas {gas:,}"
                   + (f" (+{unestimated} without an estimate)" if unestimated else "") + "; nothing sent")
        return
    if missing and not local and not yes:
        if not sys.stdin.isatty():
            raise CharterError(
                f"not deploying to chain {chain_id} without confirmation: stdin is not a terminal; "
                "pass --yes (or --dry-run to only look)"
            )
        click.confirm(f"Deploy {len(missing)} contract(s) to chain {chain_id}?", abort=True)
    results = ensure_deployed(
        w3,
        ApeSigner(account),
        manifest=Manifest.load(path) if path else None,
        evm_version=evm_version,
        on_progress=lambda r: click.echo(
            f"  {r.name}: "
            + (f"deployed at {r.address} (gas {r.gas_used:,})" if r.deployed else f"already at {r.address}")
        ),
    )
    click.echo(
        f"done: {sum(r.deployed for r in results)} deployed, {sum(not r.deployed for r in results)} already there"
    )
    if no_verify or (local and not verify_dir):  # a development chain's contracts are never on an explorer
        return
    directory = Path(verify_dir) if verify_dir else VERIFY_DIR / str(chain_id)
    index = write_verification_input(directory, chain_id, evm_version, [(r.name, r.address) for r in results])
    click.echo(f"verification input (standard JSON + constructor arguments): {directory}")
    if local:
        return
    explorer, missing_reason = etherscan(network)
    if explorer is None:
        click.echo(f"explorer verification skipped: {missing_reason}; submit {directory}/<Contract>.json "
                   "as Vyper standard-JSON input with its constructor arguments (docs/deploy.md)")
        return
    failed = submit(explorer, directory, index)
    if failed:
        raise CharterError(
            f"explorer verification failed for {', '.join(failed)}; the standard-JSON input is in {directory}"
        )
