"""Deploy the Charter contracts deterministically (CREATE2).

    ape run deploy --network ethereum:local:foundry
    ape run deploy --network ethereum:sepolia:node --sender deployer [--manifest PATH] [--yes]

Identical bytecode gets the same address on every chain; running it again when
the contracts are there is a no-op. Addresses are recorded per chain id in the
deployment manifest: ``--manifest``, else ``$CHARTER_MANIFEST``, else the
manifest shipped in the package (``src/charter/deployments/manifest.json``),
which the SDK reads. Development chains are recorded only in an explicitly
named manifest (their state dies with the node).
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, network_option

from charter.ape_extras import ApeSigner, clean_errors, is_local, resolve_account, sender_option, web3
from charter.deployments import (
    CONTRACTS,
    MANIFEST_ENV,
    Manifest,
    create2_address,
    ensure_deployed,
)

PACKAGED_MANIFEST = (
    Path(__file__).resolve().parent.parent / "src" / "charter" / "deployments" / "manifest.json"
)


@click.command(cls=ConnectedProviderCommand, short_help="Deploy Charter (CREATE2)")
@network_option()
@sender_option
@click.option("--manifest", type=click.Path(dir_okay=False), help="manifest to record addresses in")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@clean_errors
def cli(alias: str | None, manifest: str | None, yes: bool) -> None:
    local = is_local()
    account = resolve_account(alias)
    path = manifest or os.environ.get(MANIFEST_ENV) or (None if local else str(PACKAGED_MANIFEST))
    w3 = web3()
    click.echo(f"chain {w3.eth.chain_id}, deployer {account.address}, manifest {path or '(none)'}")
    for name in CONTRACTS:
        click.echo(f"{name} -> {create2_address(name)}")
    if not local and not yes:
        click.confirm("Deploy (only contracts that are missing)?", abort=True)
    results = ensure_deployed(
        w3,
        ApeSigner(account),
        manifest=Manifest.load(path) if path else None,
        on_progress=lambda r: click.echo(
            f"  {r.name}: "
            + (f"deployed at {r.address} (gas {r.gas_used:,})" if r.deployed else f"already at {r.address}")
        ),
    )
    click.echo(
        f"done: {sum(r.deployed for r in results)} deployed, {sum(not r.deployed for r in results)} already there"
    )
