"""``charter deploy``: the Charter contracts, at the same CREATE2 addresses on every chain."""

from __future__ import annotations

import dataclasses

import click
from rich.table import Table

from .._core.deployments import DEFAULT_EVM_VERSION, EVM_VERSIONS, DeployResult
from .._core.revert import translate
from ..client import Charter
from ._common import get_state, json_option, make_console, print_json, progress, wants_json


@click.command()
@click.option(
    "--evm-version",
    type=click.Choice(EVM_VERSIONS),
    default=DEFAULT_EVM_VERSION,
    show_default=True,
    help="The build to deploy (a chain without Prague opcodes: cancun).",
)
@json_option
@click.pass_context
def deploy(ctx: click.Context, evm_version: str, as_json: bool) -> None:
    """Deploy the Charter contracts (CREATE2: the same address on every chain).

    Idempotent: contracts already deployed are left alone. The addresses are
    recorded in --manifest / $CHARTER_MANIFEST when one is given, with the EVM
    version and init-code hash of the build each chain got.
    """
    state = get_state(ctx)
    w3 = state.w3
    signer = state.signer("deploy")
    manifest = state.manifest(create=True)  # deploy records into it
    with progress("deploy: checking the contracts…") as update:
        results: list[DeployResult] = Charter.deploy(
            w3, signer, manifest=manifest, on_progress=lambda r: update(f"deploy: {r.name} done, next…"),
            evm_version=evm_version,
        )
    with translate(w3):
        chain_id = int(w3.eth.chain_id)
    if wants_json(ctx, as_json):
        print_json(
            {
                "chain_id": chain_id,
                "evm_version": evm_version,
                "manifest": str(manifest.path) if manifest.path is not None else None,
                "contracts": [dataclasses.asdict(r) for r in results],
            }
        )
        return
    table = Table(title=f"Charter on chain {chain_id}", title_justify="left")
    for column in ("contract", "address", "status", "transaction", "gas"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            r.name,
            r.address,
            "deployed" if r.deployed else "already deployed",
            r.transaction or "-",
            f"{r.gas_used:,}" if r.gas_used is not None else "-",
        )
    console = make_console()
    console.print(table)
    if manifest.path is not None:
        console.print(f"manifest: {manifest.path}")
