"""The ``charter`` command line: deploy, register and manage agents and their sessions.

    export CHARTER_RPC=http://127.0.0.1:8545 CHARTER_PRIVATE_KEY=0x…
    charter deploy
    charter agent register --uri ipfs://…/agent-card.json --meta role=market-maker
    charter agent show 1            # a table; add --json for machines
    charter agent pause 1
    charter account upgrade         # this EOA becomes a Charter account (EIP-7702)
    charter grant create --agent 1 --key 0xKey --allow '0xToken:transfer(address to,uint256 amount):to=0xBob' \
        --token-budget 0xToken:100 --valid-for 1h --out grant.json
    charter session list            # the account's grants, status and budgets left
    charter session revoke 0xGrantHash   # or: charter session revoke-all
    charter relay --config relay.toml    # prove fills, settle and refund intents
    charter solve --config solve.toml    # fill intents by policy

One command group per layer: ``agent`` (agent.py), ``grant`` (grant.py),
``session`` (session.py), ``account`` (account.py), ``deploy``, and the
intents' processes ``relay`` and ``solve`` (intent.py). The verbs
of earlier releases still work, hidden from the help: ``charter register``
(agent register), ``charter sessions`` (session list), ``charter revoke`` and
``charter revoke-all`` (session revoke, revoke-all); ``charter grant --agent
...`` is ``charter grant create``.

Transactions are sent from the key in ``$CHARTER_PRIVATE_KEY`` (never a
command-line argument: it would end up in shell history and process lists) or
from an account the node has unlocked (``--unlocked ADDRESS``, e.g. anvil's
development accounts). Every failure prints one line ``error: …`` on stderr
and exits with status 1.
"""

from __future__ import annotations

import click

from .. import __version__
from .._core.deployments import MANIFEST_ENV
from ._common import (
    DEFAULT_RPC,
    KEY_ENV,
    RPC_ENV,
    CharterGroup,
    State,
    alias,
    json_option,
    parse_metadata_pairs,
    refuse_key_option,
)
from .account import account
from .agent import agent, register
from .deploy import deploy
from .grant import grant
from .intent import relay, solve
from .session import list_command, revoke, revoke_all, session


@click.group(cls=CharterGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    --unlocked ADDRESS. Reads need no account.
    """
    ctx.obj = State(rpc=rpc, manifest_path=manifest_path, as_json=as_json, unlocked=unlocked)


cli.add_command(deploy)
cli.add_command(agent)
cli.add_command(grant)
cli.add_command(session)
cli.add_command(account)
cli.add_command(relay)
cli.add_command(solve)
# The verbs of earlier releases, hidden from the help.
cli.add_command(alias(register, "register"))
cli.add_command(alias(list_command, "sessions"))
cli.add_command(alias(revoke, "revoke"))
cli.add_command(alias(revoke_all, "revoke-all"))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="charter")


__all__ = ["cli", "main", "parse_metadata_pairs"]
