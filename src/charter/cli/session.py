"""``charter session ...``: what the agent does with a grant, signing with its session key.

    export CHARTER_SESSION_KEY=0x…         # the agent's session key (never an argument)
    charter session exec --grant grant.json --call '0xToken:transfer(address,uint256):0xBob,30'
    charter session sign-relay --grant grant.json --call '…' --out request.json   # gasless for the agent
    charter session relay request.json     # anyone sends it ($CHARTER_PRIVATE_KEY pays the gas)
    charter session renounce --grant grant.json

The account's side (list, revoke, revoke-all) is ``charter grant ...``;
``charter session list / revoke / revoke-all`` still work, hidden from the help.
"""

from __future__ import annotations

import json
from typing import Any

import click

from .._core.signers import LocalSigner
from ..accounts.models import Call
from ..accounts.spec import parse_call
from ..exceptions import InvalidInput
from ..sessions.builder import parse_duration
from ..sessions.describe import load_grant
from ..sessions.models import SessionRequest, SignedGrant
from ._common import (
    CharterGroup,
    alias,
    check_out_path,
    get_state,
    json_option,
    key_from_env,
    print_json,
    read_text_file,
    sending,
    tx_json,
    tx_line,
    wants_json,
    write_json_file,
)
from .grant import bound_here
from .grant import list_command as grant_list
from .grant import revoke as grant_revoke
from .grant import revoke_all as grant_revoke_all

SESSION_KEY_ENV = "CHARTER_SESSION_KEY"


@click.group(cls=CharterGroup)
def session() -> None:
    """Sessions as the agent: exec calls under a grant, sign a relay request, relay one, renounce.

    The session key is read from $CHARTER_SESSION_KEY (or the variable named by
    --key-env), never from an argument.
    """


def session_key(variable: str | None) -> LocalSigner:
    name = variable or SESSION_KEY_ENV
    return key_from_env(
        name,
        f"the session key signs this: set ${name} to the agent's session key"
        + ("" if variable else " (or name another variable with --key-env)"),
    )


_grant_file = click.option(
    "--grant", "grant_file", required=True, type=click.Path(dir_okay=False), metavar="FILE",
    help="The grant file the principal handed the agent (charter grant create --out FILE); for a multi-chain "
    "grant, the entry of the --rpc chain (activated on its first use there).",
)
_calls = click.option(
    "--call", "calls", multiple=True, required=True, metavar="TARGET[:SIG[:ARGS]][:value=WEI]",
    help="A call (repeat for a batch, all or nothing), e.g. "
    "'0xToken:transfer(address to,uint256 amount):0xBob,30'; '0xBob:value=1000' sends ETH.",
)
_key_env = click.option(
    "--key-env", metavar="VAR", help=f"The environment variable holding the session key (default {SESSION_KEY_ENV}).",
)


def _grant_here(ctx: click.Context, path: str) -> tuple[Any, SignedGrant]:
    """The grant file's grant on the --rpc chain (a multi-chain grant's entry for that chain)."""
    charter = get_state(ctx).charter()
    signed, _ = load_grant(path, charter.sessions.chain_id)
    bound_here(signed, charter.sessions.chain_id, charter.sessions.address, path)
    return charter, signed


def check_session_key(signer: LocalSigner, signed: SignedGrant, variable: str | None) -> None:
    if signer.address != signed.grant.session_key:
        raise InvalidInput(
            f"${variable or SESSION_KEY_ENV} holds the key of {signer.address}, not the grant's session key "
            f"{signed.grant.session_key}; nothing was signed or sent"
        )


@session.command("exec")
@_grant_file
@_calls
@_key_env
@json_option
@click.pass_context
def exec_command(ctx: click.Context, grant_file: str, calls: tuple[str, ...], key_env: str | None,
                 as_json: bool) -> None:
    """Make one call (or, with several --call, a batch) from the account under the grant.

    The session key sends the transaction and pays its gas; for a gasless
    agent use sign-relay and have anyone relay it. A multi-chain grant's entry
    not used yet is first activated, by the key (one transaction more).
    """
    parsed: list[Call] = [parse_call(spec) for spec in calls]
    key = session_key(key_env)
    charter, signed = _grant_here(ctx, grant_file)
    check_session_key(key, signed, key_env)
    sessions = charter.sessions
    with sending("session exec"):
        if len(parsed) == 1:
            result = sessions.execute(signed, parsed[0], key=key)
        else:
            result = sessions.execute_batch(signed, parsed, key=key)
    if wants_json(ctx, as_json):
        print_json(tx_json("exec", result, calls=len(parsed), session_key=key.address, account=signed.grant.account))
    else:
        made = "1 call" if len(parsed) == 1 else f"{len(parsed)} calls"
        if result.note:
            click.echo(result.note)
        click.echo(tx_line(f"{made} made from {signed.grant.account} under grant {result.grant_hash}", result))


@session.command("sign-relay")
@_grant_file
@_calls
@_key_env
@click.option("--valid-for", default="5m", show_default=True, metavar="DURATION",
              help="How long the request may be relayed (from the chain's time).")
@click.option("--nonce", type=click.IntRange(min=0), metavar="N",
              help="The request nonce (default: the grant's next one).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Write the signed request (JSON) here for the relayer.")
@json_option
@click.pass_context
def sign_relay(ctx: click.Context, grant_file: str, calls: tuple[str, ...], key_env: str | None, valid_for: str,
               nonce: int | None, out: str | None, as_json: bool) -> None:
    """Sign calls under the grant for anyone to relay (the agent needs no gas); nothing is sent.

    Refused when the grant cannot be used now (expired, not yet valid, revoked, its
    agent inactive or transferred, its calls used up, its signature not the account's).
    """
    check_out_path(out)
    parsed = [parse_call(spec) for spec in calls]
    lifetime = parse_duration(valid_for)
    key = session_key(key_env)
    charter, signed = _grant_here(ctx, grant_file)
    check_session_key(key, signed, key_env)
    sessions = charter.sessions
    try:
        state = sessions.require_usable(signed, "a request signed now")
    except InvalidInput as exc:
        raise InvalidInput(f"{exc}; nothing was signed") from None
    deadline = sessions.chain_time() + lifetime
    request = sessions.sign_request(signed, parsed, key=key, deadline=deadline,
                                    nonce=state.nonce if nonce is None else nonce)
    data = json.loads(request.to_json())
    if out is not None:
        write_json_file(out, data)
    if wants_json(ctx, as_json):
        print_json({"grant_hash": signed.hash, "nonce": request.nonce, "deadline": request.deadline,
                    "calls": len(parsed), "request": data, "file": out})
        return
    click.echo(
        f"signed a request of {len(parsed)} call(s) under grant 0x{signed.hash.hex()} (nonce {request.nonce}, "
        f"relayable until {request.deadline}); nothing was sent"
        + (f"; saved to {out}" if out else "; use --out FILE or --json to keep it")
    )


@session.command("relay")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@click.pass_context
def relay_request(ctx: click.Context, file: str, as_json: bool) -> None:
    """Send the signed request in FILE as a relayer: the sender ($CHARTER_PRIVATE_KEY or
    --unlocked) pays the gas, the session key's signature authorizes the calls."""
    text = read_text_file(file, "request file")
    request = SessionRequest.from_json(text)
    charter = get_state(ctx).charter("session relay")
    bound_here(request.grant, charter.sessions.chain_id, charter.sessions.address, file)
    with sending("session relay"):
        result = charter.sessions.relay(request)
    assert charter.signer is not None
    if wants_json(ctx, as_json):
        print_json(tx_json("relay", result, calls=len(request.calls), nonce=request.nonce,
                           relayer=charter.signer.address, account=request.grant.grant.account))
    else:
        if result.note:
            click.echo(result.note)
        click.echo(tx_line(
            f"relayed {len(request.calls)} call(s) from {request.grant.grant.account} under grant "
            f"{result.grant_hash} (nonce {request.nonce})", result,
        ))


@session.command("renounce")
@_grant_file
@_key_env
@json_option
@click.pass_context
def renounce(ctx: click.Context, grant_file: str, key_env: str | None, as_json: bool) -> None:
    """Give up the grant for good, as its session key (the key sends and pays the gas)."""
    key = session_key(key_env)
    charter, signed = _grant_here(ctx, grant_file)
    check_session_key(key, signed, key_env)
    with sending("session renounce"):
        result = charter.sessions.renounce(signed, key=key)
    if wants_json(ctx, as_json):
        print_json(tx_json("renounce", result, session_key=key.address, account=signed.grant.account))
    else:
        click.echo(tx_line(f"grant {result.grant_hash} renounced by its session key {key.address}", result))


# The account's side moved to `charter grant`; the verbs of earlier releases stay, hidden.
list_command = alias(grant_list, "list")
revoke = alias(grant_revoke, "revoke")
revoke_all = alias(grant_revoke_all, "revoke-all")
for _command in (list_command, revoke, revoke_all):
    session.add_command(_command)
