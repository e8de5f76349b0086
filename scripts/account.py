"""Charter accounts: upgrade an EOA with EIP-7702, deploy one per owner, show one.

    ape run account upgrade --network ethereum:local:foundry              # the sender's EOA (test account 0)
    ape run account upgrade --sender alice --sponsor payer --network ...  # payer sends and pays
    ape run account deploy --owner 0xOwner --salt 7 --network ...         # idempotent; anyone may pay
    ape run account address 0xOwner --salt 7 --network ...               # where deploy puts it
    ape run account show [0xAccount] --network ...                        # default: the sender's address

The EIP-7702 authorization is signed by the sending ape account itself
(ape's ``sign_authorization``: test accounts, and keyfile accounts, which ask
you to confirm "full root access"). An ape account type that cannot sign one
(a hardware wallet plugin, for instance) is refused with the other way:
``charter account upgrade`` with the EOA's key in ``$CHARTER_PRIVATE_KEY``.
Thin wrappers over ``charter.Accounts``.
"""

from __future__ import annotations

import json

import click
from ape.cli import ConnectedProviderCommand, network_option

from charter.ape_extras import clean_errors, connect, manifest_option, resolve_account, sender_option

json_flag = click.option("--json", "as_json", is_flag=True, help="print JSON")
salt_option = click.option("--salt", default="0", show_default=True, help="CREATE2 salt (integer or 0x + 64 hex)")


@click.group(short_help="Upgrade (EIP-7702), deploy or show a Charter account")
def cli() -> None:
    pass


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@sender_option
@click.option("--sponsor", metavar="ALIAS", help="ape account that sends and pays for the type-4 transaction")
@json_flag
@manifest_option
@clean_errors
def upgrade(alias: str | None, sponsor: str | None, as_json: bool, manifest: str | None) -> None:
    """Turn the sender's EOA into a Charter account (EIP-7702; it keeps its address and assets)."""
    account = resolve_account(alias)
    charter = connect(account, manifest)
    result = charter.accounts.upgrade(account, sponsor=resolve_account(sponsor) if sponsor else None)
    address = charter.signer.address
    if as_json:
        click.echo(json.dumps({"account": address, **result.model_dump()}, indent=2))
    elif not result.sent:
        click.echo(f"{address} is already a Charter account (EIP-7702) of this suite: nothing was sent")
    else:
        click.echo(f"{address} is now a Charter account (EIP-7702) (tx {result.tx_hash}, gas {result.gas_used:,})")


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@sender_option
@click.option("--owner", metavar="ADDRESS", help="the account's owner (default: the sender)")
@salt_option
@json_flag
@manifest_option
@clean_errors
def deploy(alias: str | None, owner: str | None, salt: str, as_json: bool, manifest: str | None) -> None:
    """Deploy OWNER's account at its deterministic address (idempotent; the sender pays)."""
    charter = connect(resolve_account(alias), manifest)
    owner = owner or charter.signer.address
    before = charter.accounts.kind(charter.accounts.address_of(owner, salt))
    address = charter.accounts.deploy(owner, salt)
    if as_json:
        click.echo(json.dumps({"owner": owner, "salt": salt, "account": address, "deployed": before is None}))
    else:
        click.echo(f"account {address} (owner {owner}): " + ("deployed" if before is None else "already there"))


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("owner")
@salt_option
@manifest_option
@clean_errors
def address(owner: str, salt: str, manifest: str | None) -> None:
    """Print the deterministic address of OWNER's deployed account (deployed or not)."""
    click.echo(connect(None, manifest).accounts.address_of(owner, salt))


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("account", required=False)
@sender_option
@json_flag
@manifest_option
@clean_errors
def show(account: str | None, alias: str | None, as_json: bool, manifest: str | None) -> None:
    """Show ACCOUNT (default: the sender's address): kind, owner, balance, epoch, session length."""
    charter = connect(None, manifest)
    info = charter.accounts.info(account or str(resolve_account(alias).address))
    data = info.model_dump(mode="json")
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for field, value in data.items():
        click.echo(f"{field:>18}: {value}")
