"""Show an agent and change its lifecycle status.

    ape run agent show 1 --network ethereum:local:foundry
    ape run agent pause 1 --sender alice --network ...
    ape run agent resume 1 ...
    ape run agent retire 1 ...      # final

Thin wrappers over ``charter.Registry``.
"""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, network_option

from charter.ape_extras import clean_errors, connect, manifest_option, resolve_account, sender_option


@click.group(short_help="Show, pause, resume or retire an agent")
def cli() -> None:
    pass


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("agent_id", type=int)
@manifest_option
@clean_errors
def show(agent_id: int, manifest: str | None) -> None:
    """Print an agent's owner, status, wallet and URI."""
    info = connect(None, manifest).registry.agent(agent_id)
    data = {**info.model_dump(mode="json"), "status": info.status.label}
    for field, value in data.items():
        click.echo(f"{field:>16}: {value}")


def _lifecycle(verb: str) -> click.Command:
    @click.command(name=verb, cls=ConnectedProviderCommand, help=f"{verb.capitalize()} an agent.")
    @network_option()
    @click.argument("agent_id", type=int)
    @sender_option
    @manifest_option
    @clean_errors
    def command(agent_id: int, alias: str | None, manifest: str | None) -> None:
        registry = connect(resolve_account(alias), manifest).registry
        getattr(registry, verb)(agent_id)
        click.echo(f"agent {agent_id}: {registry.status(agent_id).name.lower()}")

    return command


for _verb in ("pause", "resume", "retire"):
    cli.add_command(_lifecycle(_verb))
