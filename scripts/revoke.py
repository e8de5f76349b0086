"""Revoke one grant, or every grant of the account, at once.

    ape run revoke 0xGrantHash --network ethereum:local:foundry
    ape run revoke grant.json --network ...     # a grant file; a multi-chain one: this network's entry
    ape run revoke --all --network ...          # revoke-all: every grant, used or not

The sender is --sender ALIAS (test account 0 on local chains); the account
is --account ADDRESS (a deployed AgentAccount the sender owns) or, by
default, the sender (an EIP-7702 account), as in `charter session revoke`. A thin wrapper over
``charter.Sessions.revoke`` / ``revoke_all``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, network_option

from charter.ape_extras import account_option, clean_errors, connect, manifest_option, resolve_account, sender_option
from charter.exceptions import InvalidInput
from charter.sessions.describe import load_grant


@click.command(cls=ConnectedProviderCommand, short_help="Revoke a grant (or all with --all)")
@network_option()
@click.argument("grant_hash", required=False)
@click.option("--all", "revoke_all", is_flag=True, help="revoke every grant of the account (revoke-all)")
@sender_option
@account_option
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@manifest_option
@clean_errors
def cli(
    grant_hash: str | None, revoke_all: bool, alias: str | None, account_address: str | None, as_json: bool,
    manifest: str | None,
) -> None:
    if (grant_hash is None) == (not revoke_all):
        raise InvalidInput("give either a GRANT_HASH or --all (one of them; GRANT_HASH may also be a grant file)")
    charter = connect(resolve_account(alias), manifest)
    account = account_address or charter.signer.address
    if grant_hash is not None and Path(grant_hash).is_file():  # a grant file (a multi-chain one: this chain's entry)
        signed, _ = load_grant(grant_hash, charter.sessions.chain_id)
        if signed.chain_id != charter.sessions.chain_id:
            raise InvalidInput(f"grant file {grant_hash} is for chain {signed.chain_id}: run this on its network")
        account = signed.grant.account
        result = charter.sessions.revoke(signed)
        what = f"grant {result.grant_hash} of {account} revoked on chain {signed.chain_id}"
    elif revoke_all:
        result = charter.sessions.revoke_all(account)
        what = f"every grant of {account} revoked (epoch now {charter.sessions.epoch_of(account)})"
    else:
        result = charter.sessions.revoke(grant_hash, account=account)
        what = f"grant {result.grant_hash} of {account} revoked"
    if as_json:
        click.echo(json.dumps({"account": account, "all": revoke_all, **result.model_dump()}, indent=2))
    else:
        click.echo(f"{what} (tx {result.tx_hash})")
