"""Register an agent owned by the sending account.

    ape run register --network ethereum:local:foundry --uri ipfs://... --meta role=trader
    ape run register --network ethereum:sepolia:node --sender alice --uri https://...

A thin wrapper over ``charter.Registry.register``.
"""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, network_option

from charter.ape_extras import clean_errors, connect, manifest_option, resolve_account, sender_option
from charter.cli import parse_metadata_pairs


@click.command(cls=ConnectedProviderCommand, short_help="Register an agent")
@network_option()
@sender_option
@click.option("--uri", default="", help="agent URI (its registration file / agent card)")
@click.option("--meta", multiple=True, metavar="KEY=VALUE", help="metadata entry (repeatable)")
@manifest_option
@clean_errors
def cli(alias: str | None, uri: str, meta: tuple[str, ...], manifest: str | None) -> None:
    entries = parse_metadata_pairs(meta)
    charter = connect(resolve_account(alias), manifest)
    agent_id = charter.registry.register(uri, metadata=entries)
    click.echo(f"registered agent {agent_id} on chain {charter.chain_id}")
