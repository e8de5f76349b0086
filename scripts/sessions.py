"""List an account's grants with status, expiry and budgets left.

    ape run sessions 0xAccount --network ethereum:local:foundry
    ape run sessions --json --network ...       # the sender's account, as JSON (--sender ALIAS)

Read from the SessionManager's events (grants used, issued or revoked on
chain). A thin wrapper over ``charter.Sessions.grants``.
"""

from __future__ import annotations

import json

import click
from ape.cli import ConnectedProviderCommand, network_option

from charter._core.revert import format_time
from charter.ape_extras import clean_errors, connect, manifest_option, resolve_account, sender_option


@click.command(cls=ConnectedProviderCommand, short_help="List an account's session grants")
@network_option()
@click.argument("account", required=False)
@sender_option
@click.option("--from-block", type=int, default=0, help="scan events from this block")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@manifest_option
@clean_errors
def cli(account: str | None, alias: str | None, from_block: int, as_json: bool, manifest: str | None) -> None:
    charter = connect(None, manifest)
    address = account or str(resolve_account(alias).address)
    records = charter.sessions.grants(address, from_block=from_block)
    if as_json:
        click.echo(json.dumps({"account": address, "grants": [r.model_dump(mode="json") for r in records]}, indent=2))
        return
    if not records:
        click.echo(f"no grant of {address} on chain")
    for r in records:
        line = f"{r.grant_hash}  agent {r.agent_id or '-'}  {r.status_label}"
        if r.valid_until:
            line += f"  until {format_time(r.valid_until)}"
        if r.state is not None:
            calls = "unlimited" if r.state.calls_left is None else f"{r.state.calls_left:,}"
            line += f"  calls left {calls}  wei left {r.state.native_left:,}"
            for t in r.state.tokens:
                line += f"  {t.left:,} of {t.token} left"
        click.echo(line)
