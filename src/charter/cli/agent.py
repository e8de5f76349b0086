"""``charter agent ...``: register, show and manage agents (the AgentRegistry)."""

from __future__ import annotations

import time
from typing import Any

import click
from rich.table import Table

from .._core.checks import check_address
from .._core.display import jsonable
from .._core.signers import LocalSigner
from ..exceptions import CharterError, EffectNotObserved, InvalidInput
from ..registry import Registry
from ..registry.models import AgentInfo
from ..registry.represent import AgentState, HyperlaneAgents, MirrorState, represented_id
from ._common import (
    WALLET_KEY_ENV,
    CharterGroup,
    chain_states,
    confirm,
    display_bytes,
    display_uri,
    exit_unless_every_chain,
    get_state,
    json_option,
    key_from_env,
    kv_table,
    make_console,
    parse_hex,
    parse_metadata_pairs,
    print_json,
    sending,
    stdin_is_interactive,
    tx_json,
    tx_line,
    wants_json,
)


def _agent_json(info: AgentInfo, metadata: dict[str, bytes]) -> dict[str, Any]:
    data: dict[str, Any] = jsonable(info)
    data["active"] = info.is_active
    if metadata:
        data["metadata"] = {k: "0x" + v.hex() for k, v in metadata.items()}
    return data


def _agent_table(info: AgentInfo, metadata: dict[str, bytes]) -> Table:
    if info.wallet is None:
        wallet = "-"
    elif info.wallet_verified:
        wallet = f"{info.wallet} (proved)"
    else:
        wallet = f"{info.wallet} (owner default, not proved)"
    rows = [
        ("agent", str(info.agent_id)),
        ("status", info.status.label),
        ("owner", info.owner),
        ("wallet", wallet),
        ("uri", display_uri(info.uri) or "-"),
        ("chain", str(info.chain_id)),
        ("registry", info.registry),
        ("block", str(info.block)),
    ]
    rows += [(f"meta {key}", display_bytes(value) or "-") for key, value in metadata.items()]
    return kv_table(f"Agent {info.agent_id}", rows)


@click.group(cls=CharterGroup)
def agent() -> None:
    """Agents: register, show, list by owner, pause / resume / retire, transfer, set the URI, metadata and wallet;
    read their reputation."""


@agent.command()
@click.option(
    "--uri",
    default="",
    metavar="URI",
    help="The agent URI, up to 20,480 bytes: its agent card's https:// or ipfs:// address, or the card "
    "itself as a data:application/json;base64,… URI.",
)
@click.option(
    "--meta",
    "meta",
    multiple=True,
    metavar="KEY=VALUE",
    help="Initial metadata, VALUE stored as UTF-8 text (repeatable).",
)
@click.option(
    "--meta-hex",
    "meta_hex",
    multiple=True,
    metavar="KEY=0xHEX",
    help="Initial metadata with raw bytes given in hex (repeatable).",
)
@json_option
@click.pass_context
def register(
    ctx: click.Context, uri: str, meta: tuple[str, ...], meta_hex: tuple[str, ...], as_json: bool
) -> None:
    """Register a new agent owned by the sending account."""
    state = get_state(ctx)
    metadata = parse_metadata_pairs(meta) + parse_metadata_pairs(meta_hex, hex_values=True)
    charter = state.charter("register")
    with sending("register"):
        result = charter.registry.register_tx(uri, metadata)
    assert charter.signer is not None
    owner = charter.signer.address
    if wants_json(ctx, as_json):
        print_json(tx_json("register", result, owner=owner, uri=uri))
        return
    click.echo(tx_line(f"registered agent {result.agent_id} owned by {owner}", result))


@agent.command()
@click.argument("agent_id", type=int, required=False)
@click.option("--wallet", metavar="ADDRESS", help="Find the agent whose proved wallet this is.")
@click.option(
    "--meta", "keys", multiple=True, metavar="KEY", help="Also show these metadata values."
)
@json_option
@click.pass_context
def show(
    ctx: click.Context,
    agent_id: int | None,
    wallet: str | None,
    keys: tuple[str, ...],
    as_json: bool,
) -> None:
    """Show agent AGENT_ID (or the agent of --wallet)."""
    if (agent_id is None) == (wallet is None):
        raise InvalidInput("give either an AGENT_ID or --wallet ADDRESS (one of them)")
    registry = get_state(ctx).charter().registry
    if wallet is not None:
        found = registry.agent_by_wallet(wallet)
        if found is None:
            raise CharterError(
                f"no agent has proved {check_address(wallet, 'wallet')} as its wallet (only "
                "wallets set with a signed proof are indexed, not an owner's default wallet)"
            )
        info = found
    else:
        assert agent_id is not None
        info = registry.agent(agent_id)
    metadata = {key: registry.get_metadata(info.agent_id, key) for key in keys}
    if wants_json(ctx, as_json):
        print_json(_agent_json(info, metadata))
    else:
        make_console().print(_agent_table(info, metadata))


@agent.command("list")
@click.option("--owner", metavar="ADDRESS", help="Whose agents (default: the sender).")
@click.option("--from-block", type=click.IntRange(min=0), default=0, show_default=True, metavar="BLOCK",
              help="Scan the registry's transfers from this block.")
@json_option
@click.pass_context
def list_agents(ctx: click.Context, owner: str | None, from_block: int, as_json: bool) -> None:
    """List the agents an owner holds now (retired ones included), with status and wallet."""
    state = get_state(ctx)
    if owner is None:
        owner = state.signer("agent list (without --owner)").address
    owner = check_address(owner, "--owner")
    registry = state.charter().registry
    infos = [registry.agent(agent_id) for agent_id in registry.agents_of(owner, from_block)]
    if wants_json(ctx, as_json):
        print_json({"owner": owner, "agents": [_agent_json(info, {}) for info in infos]})
        return
    if not infos:
        click.echo(f"{owner} holds no agent on chain {registry.chain_id} (since block {from_block})")
        return
    table = Table(title=f"agents of {owner}", title_justify="left")
    for column in ("agent", "status", "wallet", "uri"):
        table.add_column(column, overflow="fold")
    for info in infos:
        wallet = "-" if info.wallet is None else info.wallet + ("" if info.wallet_verified else " (owner default)")
        table.add_row(str(info.agent_id), info.status.label, wallet, display_uri(info.uri) or "-")
    make_console().print(table)


def _lifecycle(verb: str, past: str, doc: str) -> click.Command:
    @click.argument("agent_id", type=int)
    @click.option(
        "--everywhere", "chains", metavar="ID[=URL],...",
        help="Then watch every chain listed (RPCs as for grant create --chains) until its mirror of the agent "
        "shows the change, and report what each shows; exit 0 only when every one does. Name the inboxes the "
        "agent is represented through with --inbox / --hyperlane.",
    )
    @click.option(
        "--inbox", "inboxes", multiple=True, metavar="ADDRESS",
        help="An inbox (a committee's AttesterOracle) the agent is represented through: its relayer carries "
        "the change (repeatable).",
    )
    @click.option(
        "--hyperlane", metavar="ADDRESS",
        help="A HyperlaneAgents the agent is represented through: the change is reported through it at once "
        "(the sender pays the Mailbox fees), then Hyperlane delivers it.",
    )
    @click.option("--wait", type=click.IntRange(min=0), default=60, show_default=True, metavar="SECONDS",
                  help="With --everywhere: how long to watch the other chains.")
    @json_option
    @click.pass_context
    def command(ctx: click.Context, agent_id: int, chains: str | None, inboxes: tuple[str, ...],
                hyperlane: str | None, wait: int, as_json: bool) -> None:
        state = get_state(ctx)
        if chains is None and (inboxes or hyperlane):
            raise InvalidInput("--inbox and --hyperlane go with --everywhere ID[=URL],...")
        if chains is not None and not (inboxes or hyperlane):
            raise InvalidInput(
                "--everywhere needs the inboxes the agent is represented through: --inbox ORACLE (a committee) "
                "and/or --hyperlane HYPERLANE_AGENTS"
            )
        targets = chain_states(state, chains, option="--everywhere") if chains is not None else []
        charter = state.charter(verb)
        registry = charter.registry
        if chains is not None and all(t.chain_id == registry.chain_id for t in targets):
            raise InvalidInput(f"--everywhere names no chain but the agent's home chain {registry.chain_id}")
        with sending(verb):
            result = getattr(registry, verb)(agent_id)
        status = registry.status(agent_id)
        if chains is None:
            if wants_json(ctx, as_json):
                print_json(tx_json(verb, result, status=status))
            else:
                click.echo(tx_line(f"agent {agent_id} {past}, now {status.label}", result))
            return
        _watch_everywhere(ctx, charter, agent_id, targets, inboxes, hyperlane, wait, as_json,
                          tx_json(verb, result, status=status), tx_line(f"agent {agent_id} {past} on chain "
                                                                         f"{registry.chain_id}, now {status.label}",
                                                                         result))

    command.__doc__ = doc
    return agent.command(name=verb)(command)


def _watch_everywhere(
    ctx: click.Context, charter: Any, agent_id: int, targets: list[Any], inboxes: tuple[str, ...],
    hyperlane: str | None, wait: int, as_json: bool, home_json: dict[str, Any], home_line: str,
) -> None:
    """Report the change through `hyperlane` (if given), then watch each chain's mirror through each
    inbox until it holds the home chain's state (its sequence or a newer one): only what a chain
    shows counts."""
    registry = charter.registry
    home = AgentState.read(registry, agent_id)
    others = [t for t in targets if t.chain_id != registry.chain_id]
    reported = None
    if hyperlane is not None:
        with sending("report over Hyperlane"):
            reported = HyperlaneAgents(registry.w3, hyperlane, charter.signer).report(
                agent_id, [t.chain_id for t in others]
            )
    watched = [check_address(i, "--inbox") for i in inboxes] + (
        [check_address(hyperlane, "--hyperlane")] if hyperlane is not None else []
    )
    rows = [{"chain_id": t.chain_id, "inbox": inbox, "agent_id": represented_id(inbox, home.home_chain_id, agent_id),
             "observed": False, "status": None, "sequence": None, "block": None, "error": None, "chain": t}
            for t in others for inbox in watched]
    deadline = time.monotonic() + wait
    while True:
        for row in rows:
            if row["observed"]:
                continue
            try:
                mirror_registry = Registry(row["chain"].w3, registry.address)
                block = int(row["chain"].w3.eth.block_number)
                mirror = MirrorState.read(mirror_registry, row["agent_id"], block)
                row["error"] = None
                if mirror is None:
                    row["error"] = "no mirror of the agent through this inbox on this chain (yet)"
                    continue
                row.update(status=mirror.status.label, sequence=mirror.sequence, block=block,
                           observed=not home.newer_than(mirror))
            except CharterError as exc:
                row["error"] = " ".join(str(exc).split())
        if all(row["observed"] for row in rows) or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    shown = [{k: v for k, v in row.items() if k != "chain"} for row in rows]
    if wants_json(ctx, as_json):
        print_json({**home_json, "home_sequence": home.sequence, "reported": jsonable(reported),
                    "chains": shown, "observed_everywhere": all(row["observed"] for row in rows)})
    else:
        click.echo(home_line)
        if reported is not None:
            click.echo(f"  reported over Hyperlane (tx {reported.tx_hash})")
        for row in rows:
            where = f"chain {row['chain_id']} through {row['inbox']}"
            if row["observed"]:
                click.echo(f"  {where}: {row['status']} at sequence {row['sequence']} (read at block {row['block']})")
            elif row["status"] is not None:
                click.echo(f"  {where}: NOT YET: still {row['status']} at sequence {row['sequence']} (home is at "
                           f"{home.sequence}; the relayer or Hyperlane delivers it)")
            else:
                click.echo(f"  {where}: NOT YET: {row['error']}")
    exit_unless_every_chain(rows, "observed", (), f"chain {{chains}} does not show the change yet after {wait} s; "
                            "to stop the agent's sessions there at once, the principals revoke on every chain "
                            "(charter grant revoke-all --everywhere)")


_lifecycle("pause", "paused", "Pause agent AGENT_ID: every Charter contract stops honouring it.")
_lifecycle("resume", "resumed", "Resume paused agent AGENT_ID.")
_lifecycle("retire", "retired", "Retire agent AGENT_ID for good (final, cannot be undone).")


@agent.command("transfer")
@click.argument("agent_id", type=int)
@click.argument("to", metavar="TO")
@click.option("--yes", "-y", "assume_yes", is_flag=True,
              help="Transfer without asking (without a terminal, the transfer needs it).")
@json_option
@click.pass_context
def transfer(ctx: click.Context, agent_id: int, to: str, assume_yes: bool, as_json: bool) -> None:
    """Transfer agent AGENT_ID to address TO (its owner or an operator sends).

    This clears the agent's wallet, and every session grant of the old owner's
    generation stops for good. Asks for confirmation, naming the agent, its
    owner and the new owner, unless --yes.
    """
    registry = get_state(ctx).charter("transfer").registry
    recipient = check_address(to, "TO")
    owner = registry.owner_of(agent_id)
    if not assume_yes:
        confirm(
            f"Transfer agent {agent_id} from its owner {owner} to {recipient}? Its wallet is cleared and every "
            "session grant of the current owner's generation stops for good.",
            stdin_is_interactive(),
            no_terminal=f"transferring agent {agent_id} from {owner} to {recipient} needs a confirmation and "
            "there is no terminal to ask at: pass --yes to transfer; nothing was sent",
            declined=f"not confirmed: agent {agent_id} stays with {owner}; nothing was sent",
        )
    with sending("transfer"):
        result = registry.transfer(agent_id, recipient)
    owner = registry.owner_of(agent_id)
    if owner != recipient:
        raise EffectNotObserved(f"transaction {result.tx_hash} was mined but agent {agent_id} is owned by {owner}, "
                                f"not {recipient}")
    if wants_json(ctx, as_json):
        print_json(tx_json("transfer", result, owner=owner))
    else:
        click.echo(tx_line(f"agent {agent_id} now owned by {owner}", result))


@agent.command("set-uri")
@click.argument("agent_id", type=int)
@click.argument("uri")
@json_option
@click.pass_context
def set_uri(ctx: click.Context, agent_id: int, uri: str, as_json: bool) -> None:
    """Set the URI (agent card) of agent AGENT_ID: up to 20,480 bytes, a link or a data: URI."""
    registry = get_state(ctx).charter("set-uri").registry
    with sending("set-uri"):
        result = registry.set_uri(agent_id, uri)
    if wants_json(ctx, as_json):
        print_json(tx_json("set-uri", result, uri=uri))
    else:
        click.echo(tx_line(f"agent {agent_id} URI set to {display_uri(uri)!r}", result))


@agent.command("set-metadata")
@click.argument("agent_id", type=int)
@click.argument("key")
@click.argument("value")
@click.option("--hex", "is_hex", is_flag=True, help="VALUE is raw bytes in hex (0x…).")
@json_option
@click.pass_context
def set_metadata(
    ctx: click.Context, agent_id: int, key: str, value: str, is_hex: bool, as_json: bool
) -> None:
    """Set metadata KEY of agent AGENT_ID to VALUE (UTF-8 text, or hex with --hex)."""
    data = parse_hex(value, "VALUE") if is_hex else value.encode()
    registry = get_state(ctx).charter("set-metadata").registry
    with sending("set-metadata"):
        result = registry.set_metadata(agent_id, key, data)
    if wants_json(ctx, as_json):
        print_json(tx_json("set-metadata", result, key=key, value="0x" + data.hex()))
    else:
        click.echo(tx_line(f"agent {agent_id} metadata {key!r} set", result))


@agent.command("get-metadata")
@click.argument("agent_id", type=int)
@click.argument("key")
@json_option
@click.pass_context
def get_metadata(ctx: click.Context, agent_id: int, key: str, as_json: bool) -> None:
    """Print metadata KEY of agent AGENT_ID (text if printable, else hex).

    Fails when the agent has no such key (the registry answers an empty value for
    a key never set, or set to nothing) or does not exist.
    """
    registry = get_state(ctx).charter().registry
    value = registry.get_metadata(agent_id, key)
    if not value:
        registry.owner_of(agent_id)  # an unknown agent is UnknownAgent, not a missing key
        raise InvalidInput(
            f"agent {agent_id} has no metadata key {key!r} (the registry holds no value for it): check the key's "
            f"spelling, or set it with charter agent set-metadata {agent_id} {key} VALUE"
        )
    if wants_json(ctx, as_json):
        print_json({"agent_id": agent_id, "key": key, "value": "0x" + value.hex()})
    else:
        click.echo(display_bytes(value))


@agent.command("set-wallet")
@click.argument("agent_id", type=int)
@click.option(
    "--address",
    "wallet",
    metavar="ADDRESS",
    help="The wallet, when its proof was signed elsewhere (with --signature and --deadline).",
)
@click.option("--signature", metavar="0xHEX", help="The wallet's EIP-712 AgentWalletSet proof (with --address).")
@click.option("--deadline", type=int, metavar="UNIX_TIME", help="The proof's deadline (at most 5 minutes ahead).")
@json_option
@click.pass_context
def set_wallet(
    ctx: click.Context, agent_id: int, wallet: str | None, signature: str | None, deadline: int | None, as_json: bool
) -> None:
    """Point agent AGENT_ID at a wallet that proves its consent (EIP-712).

    The wallet signs its proof with the key in $CHARTER_WALLET_KEY (never an
    argument), or pass a proof made elsewhere: --address, --signature and
    --deadline. The sender is the agent's owner.
    """
    registry = get_state(ctx).charter("set-wallet").registry
    if wallet is not None:
        with sending("set-wallet"):
            result = registry.set_agent_wallet(agent_id, check_address(wallet, "--address"), signature, deadline)
    else:
        if signature is not None:
            raise InvalidInput("--signature needs --address: the wallet the proof was signed by")
        proof_signer = _wallet_signer()
        with sending("set-wallet"):
            result = registry.set_agent_wallet(agent_id, proof_signer, deadline=deadline)
    address = registry.agent_wallet(agent_id)
    if wants_json(ctx, as_json):
        print_json(tx_json("set-wallet", result, wallet=address))
    else:
        click.echo(tx_line(f"agent {agent_id} wallet set to {address}", result))


@agent.command("unset-wallet")
@click.argument("agent_id", type=int)
@json_option
@click.pass_context
def unset_wallet(ctx: click.Context, agent_id: int, as_json: bool) -> None:
    """Clear the wallet of agent AGENT_ID (and its reverse lookup)."""
    registry = get_state(ctx).charter("unset-wallet").registry
    with sending("unset-wallet"):
        result = registry.unset_agent_wallet(agent_id)
    if wants_json(ctx, as_json):
        print_json(tx_json("unset-wallet", result))
    else:
        click.echo(tx_line(f"agent {agent_id} wallet cleared", result))


def _wallet_signer() -> LocalSigner:
    return key_from_env(
        WALLET_KEY_ENV,
        f"the wallet must sign its proof: set ${WALLET_KEY_ENV} to its private key, or pass a "
        "proof signed elsewhere with --address, --signature and --deadline",
    )


from .trust import reputation  # noqa: E402 - defined with the other trust commands

agent.add_command(reputation)
