"""``charter account ...``: Charter accounts, deployed per owner or an EOA upgraded with EIP-7702."""

from __future__ import annotations

import click

from .._core.checks import check_address
from .._core.signers import LocalSigner
from ..exceptions import InvalidInput
from ._common import (
    KEY_ENV,
    CharterGroup,
    get_state,
    json_option,
    kv_table,
    make_console,
    print_json,
    tx_json,
    tx_line,
    wants_json,
)


@click.group(cls=CharterGroup)
def account() -> None:
    """Charter accounts: deployed per owner, or an EOA upgraded with EIP-7702."""


@account.command("address")
@click.argument("owner")
@click.option("--salt", default="0", show_default=True, help="CREATE2 salt (integer or 0x + 64 hex).")
@json_option
@click.pass_context
def account_address_command(ctx: click.Context, owner: str, salt: str, as_json: bool) -> None:
    """Print the deterministic address of OWNER's deployed account."""
    address = get_state(ctx).charter().accounts.address_of(owner, salt)
    if wants_json(ctx, as_json):
        print_json({"owner": check_address(owner), "salt": salt, "account": address})
    else:
        click.echo(address)


@account.command("deploy")
@click.option("--owner", metavar="ADDRESS", help="The owner (default: the sender).")
@click.option("--salt", default="0", show_default=True, help="CREATE2 salt (integer or 0x + 64 hex).")
@json_option
@click.pass_context
def account_deploy(ctx: click.Context, owner: str | None, salt: str, as_json: bool) -> None:
    """Deploy an account for OWNER (idempotent; anyone may pay)."""
    charter = get_state(ctx).charter("account deploy")
    assert charter.signer is not None
    owner = owner or charter.signer.address
    address = charter.accounts.deploy(owner, salt)
    if wants_json(ctx, as_json):
        print_json({"owner": check_address(owner), "account": address})
    else:
        click.echo(f"account {address} (owner {check_address(owner)})")


@account.command("upgrade")
@json_option
@click.pass_context
def account_upgrade(ctx: click.Context, as_json: bool) -> None:
    """Turn the sender's EOA ($CHARTER_PRIVATE_KEY) into a Charter account (EIP-7702)."""
    state = get_state(ctx)
    signer = state.signer("account upgrade")
    if not isinstance(signer, LocalSigner):
        raise InvalidInput(
            f"EIP-7702 needs the EOA's own key to sign the authorization: set ${KEY_ENV} (not --unlocked)"
        )
    result = state.charter("account upgrade").accounts.upgrade(signer)
    if wants_json(ctx, as_json):
        print_json(tx_json("account upgrade", result, account=signer.address))
    elif not result.sent:
        click.echo(f"{signer.address} is already a Charter account (EIP-7702) of this suite: nothing was sent")
    else:
        click.echo(tx_line(f"{signer.address} is now a Charter account (EIP-7702)", result))


@account.command("show")
@click.argument("address", required=False)
@json_option
@click.pass_context
def account_show(ctx: click.Context, address: str | None, as_json: bool) -> None:
    """Show ADDRESS (default: the sender) as a Charter account."""
    state = get_state(ctx)
    address = address or state.signer("account show (without ADDRESS)").address
    info = state.charter().accounts.info(address)
    if wants_json(ctx, as_json):
        print_json(info.model_dump(mode="json"))
        return
    rows = [(k, str(v.value if hasattr(v, "value") else v)) for k, v in info.model_dump().items()]
    make_console().print(kv_table(f"account {info.address}", rows))
