"""The ``charter`` command line: every verb of the SDK, one command group per layer.

    export CHARTER_RPC=http://127.0.0.1:8545 CHARTER_PRIVATE_KEY=0x…
    charter deploy
    charter agent register --uri ipfs://…/agent-card.json --meta role=market-maker
    charter agent show 1            # a table; add --json for machines
    charter agent list --owner 0xOwner
    charter account upgrade         # this EOA becomes a Charter account (EIP-7702)
    charter grant create --agent 1 --key 0xKey --allow '0xToken:transfer(address to,uint256 amount):to=0xBob' \
        --token-budget 0xToken:100 --valid-for 1h --out grant.json
    charter grant status grant.json      # status, calls and budgets left
    charter session exec --grant grant.json --call '0xToken:transfer(address,uint256):0xBob,30'  # as the agent
    charter grant revoke grant.json      # or: charter grant revoke-all
    charter intent open --input 0xToken:100 --output 0xTokenB:99:0xBob --destination-chain 2 \\
        --oracle 0xOracle --out order.json
    charter relay --config relay.toml    # prove fills, settle and refund intents
    charter solve --config solve.toml    # fill intents by policy
    charter feedback give 0xOrderId 92.5 # receipt-backed feedback on the other side of a settled order
    charter agent reputation 1 --entries # what the reputation registries hold about an agent

Groups: ``agent`` (agent.py), ``account`` (account.py), ``grant`` (grant.py:
the account's side), ``session`` (session.py: the agent's side), ``intent``
(intent.py), ``feedback`` and ``validation`` (trust.py, with ``agent reputation``),
``relay`` and ``solve`` (processes.py), ``deploy``. The verbs of earlier
releases still work, hidden from the help: ``charter register`` (agent
register), ``charter sessions`` and ``charter session list`` (grant list),
``charter revoke`` / ``charter session revoke`` (grant revoke),
``charter revoke-all`` / ``charter session revoke-all`` (grant revoke-all);
``charter grant --agent ...`` is ``charter grant create``.

Transactions are sent from the key in ``$CHARTER_PRIVATE_KEY`` (never a
command-line argument: it would end up in shell history and process lists) or
from an account the node has unlocked (``--unlocked ADDRESS``, e.g. anvil's
development accounts); the agent's session key is ``$CHARTER_SESSION_KEY``.
Every failure prints one line ``error: …`` on stderr (with ``--json``, also an
``{"error": …}`` object on stdout) and exits with the code of
:data:`charter.cli._common.EXIT_CODES` (docs/cli.md).
"""

from __future__ import annotations

import click

from .. import __version__
from .._core.deployments import MANIFEST_ENV
from ._common import (
    DEFAULT_RPC,
    EXIT_EPILOG,
    KEY_ENV,
    RPC_ENV,
    CharterCLI,
    State,
    alias,
    json_option,
    parse_metadata_pairs,
    refuse_key_option,
)
from .account import account
from .agent import agent, register
from .console import console_command
from .deploy import deploy
from .grant import grant
from .grant import list_command as grant_list
from .grant import revoke as grant_revoke
from .grant import revoke_all as grant_revoke_all
from .intent import intent
from .mcp import mcp_command
from .processes import relay, solve
from .session import session
from .trust import feedback, validation


@click.group(cls=CharterCLI, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_EPILOG)
@click.option(
    "--rpc",
    envvar=RPC_ENV,
    default=DEFAULT_RPC,
    show_default=True,
    metavar="URL",
    help=f"JSON-RPC endpoint (env {RPC_ENV}).",
)
@click.option(
    "--manifest",
    "manifest_path",
    envvar=MANIFEST_ENV,
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help=f"Deployment manifest (env {MANIFEST_ENV}); default: the one shipped with charter.",
)
@json_option
@click.option(
    "--unlocked",
    metavar="ADDRESS",
    help="Send from this account, unlocked in the node (e.g. anvil's dev accounts).",
)
@click.option(
    "--private-key",
    hidden=True,
    expose_value=False,
    callback=refuse_key_option,
    help=f"Refused: set ${KEY_ENV} instead.",
)
@click.version_option(__version__, prog_name="charter")
@click.pass_context
def cli(
    ctx: click.Context,
    rpc: str,
    manifest_path: str | None,
    as_json: bool,
    unlocked: str | None,
) -> None:
    """Charter: on-chain identity and bounded authority for autonomous agents.

    Transactions are sent from the key in $CHARTER_PRIVATE_KEY, or from
    --unlocked ADDRESS; an agent's session key is read from
    $CHARTER_SESSION_KEY. Keys are never arguments. Reads need no account.

    --json (before or after the command) prints JSON on stdout, errors
    included: {"error": {"type", "message", "exit_code"}}. Every error is
    also one line "error: ..." on stderr. Long waits show a spinner on
    stderr when it is a terminal.
    """
    ctx.obj = State(rpc=rpc, manifest_path=manifest_path, as_json=as_json, unlocked=unlocked)


cli.add_command(deploy)
cli.add_command(agent)
cli.add_command(grant)
cli.add_command(session)
cli.add_command(account)
cli.add_command(intent)
cli.add_command(feedback)
cli.add_command(validation)
cli.add_command(relay)
cli.add_command(solve)
cli.add_command(mcp_command)
cli.add_command(console_command)
# The verbs of earlier releases, hidden from the help.
cli.add_command(alias(register, "register"))
cli.add_command(alias(grant_list, "sessions"))
cli.add_command(alias(grant_revoke, "revoke"))
cli.add_command(alias(grant_revoke_all, "revoke-all"))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="charter")


__all__ = ["cli", "main", "parse_metadata_pairs"]
