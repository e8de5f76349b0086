"""``charter session ...``: an account's grants as the SessionManager sees them, and revocation."""

from __future__ import annotations

import click
from rich.table import Table

from .._core.checks import check_address
from .._core.revert import format_time
from ._common import (
    CharterGroup,
    get_state,
    json_option,
    make_console,
    print_json,
    tx_json,
    tx_line,
    wants_json,
)


@click.group(cls=CharterGroup)
def session() -> None:
    """Sessions: list an account's grants with what is left, revoke one or all."""


@session.command()
@click.argument("grant_hash")
@click.option("--account", metavar="ADDRESS", help="The grant's account (default: the sender).")
@json_option
@click.pass_context
def revoke(ctx: click.Context, grant_hash: str, account: str | None, as_json: bool) -> None:
    """Revoke grant GRANT_HASH at once (also one never used)."""
    charter = get_state(ctx).charter("revoke")
    assert charter.signer is not None
    account = account or charter.signer.address
    result = charter.sessions.revoke(grant_hash, account=account)
    if wants_json(ctx, as_json):
        print_json(tx_json("revoke", result, account=account))
    else:
        click.echo(tx_line(f"grant {result.grant_hash} of {account} revoked", result))


@session.command("revoke-all")
@click.option("--account", metavar="ADDRESS", help="The account (default: the sender).")
@json_option
@click.pass_context
def revoke_all(ctx: click.Context, account: str | None, as_json: bool) -> None:
    """Revoke every grant of the account at once, used or not."""
    charter = get_state(ctx).charter("revoke-all")
    assert charter.signer is not None
    account = account or charter.signer.address
    result = charter.sessions.revoke_all(account)
    epoch = charter.sessions.epoch_of(account)
    if wants_json(ctx, as_json):
        print_json(tx_json("revoke-all", result, account=account, epoch=epoch))
    else:
        click.echo(tx_line(f"every grant of {account} revoked (epoch now {epoch})", result))


@session.command("list")
@click.argument("account", required=False)
@click.option("--from-block", type=int, default=0, show_default=True, help="Scan events from this block.")
@json_option
@click.pass_context
def list_command(ctx: click.Context, account: str | None, from_block: int, as_json: bool) -> None:
    """List ACCOUNT's grants (default: the sender's) with status, expiry and budgets left."""
    state = get_state(ctx)
    if account is None:
        account = state.signer("sessions (without ACCOUNT)").address
    charter = state.charter()
    records = charter.sessions.grants(account, from_block=from_block)
    if wants_json(ctx, as_json):
        print_json({"account": check_address(account), "grants": [r.model_dump(mode="json") for r in records]})
        return
    if not records:
        click.echo(f"no grant of {account} was used, issued or revoked on chain (since block {from_block})")
        return
    table = Table(title=f"grants of {check_address(account)}", title_justify="left")
    for column in ("grant", "agent", "session key", "status", "valid until", "calls left", "wei left", "tokens left"):
        table.add_column(column, overflow="fold")
    for r in records:
        st = r.state
        calls = "-" if st is None else ("unlimited" if st.calls_left is None else f"{st.calls_left:,}")
        tokens = "-" if st is None else ", ".join(f"{t.left:,} of {t.token}" for t in st.tokens) or "-"
        table.add_row(
            r.grant_hash, str(r.agent_id or "-"), r.session_key or "-", r.status_label,
            format_time(r.valid_until) if r.valid_until else "-", calls,
            "-" if st is None else f"{st.native_left:,}", tokens,
        )
    make_console().print(table)
