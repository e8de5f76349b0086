"""``charter grant ...``: grant an agent's session key a scoped, expiring session.

``charter grant create`` signs the grant off-chain (free; the agent presents
it on first use), ``charter grant issue`` issues it on-chain (a
transaction). ``charter grant --agent ...`` (no command) is ``grant create``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from ..exceptions import InvalidInput
from ..sessions.builder import builder_from_specs
from ._common import (
    DefaultGroup,
    get_state,
    json_option,
    key_from_env,
    print_json,
    tx_line,
    wants_json,
)


@click.group(cls=DefaultGroup, default="create")
def grant() -> None:
    """Grant an agent's session key a scoped, expiring session (default: create)."""


def _grant_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say what the grant allows (shared by create and issue)."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


_OPTIONS = [
    click.option(
        "--account", metavar="ADDRESS", help="The account granting (default: the sender, an EIP-7702 account)."
    ),
    click.option("--agent", "agent_id", type=int, required=True, help="The agent the session key acts for."),
    click.option("--key", "session_key", required=True, metavar="ADDRESS", help="The agent's session key (address)."),
    click.option(
        "--allow",
        "allows",
        multiple=True,
        required=True,
        metavar="TARGET[:SIG[:CONDITIONS]]",
        help="An allowed call (repeatable), e.g. "
        "'0xToken:transfer(address to,uint256 amount):to=0xBob|0xCarol,amount<=100'. "
        "Conditions: NAME=V (V1|V2 for one of), NAME!=V, NAME<=V, NAME>=V, value<=WEI. No SIG: plain ETH sends.",
    ),
    click.option(
        "--token-budget",
        "budgets",
        multiple=True,
        metavar="TOKEN:CAP[/PERIOD]",
        help="Token cap, optionally refilled every PERIOD (e.g. 0xToken:100/1d).",
    ),
    click.option("--native-budget", type=int, default=0, metavar="WEI", help="Total wei the session may send."),
    click.option("--max-calls", type=int, default=0, metavar="N", help="At most N calls in total."),
    click.option(
        "--min-interval", default=None, metavar="DURATION", help="At least this long between calls (e.g. 10m)."
    ),
    click.option(
        "--force-execute-like",
        is_flag=True,
        help="Allow execute-like functions (multicall, aggregate, executeCall, a router's execute...): "
        "the session gets whatever that contract does for the account.",
    ),
    click.option(
        "--valid-for", required=True, metavar="DURATION", help="Validity from now: 3600, 30m, 1h, 7d (mandatory)."
    ),
    click.option(
        "--agent-consent",
        metavar="SIG",
        help="The agent owner's or wallet's signature of the grant (0x-hex), when its consent is not implied.",
    ),
    click.option(
        "--agent-key-env",
        metavar="VAR",
        help="Consent for the agent here: VAR is an environment variable holding its owner's or wallet's key.",
    ),
    click.option(
        "--out",
        type=click.Path(dir_okay=False, writable=True),
        metavar="FILE",
        help="Write the signed grant (JSON) here for the agent.",
    ),
]


def _run(
    ctx: click.Context, account: str | None, agent_id: int, session_key: str, allows: tuple[str, ...],
    budgets: tuple[str, ...], native_budget: int, max_calls: int, min_interval: str | None, valid_for: str,
    on_chain: bool, out: str | None, as_json: bool, agent_consent: str | None = None,
    agent_key_env: str | None = None, **extra: Any,
) -> None:
    if out is not None:
        folder = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise InvalidInput(
                f"cannot write --out {out}: No such file or directory, or not writable ({folder}); "
                "nothing was signed or sent"
            )
    charter = get_state(ctx).charter("grant")
    assert charter.signer is not None
    sessions = charter.sessions
    builder = builder_from_specs(
        account or charter.signer.address, agent_id, session_key, allows, valid_for, budgets,
        native_budget, max_calls, min_interval, allow_execute_like=bool(extra.get("force_execute_like")),
    )
    consent: Any = agent_consent
    if agent_key_env is not None:
        consent = key_from_env(
            agent_key_env, f"--agent-key-env {agent_key_env}: that environment variable is not set"
        )
    signed, tx = sessions.grant(builder, on_chain=on_chain, agent_consent=consent)
    if out is not None:
        signed.save(out)
    if wants_json(ctx, as_json):
        print_json({**signed.summary(tx), "file": out})
        return
    click.echo("\n".join(signed.report()))
    if tx is not None:
        click.echo(tx_line("issued on-chain", tx))
    else:
        click.echo(
            "signed off-chain (no transaction)"
            + (f"; saved to {out}" if out else "; use --out FILE or --json to keep it")
        )


@grant.command("create")
@_grant_options
@click.option("--on-chain", is_flag=True, help="Issue on-chain (a transaction) instead of signing off-chain (free).")
@json_option
@click.pass_context
def create(ctx: click.Context, /, on_chain: bool, **spec: Any) -> None:
    """Grant an agent's session key a scoped, expiring session.

    Signed off-chain by default (no transaction; hand the JSON to the agent,
    it presents it on first use), or issued on-chain with --on-chain. The
    sender is the account's owner (for an EIP-7702 account: the EOA itself).
    """
    _run(ctx, on_chain=on_chain, **spec)


@grant.command("issue")
@_grant_options
@json_option
@click.pass_context
def issue(ctx: click.Context, /, **spec: Any) -> None:
    """Issue a grant on-chain (a transaction from the account's owner).

    The same options as ``charter grant create``; the agent then needs no
    signature, only the grant (--out FILE).
    """
    _run(ctx, on_chain=True, **spec)
