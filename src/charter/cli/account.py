"""``charter account ...``: Charter accounts, deployed per owner or an EOA upgraded with EIP-7702."""

from __future__ import annotations

import click

from .._core.checks import check_address
from .._core.display import jsonable
from .._core.signers import LocalSigner
from ..accounts.spec import parse_call
from ..exceptions import EffectNotObserved, InvalidInput
from ..sessions.builder import parse_duration
from ..sessions.models import DEFAULT_MAX_SESSION, MAX_SESSION_CEILING
from ._common import (
    KEY_ENV,
    CharterGroup,
    get_state,
    json_option,
    kv_table,
    make_console,
    print_json,
    sending,
    tx_json,
    tx_line,
    wants_json,
)


@click.group(cls=CharterGroup)
def account() -> None:
    """Charter accounts: deployed per owner, or an EOA upgraded with EIP-7702; the longest session they allow."""


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
    with sending("account deploy"):
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
    accounts = state.charter("account upgrade").accounts
    with sending("account upgrade"):
        result = accounts.upgrade(signer)
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
        print_json(info)
        return
    rows = [(k, str(v)) for k, v in jsonable(info).items()]
    make_console().print(kv_table(f"account {info.address}", rows))


DEFAULT_WORD = "default"


def _seconds(text: str) -> int:
    """A maximum session length: a duration (3600, 30m, 12h, 7d), or ``default`` (sent as 0, which
    the SessionManager reads as the 7-day default). A bare 0 is refused: it reads as "no sessions"
    but would allow 7 days."""
    word = text.strip().lower()
    if word == DEFAULT_WORD:
        return 0
    if word[:1] == "0" and not word.rstrip("smhd").strip("0_"):  # 0, 0s, 0d...
        raise InvalidInput(
            f"a maximum session length of {text} does not stop grants: the SessionManager reads 0 as the "
            f"7-day default ({DEFAULT_MAX_SESSION:,} s). Pass '{DEFAULT_WORD}' to restore that default, a "
            "duration such as 1h to shorten grants, or run `charter grant revoke-all` to end every grant now"
        )
    return parse_duration(text)


@account.command("max-session")
@click.argument("length", required=False, metavar="[DURATION]")
@click.option("--account", "address", metavar="ADDRESS", help="The account (default: the sender).")
@json_option
@click.pass_context
def account_max_session(ctx: click.Context, length: str | None, address: str | None, as_json: bool) -> None:
    """Show the longest validity window the account's grants may have, or set it to DURATION.

    DURATION is 3600, 30m, 12h, 7d... (at most 366d), or "default" for the
    7-day default (0 is refused: it would not stop grants, it restores the
    default). Checked on every use: shortening it also cuts off longer grants
    already handed out. Setting it is a transaction from the account's owner;
    the length then in force is read back from the chain and printed.
    """
    state = get_state(ctx)
    if length is None:
        if address is None:
            address = state.signer("account max-session (without --account)").address
        sessions = state.charter().sessions
        account_address = check_address(address, "--account")
        seconds = sessions.max_session_length(account_address)
        if wants_json(ctx, as_json):
            print_json({"account": account_address, "max_session_length": seconds})
        else:
            click.echo(f"{account_address}: grants may last at most {_human(seconds)} ({seconds:,} s)")
        return
    seconds = _seconds(length)
    if seconds > MAX_SESSION_CEILING:
        raise InvalidInput(f"a maximum session length is at most 366d ({MAX_SESSION_CEILING:,} s), got {length}")
    charter = state.charter("account max-session")
    assert charter.signer is not None
    account_address = check_address(address, "--account") if address is not None else charter.signer.address
    with sending("account max-session"):
        result = charter.sessions.set_max_session_length(account_address, seconds)
    now = charter.sessions.max_session_length(account_address)
    wanted = seconds or DEFAULT_MAX_SESSION
    if now != wanted:
        raise EffectNotObserved(
            f"transaction {result.tx_hash} was mined but {account_address}'s maximum session length reads "
            f"{now:,} s, not {wanted:,} s"
        )
    if wants_json(ctx, as_json):
        print_json(tx_json("max-session", result, account=account_address, max_session_length=now))
    else:
        default = " (the default)" if seconds == 0 else ""
        click.echo(tx_line(f"{account_address}: grants may now last at most {_human(now)}{default} ({now:,} s)",
                           result))


def _human(seconds: int) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@account.command("exec")
@click.option("--call", "calls", multiple=True, required=True, metavar="TARGET[:SIG[:ARGS]][:value=WEI]",
              help="A call (repeat for a batch, all or nothing), as in charter session exec.")
@click.option("--account", "address", metavar="ADDRESS", help="The account (default: the sender's own EIP-7702 one).")
@json_option
@click.pass_context
def account_exec(ctx: click.Context, calls: tuple[str, ...], address: str | None, as_json: bool) -> None:
    """Make calls from a Charter account as its owner (unrestricted: no grant involved).

    The sender is the account's owner; ETH values are paid by the sender.
    """
    parsed = [parse_call(spec) for spec in calls]
    charter = get_state(ctx).charter("account exec")
    assert charter.signer is not None
    account_address = check_address(address, "--account") if address is not None else charter.signer.address
    accounts = charter.accounts
    with sending("account exec"):
        if len(parsed) == 1:
            call = parsed[0]
            result = accounts.execute(account_address, call.target, call.data, call.value)
        else:
            result = accounts.execute_batch(account_address, parsed)
    if wants_json(ctx, as_json):
        print_json(tx_json("account exec", result, account=account_address, calls=len(parsed)))
    else:
        made = "1 call" if len(parsed) == 1 else f"{len(parsed)} calls"
        click.echo(tx_line(f"{made} made from {account_address} by its owner", result))
